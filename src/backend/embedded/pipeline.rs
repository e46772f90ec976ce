//! A compiled log pipeline: the stages after a stream selector, run on one
//! line and its labels. Leading line filters are split off so the scanner
//! can run them on the raw bytes before it even parses the header.

use std::sync::OnceLock;

use regex::Regex;

use crate::backend::BackendError;
use crate::logql::{LabelFmt, LabelSel, ParserStage, Stage};

use super::compile_error;
use super::filter::CompiledLineFilter;
use super::json::{self, PathStep};
use super::labels::{ERROR_DETAILS_LABEL, ERROR_LABEL, LabelsBuilder, PRESERVE_ERROR_LABEL};
use super::matcher::LabelMatcher;
use super::pattern::Pattern;
use super::label_filter::LabelFilterC;
use super::stages::{self, Logfmt, RegexpParser, TEMPLATE_ERR};
use super::template::{Data, Template};

#[derive(Debug)]
enum CStage {
    Filter(CompiledLineFilter),
    Json(Vec<(String, Vec<PathStep>)>),
    Logfmt(Logfmt),
    Regexp(RegexpParser),
    Pattern(Pattern),
    Unpack,
    LabelFilter(LabelFilterC),
    LineFormat(Template),
    LabelFormat(Vec<LabelFmtC>),
    Drop(Vec<(String, Option<LabelMatcher>)>),
    Keep(Vec<(String, Option<LabelMatcher>)>),
    Decolorize,
}

#[derive(Debug)]
enum LabelFmtC {
    Rename { dst: String, src: String },
    Template { dst: String, tpl: Template },
}

/// Per-worker scratch space of a pipeline (regex capture slots per stage).
#[derive(Debug, Default)]
pub struct Scratch {
    locs: Vec<Option<regex::CaptureLocations>>,
}

/// A compiled pipeline.
#[derive(Debug)]
pub struct Pipeline {
    leading: Vec<CompiledLineFilter>,
    stages: Vec<CStage>,
    required: Vec<String>,
}

/// The line being processed: the raw text or a formatted replacement.
pub struct Line<'a> {
    orig: &'a str,
    owned: Option<String>,
}

impl<'a> Line<'a> {
    pub fn new(orig: &'a str) -> Self {
        Self { orig, owned: None }
    }

    pub fn as_str(&self) -> &str {
        self.owned.as_deref().unwrap_or(self.orig)
    }

    pub fn into_string(self) -> String {
        self.owned.unwrap_or_else(|| self.orig.to_string())
    }

    fn set(&mut self, s: String) {
        self.owned = Some(s);
    }
}

fn sel(s: &LabelSel) -> Result<(String, Option<LabelMatcher>), BackendError> {
    let m = match &s.matcher {
        Some((op, v)) => Some(LabelMatcher::from_parts(&s.name, *op, v)?),
        None => None,
    };
    Ok((s.name.clone(), m))
}

impl Pipeline {
    /// Compiles stages. `drop_line_format`: a metric query whose result does
    /// not depend on the line drops `line_format` stages not followed by a
    /// parser or line filter (as Loki's optimiser does).
    pub fn new(stages: &[Stage], drop_line_format: bool) -> Result<Self, BackendError> {
        let mut out = Self { leading: Vec::new(), stages: Vec::new(), required: Vec::new() };
        for (i, st) in stages.iter().enumerate() {
            let c = match st {
                Stage::LineFilter(f) => CStage::Filter(CompiledLineFilter::new(f)?),
                Stage::Parser(p) => match p {
                    ParserStage::Json(params) if params.is_empty() => CStage::Json(Vec::new()),
                    ParserStage::Json(params) => {
                        let mut ps = Vec::new();
                        for p in params {
                            if !stages::valid_label_name(&p.label) {
                                return Err(compile_error(format!("invalid extracted label name '{}'", p.label)));
                            }
                            ps.push((p.label.clone(), json::parse_path(&p.expr).map_err(compile_error)?));
                        }
                        CStage::Json(ps)
                    }
                    ParserStage::Logfmt { strict, keep_empty, params } => CStage::Logfmt(Logfmt {
                        strict: *strict,
                        keep_empty: *keep_empty,
                        params: params.iter().map(|p| (p.label.clone(), p.expr.clone())).collect(),
                    }),
                    ParserStage::Regexp(re) => CStage::Regexp(RegexpParser::new(re)?),
                    ParserStage::Pattern(p) => {
                        let pat = Pattern::parser(p).map_err(compile_error)?;
                        if let Some(n) = pat.names().iter().find(|n| !stages::valid_label_name(n)) {
                            return Err(compile_error(format!("invalid capture label name '{n}'")));
                        }
                        CStage::Pattern(pat)
                    }
                    ParserStage::Unpack => CStage::Unpack,
                },
                Stage::LabelFilter(f) => {
                    let c = LabelFilterC::new(f)?;
                    c.names(&mut out.required);
                    CStage::LabelFilter(c)
                }
                Stage::LineFormat(t) => {
                    if drop_line_format && !stages[i + 1..].iter().any(|s| matches!(s, Stage::Parser(_) | Stage::LineFilter(_))) {
                        continue;
                    }
                    let tpl = Template::new(t).map_err(|e| compile_error(format!("invalid line template: {e}")))?;
                    out.required.extend(tpl.fields().iter().cloned());
                    CStage::LineFormat(tpl)
                }
                Stage::LabelFormat(fmts) => {
                    let mut seen: Vec<&str> = Vec::new();
                    let mut cs = Vec::new();
                    for f in fmts {
                        let dst = match f {
                            LabelFmt::Rename { dst, .. } | LabelFmt::Template { dst, .. } => dst.as_str(),
                        };
                        if dst == ERROR_LABEL {
                            return Err(compile_error(format!("{dst} cannot be formatted")));
                        }
                        if seen.contains(&dst) {
                            return Err(compile_error(format!("multiple label name '{dst}' not allowed in a single format operation")));
                        }
                        seen.push(dst);
                        cs.push(match f {
                            LabelFmt::Rename { dst, src } => {
                                out.required.push(src.clone());
                                LabelFmtC::Rename { dst: dst.clone(), src: src.clone() }
                            }
                            LabelFmt::Template { dst, template } => {
                                let tpl = Template::new(template)
                                    .map_err(|e| compile_error(format!("invalid template for label '{dst}': {e}")))?;
                                out.required.extend(tpl.fields().iter().cloned());
                                LabelFmtC::Template { dst: dst.clone(), tpl }
                            }
                        });
                    }
                    CStage::LabelFormat(cs)
                }
                Stage::Drop(s) => CStage::Drop(s.iter().map(sel).collect::<Result<_, _>>()?),
                Stage::Keep(s) => CStage::Keep(s.iter().map(sel).collect::<Result<_, _>>()?),
                Stage::Decolorize => CStage::Decolorize,
            };
            match c {
                CStage::Filter(f) if out.stages.is_empty() => out.leading.push(f),
                c => out.stages.push(c),
            }
        }
        out.required.sort();
        out.required.dedup();
        Ok(out)
    }

    /// Line filters that run on the raw line, before anything else.
    pub fn leading_filters(&self) -> &[CompiledLineFilter] {
        &self.leading
    }

    /// Whether anything beyond the leading filters runs (labels may change).
    pub fn has_stages(&self) -> bool {
        !self.stages.is_empty()
    }

    /// Label names the stages read (Loki's `RequiredLabelNames`).
    pub fn required_labels(&self) -> &[String] {
        &self.required
    }

    /// Runs the leading filters on raw bytes.
    #[inline]
    pub fn pass_leading(&self, line: &[u8]) -> bool {
        self.leading.iter().all(|f| f.matches(line))
    }

    /// Runs the stages after the leading filters; false drops the line.
    pub fn process(&self, ts: i64, line: &mut Line<'_>, lbs: &mut LabelsBuilder<'_>, scratch: &mut Scratch) -> bool {
        if scratch.locs.len() < self.stages.len() {
            scratch.locs.resize_with(self.stages.len(), || None);
        }
        for (si, st) in self.stages.iter().enumerate() {
            match st {
                CStage::Filter(f) => {
                    if !f.matches(line.as_str().as_bytes()) {
                        return false;
                    }
                }
                CStage::Json(params) if params.is_empty() => stages::json_all(line.as_str().as_bytes(), lbs),
                CStage::Json(params) => stages::json_params(line.as_str().as_bytes(), params, lbs),
                CStage::Logfmt(l) => l.process(line.as_str().as_bytes(), lbs),
                CStage::Regexp(r) => r.process(line.as_str(), lbs, &mut scratch.locs[si]),
                CStage::Pattern(p) => stages::pattern(p, line.as_str().as_bytes(), lbs),
                CStage::Unpack => {
                    if let Some(e) = stages::unpack(line.as_str().as_bytes(), lbs) {
                        line.set(e);
                    }
                }
                CStage::LabelFilter(f) => {
                    if !f.process(lbs) {
                        return false;
                    }
                }
                CStage::LineFormat(t) => {
                    let mut out = String::new();
                    let r = t.render(&BuilderData(lbs), line.as_str(), ts, &mut out);
                    match r {
                        Ok(()) => line.set(out),
                        Err(e) => {
                            lbs.set_err(TEMPLATE_ERR);
                            lbs.set_err_details(&e);
                        }
                    }
                }
                CStage::LabelFormat(fmts) => label_format(fmts, ts, line.as_str(), lbs),
                CStage::Drop(sels) => {
                    for (name, m) in sels {
                        drop_label(name, m.as_ref(), lbs);
                    }
                }
                CStage::Keep(sels) => {
                    if sels.is_empty() {
                        continue;
                    }
                    for n in lbs.names() {
                        if n == ERROR_LABEL || n == ERROR_DETAILS_LABEL || n == PRESERVE_ERROR_LABEL {
                            continue;
                        }
                        let keep = sels.iter().any(|(name, m)| match m {
                            Some(m) => m.name == n && m.matches(lbs.get(&n).unwrap_or("")),
                            None => *name == n,
                        });
                        if !keep {
                            lbs.del(&n);
                        }
                    }
                }
                CStage::Decolorize => {
                    if let Some(re) = ansi() {
                        let stripped = re.replace_all(line.as_str(), "").into_owned();
                        line.set(stripped);
                    }
                }
            }
        }
        true
    }
}

fn ansi() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new("[\u{1b}\u{9b}][\\[\\]()#;?]*(?:(?:(?:[a-zA-Z\\d]*(?:;[a-zA-Z\\d]*)*)?\u{7})|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PRZcf-ntqry=><~]))").ok()
    })
    .as_ref()
}

fn drop_label(name: &str, m: Option<&LabelMatcher>, lbs: &mut LabelsBuilder<'_>) {
    let value = if name == ERROR_LABEL {
        lbs.err().to_string()
    } else if name == ERROR_DETAILS_LABEL {
        lbs.err_details().to_string()
    } else {
        lbs.get(name).unwrap_or("").to_string()
    };
    if let Some(m) = m {
        if !m.matches(&value) {
            return;
        }
    }
    if name == ERROR_LABEL {
        lbs.reset_err();
    } else if name == ERROR_DETAILS_LABEL {
        lbs.reset_err_details();
    } else if m.is_some() || lbs.get(name).is_some() {
        lbs.del(name);
    }
}

fn label_format(fmts: &[LabelFmtC], ts: i64, line: &str, lbs: &mut LabelsBuilder<'_>) {
    let mut snapshot: Option<Vec<(String, String)>> = None;
    let mut out = String::new();
    for f in fmts {
        match f {
            LabelFmtC::Rename { dst, src } => {
                if let Some(v) = lbs.get(src).map(str::to_string) {
                    lbs.set(dst, &v);
                    lbs.del(src);
                }
            }
            LabelFmtC::Template { dst, tpl } => {
                let data = snapshot.get_or_insert_with(|| {
                    let mut v = Vec::new();
                    lbs.for_each(|n, val| v.push((n.to_string(), val.to_string())));
                    v
                });
                match tpl.render(&MapData(data), line, ts, &mut out) {
                    Ok(()) => lbs.set(dst, &out),
                    Err(e) => {
                        lbs.set_err(TEMPLATE_ERR);
                        lbs.set_err_details(&e);
                    }
                }
            }
        }
    }
}

struct BuilderData<'b, 'a>(&'b LabelsBuilder<'a>);

impl Data for BuilderData<'_, '_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.template_value(name)
    }
    fn all(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        self.0.for_each(|n, val| v.push((n.to_string(), val.to_string())));
        v
    }
}

struct MapData<'a>(&'a [(String, String)]);

impl Data for MapData<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
    fn all(&self) -> Vec<(String, String)> {
        self.0.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::super::labels::Hints;
    use super::*;
    use crate::logql::{FilterOp, LabelFilter, LineFilter, MatchOp, Matcher};

    fn run(stages: &[Stage], raw: &str) -> Option<(String, crate::logql::value::Labels)> {
        let p = Pipeline::new(stages, false).unwrap();
        if !p.pass_leading(raw.as_bytes()) {
            return None;
        }
        let base = vec![("app".to_string(), "openssh".to_string())];
        let h = Hints::all();
        let mut l = LabelsBuilder::new(&base, &h);
        let mut line = Line::new(raw);
        p.process(1, &mut line, &mut l, &mut Scratch::default()).then(|| (line.into_string(), l.labels()))
    }

    #[test]
    fn pattern_then_line_format() {
        let st = vec![
            Stage::Parser(ParserStage::Pattern("<_> sshd[<pid>]: <msg>".into())),
            Stage::LineFormat("{{.pid}} {{.msg}}".into()),
        ];
        let (line, labels) = run(&st, "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user x").unwrap();
        assert_eq!(line, "24200 Invalid user x");
        assert_eq!(labels.get("pid").map(String::as_str), Some("24200"));
    }

    #[test]
    fn filters_formats_drop_keep() {
        let st = vec![
            Stage::LineFilter(LineFilter { op: FilterOp::Contains, values: vec!["Invalid".into()] }),
            Stage::Parser(ParserStage::Regexp(r"Invalid user (?P<user>\S+) from (?P<ip>\S+)".into())),
            Stage::LabelFormat(vec![LabelFmt::Template { dst: "who".into(), template: "{{.user}}@{{.ip}}".into() }]),
            Stage::LabelFilter(LabelFilter::String(Matcher { name: "user".into(), op: MatchOp::Neq, value: "".into() })),
            Stage::Drop(vec![LabelSel { name: "ip".into(), matcher: None }]),
        ];
        let (_, labels) = run(&st, "sshd[1]: Invalid user admin from 1.2.3.4").unwrap();
        assert_eq!(labels.get("who").map(String::as_str), Some("admin@1.2.3.4"));
        assert!(!labels.contains_key("ip"));
        assert!(run(&st, "sshd[1]: Accepted").is_none());
        let keep = vec![Stage::Parser(ParserStage::Logfmt { strict: false, keep_empty: false, params: vec![] }), Stage::Keep(vec![LabelSel { name: "a".into(), matcher: None }])];
        let (_, labels) = run(&keep, "a=1 b=2").unwrap();
        assert_eq!(labels.len(), 1);
    }

    #[test]
    fn line_format_error_keeps_line() {
        let st = vec![Stage::LineFormat("{{ ToUpper 1 }}".into())];
        let (line, labels) = run(&st, "orig").unwrap();
        assert_eq!(line, "orig");
        assert_eq!(labels.get(ERROR_LABEL).map(String::as_str), Some(TEMPLATE_ERR));
    }

    #[test]
    fn metric_queries_drop_trailing_line_format() {
        let st = vec![Stage::LineFormat("{{ ToUpper 1 }}".into())];
        let p = Pipeline::new(&st, true).unwrap();
        assert!(!p.has_stages());
        let st2 = vec![Stage::LineFormat("{{.a}}".into()), Stage::LineFilter(LineFilter { op: FilterOp::Contains, values: vec!["x".into()] })];
        assert!(Pipeline::new(&st2, true).unwrap().has_stages());
    }
}
