//! Parameters: what the slots of a template hold. Per slot: an inferred type,
//! distinct values (exact up to a bound, then a HyperLogLog estimate), the top
//! values with counts, numeric min/max/mean, and a name guessed from the
//! template words around the slot.

use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use super::sketch::{Hll, MisraGries};

/// The inferred type of a slot's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    Int,
    Float,
    Ip,
    #[serde(rename = "ip:port")]
    IpPort,
    Hex,
    Duration,
    Path,
    Id,
    Word,
    Empty,
}

const NTYPES: usize = 10;

impl ParamType {
    fn idx(self) -> usize {
        self as usize
    }
    fn from_idx(i: usize) -> Self {
        [
            Self::Int,
            Self::Float,
            Self::Ip,
            Self::IpPort,
            Self::Hex,
            Self::Duration,
            Self::Path,
            Self::Id,
            Self::Word,
            Self::Empty,
        ][i]
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Int => "int",
            Self::Float => "float",
            Self::Ip => "ip",
            Self::IpPort => "ip:port",
            Self::Hex => "hex",
            Self::Duration => "duration",
            Self::Path => "path",
            Self::Id => "id",
            Self::Word => "word",
            Self::Empty => "empty",
        }
    }
}

fn is_ipv4(s: &str) -> bool {
    let mut n = 0;
    for part in s.split('.') {
        n += 1;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    n == 4
}

/// Classifies one value. Surrounding brackets and a leading `/` on an IP are ignored.
pub fn classify(v: &str) -> ParamType {
    let s = v.trim_matches(|c| matches!(c, '[' | ']' | '(' | ')' | '"' | '\'' | ',' | ';'));
    if s.is_empty() {
        return ParamType::Empty;
    }
    let b = s.as_bytes();
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !body.is_empty() && body.bytes().all(|c| c.is_ascii_digit()) {
        return ParamType::Int;
    }
    if digits > 0 && body.parse::<f64>().is_ok() && !body.contains(['i', 'I', 'n', 'N']) {
        return ParamType::Float;
    }
    let ip = s.strip_prefix('/').unwrap_or(s);
    if is_ipv4(ip) {
        return ParamType::Ip;
    }
    if let Some((h, p)) = ip.rsplit_once(':') {
        if is_ipv4(h) && !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()) {
            return ParamType::IpPort;
        }
    }
    if ip.contains(':') && ip.bytes().all(|c| c.is_ascii_hexdigit() || c == b':') && ip.matches(':').count() >= 2 {
        return ParamType::Ip; // IPv6
    }
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if !h.is_empty() && h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return ParamType::Hex;
        }
    }
    if digits > 0 {
        let unit_start = body.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(body.len());
        let (num, unit) = body.split_at(unit_start);
        if !num.is_empty() && matches!(unit, "ns" | "us" | "µs" | "ms" | "s" | "m" | "h" | "d" | "sec" | "secs" | "min" | "mins") {
            return ParamType::Duration;
        }
    }
    if s.starts_with('/') || s.starts_with("./") || s.starts_with("~/") || s.contains(":\\") || s.contains("://") {
        return ParamType::Path;
    }
    if b.len() >= 8 && b.iter().all(|c| c.is_ascii_hexdigit() || *c == b'-') && digits > 0 {
        return ParamType::Hex;
    }
    if digits > 0 {
        return ParamType::Id;
    }
    ParamType::Word
}

/// Statistics of one slot, mergeable across blocks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlotStats {
    pub count: u64,
    exact: Option<FxHashSet<u64>>,
    hll: Option<Hll>,
    exact_limit: usize,
    top: MisraGries,
    types: [u64; NTYPES],
    num_count: u64,
    #[serde(with = "super::snapshot::float")]
    min: f64,
    #[serde(with = "super::snapshot::float")]
    max: f64,
    #[serde(with = "super::snapshot::float")]
    sum: f64,
}

impl SlotStats {
    pub fn new(exact_limit: usize) -> Self {
        Self {
            count: 0,
            exact: Some(FxHashSet::default()),
            hll: None,
            exact_limit,
            top: MisraGries::new(64),
            types: [0; NTYPES],
            num_count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: 0.0,
        }
    }

    fn insert_hash(&mut self, h: u64) {
        match &mut self.exact {
            Some(set) => {
                set.insert(h);
                if set.len() > self.exact_limit {
                    let mut hll = Hll::default();
                    for &x in set.iter() {
                        hll.insert_hash(x);
                    }
                    self.hll = Some(hll);
                    self.exact = None;
                }
            }
            None => {
                if let Some(h2) = &mut self.hll {
                    h2.insert_hash(h);
                }
            }
        }
    }

    /// Records `n` occurrences of a value.
    pub fn add(&mut self, v: &str, n: u64) {
        self.count += n;
        self.insert_hash(xxhash_rust::xxh3::xxh3_64(v.as_bytes()));
        self.top.add(v, n);
        let t = classify(v);
        self.types[t.idx()] += n;
        if matches!(t, ParamType::Int | ParamType::Float) {
            if let Ok(x) = v.trim_matches(|c| matches!(c, '[' | ']' | '(' | ')' | ',' | ';')).parse::<f64>() {
                self.num_count += n;
                self.min = self.min.min(x);
                self.max = self.max.max(x);
                self.sum += x * n as f64;
            }
        }
    }

    pub fn merge(&mut self, o: &SlotStats) {
        self.count += o.count;
        match &o.exact {
            Some(set) => {
                for &h in set {
                    self.insert_hash(h);
                }
            }
            None => {
                if let Some(exact) = self.exact.take() {
                    let mut hll = Hll::default();
                    for &x in &exact {
                        hll.insert_hash(x);
                    }
                    self.hll = Some(hll);
                }
                if let (Some(a), Some(b)) = (&mut self.hll, &o.hll) {
                    a.merge(b);
                }
            }
        }
        self.top.merge(&o.top);
        for i in 0..NTYPES {
            self.types[i] += o.types[i];
        }
        self.num_count += o.num_count;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
        self.sum += o.sum;
    }

    /// Whether the top-value counts are exact (no Misra–Gries decrement happened).
    pub fn top_exact(&self) -> bool {
        self.top.decremented == 0
    }

    /// Every tracked value with its count, largest first.
    pub fn top_values_all(&self) -> Vec<(String, u64)> {
        self.top.top(usize::MAX)
    }

    /// (distinct count, whether it is exact)
    pub fn distinct(&self) -> (u64, bool) {
        match (&self.exact, &self.hll) {
            (Some(s), _) => (s.len() as u64, true),
            (None, Some(h)) => (h.estimate().max(self.exact_limit as u64 + 1), false),
            _ => (0, true),
        }
    }

    /// The type covering at least 90 % of the values (ints and floats together
    /// count as float), else `word`.
    pub fn inferred_type(&self) -> ParamType {
        let total: u64 = self.types.iter().sum();
        if total == 0 {
            return ParamType::Empty;
        }
        let non_empty = total - self.types[ParamType::Empty.idx()];
        if non_empty == 0 {
            return ParamType::Empty;
        }
        let (best, &n) = self.types[..NTYPES - 1].iter().enumerate().max_by_key(|(_, c)| **c).expect("non-empty");
        if n * 10 >= non_empty * 9 {
            return ParamType::from_idx(best);
        }
        let numeric = self.types[ParamType::Int.idx()] + self.types[ParamType::Float.idx()];
        if numeric * 10 >= non_empty * 9 {
            return ParamType::Float;
        }
        let idish = numeric + self.types[ParamType::Id.idx()] + self.types[ParamType::Hex.idx()];
        if idish * 10 >= non_empty * 9 {
            return ParamType::Id;
        }
        ParamType::Word
    }

    /// A serialisable summary.
    pub fn summary(&self, name: String, index: usize, top_n: usize) -> ParamSummary {
        let (distinct, distinct_exact) = self.distinct();
        let numeric = (self.num_count > 0).then(|| NumericSummary {
            count: self.num_count,
            min: self.min,
            max: self.max,
            mean: self.sum / self.num_count as f64,
        });
        ParamSummary {
            index,
            name,
            r#type: self.inferred_type(),
            count: self.count,
            distinct,
            distinct_exact,
            top_values: self.top.top(top_n).into_iter().map(|(value, count)| TopValue { value, count }).collect(),
            top_counts_exact: self.top.decremented == 0,
            numeric,
            field: false,
        }
    }
}

/// One slot of one template, as stored in parameters.json.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ParamSummary {
    /// 0-based slot number within the template.
    pub index: usize,
    pub name: String,
    pub r#type: ParamType,
    /// Values seen.
    pub count: u64,
    pub distinct: u64,
    /// False when `distinct` is a HyperLogLog estimate.
    pub distinct_exact: bool,
    pub top_values: Vec<TopValue>,
    /// False when counts are Misra–Gries lower bounds.
    pub top_counts_exact: bool,
    pub numeric: Option<NumericSummary>,
    /// A structured field of the line (JSON key, logfmt key) rather than a
    /// slot of the template; `name` is the key and `index` follows the slots.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub field: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TopValue {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NumericSummary {
    pub count: u64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
}

const STOP: &[&str] = &["the", "a", "an", "is", "are", "was", "be", "and", "or", "not", "has", "have", "had"];

fn clean_word(t: &str) -> String {
    t.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_ascii_lowercase()
}

fn is_word(t: &str) -> bool {
    !t.is_empty() && t.chars().all(|c| c.is_ascii_alphabetic() || c == '_' || c == '-' || c == '.') && t.len() <= 24
}

/// Guesses names for the slots of a template from the words around them:
/// `key=<*>` gives `key`; `blk_<*>` gives `blk`; `block <*>` gives `block`;
/// `from <*>` gives `src <type>`, `to <*>` gives `dest <type>`; else the type.
/// Names are unique within the template.
pub fn guess_names(template: &str, types: &[ParamType]) -> Vec<String> {
    let toks: Vec<&str> = template.split_ascii_whitespace().collect();
    let mut names = Vec::new();
    let mut slot = 0usize;
    for (ti, tok) in toks.iter().enumerate() {
        let pieces: Vec<&str> = tok.split("<*>").collect();
        for (pi, before) in pieces.iter().enumerate().take(pieces.len().saturating_sub(1)) {
            let ty = types.get(slot).copied().unwrap_or(ParamType::Word);
            let tyname = match ty {
                ParamType::Int | ParamType::Float => "number",
                ParamType::Empty | ParamType::Word => "value",
                t => t.as_str(),
            };
            // Key inside the token: `key=<*>`, `key:<*>`, `blk_<*>`.
            let inner = before
                .trim_end_matches(['=', ':', '_', '-', '#', '(', '[', '"', '\''])
                .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
                .unwrap_or("");
            let prev_tok = if pi == 0 && ti > 0 { Some(toks[ti - 1]) } else { None };
            let name = if pi == 0 && before.is_empty() || inner.is_empty() {
                match prev_tok.map(clean_word) {
                    Some(w) if w == "from" => format!("src {tyname}"),
                    Some(w) if w == "to" => format!("dest {tyname}"),
                    Some(w) if matches!(w.as_str(), "for" | "of" | "in" | "on" | "at" | "by" | "with") && ti >= 2 => {
                        let w2 = clean_word(toks[ti - 2]);
                        if is_word(&w2) && !w2.is_empty() && !STOP.contains(&w2.as_str()) { format!("{w2} {w}") } else { tyname.to_string() }
                    }
                    Some(w) if is_word(&w) && !STOP.contains(&w.as_str()) && !toks[ti - 1].contains("<*>") => w,
                    _ => {
                        // A slot right after a slot in the same token (`<*>:<*>`) after an IP is a port.
                        if pi > 0 && *before == ":" { "port".to_string() } else { tyname.to_string() }
                    }
                }
            } else if pi > 0 && *before == ":" && matches!(ty, ParamType::Int) {
                "port".to_string()
            } else {
                inner.to_ascii_lowercase()
            };
            names.push(name);
            slot += 1;
        }
    }
    // Make unique.
    let mut seen: rustc_hash::FxHashMap<String, usize> = Default::default();
    let counts = names.iter().fold(rustc_hash::FxHashMap::<String, usize>::default(), |mut m, n| {
        *m.entry(n.clone()).or_default() += 1;
        m
    });
    names
        .into_iter()
        .map(|n| {
            if counts[&n] > 1 {
                let k = seen.entry(n.clone()).or_default();
                *k += 1;
                format!("{n} {k}")
            } else {
                n
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies() {
        assert_eq!(classify("42"), ParamType::Int);
        assert_eq!(classify("-6952295868487656571"), ParamType::Int);
        assert_eq!(classify("0.25"), ParamType::Float);
        assert_eq!(classify("10.251.73.220"), ParamType::Ip);
        assert_eq!(classify("/10.251.73.220"), ParamType::Ip);
        assert_eq!(classify("10.251.73.220:50010"), ParamType::IpPort);
        assert_eq!(classify("0x1f"), ParamType::Hex);
        assert_eq!(classify("250ms"), ParamType::Duration);
        assert_eq!(classify("/user/root/x"), ParamType::Path);
        assert_eq!(classify("req-38101a0b-2096-447d"), ParamType::Id);
        assert_eq!(classify("a64f992e"), ParamType::Hex);
        assert_eq!(classify("root"), ParamType::Word);
        assert_eq!(classify(""), ParamType::Empty);
        assert_eq!(classify("inf"), ParamType::Word);
    }

    #[test]
    fn stats_and_merge() {
        let mut a = SlotStats::new(4);
        for v in ["1", "2", "3"] {
            a.add(v, 1);
        }
        let mut b = SlotStats::new(4);
        for v in ["3", "4", "5", "6"] {
            b.add(v, 2);
        }
        a.merge(&b);
        assert_eq!(a.count, 11);
        let (d, exact) = a.distinct();
        assert!(!exact && d >= 5, "{d}");
        let s = a.summary("n".into(), 0, 3);
        assert_eq!(s.r#type, ParamType::Int);
        let num = s.numeric.unwrap();
        assert_eq!((num.min, num.max), (1.0, 6.0));
        assert_eq!(s.top_values[0], TopValue { value: "3".into(), count: 3 });
    }

    #[test]
    fn names_from_neighbours() {
        let t = "<*>:<*> Served block blk_<*> to /<*>";
        let ty = [ParamType::Ip, ParamType::Int, ParamType::Int, ParamType::Ip];
        assert_eq!(guess_names(t, &ty), ["ip", "port", "blk", "dest ip"]);
        let t = "Failed password for <*> from <*> port <*> ssh2";
        let ty = [ParamType::Word, ParamType::Ip, ParamType::Int];
        assert_eq!(guess_names(t, &ty), ["password for", "src ip", "port"]);
        let t = "Receiving block <*> src: /<*> dest: /<*> size <*>";
        let ty = [ParamType::Id, ParamType::IpPort, ParamType::IpPort, ParamType::Int];
        assert_eq!(guess_names(t, &ty), ["block", "src", "dest", "size"]);
        let t = "a uid=<*> euid=<*> x <*> <*>";
        let ty = [ParamType::Int, ParamType::Int, ParamType::Int, ParamType::Int];
        assert_eq!(guess_names(t, &ty), ["uid", "euid", "x", "number"]);
    }
}
