//! The two passes of a run, and reading on from where they stopped.
//!
//! [`start`] reads an input from its start: pass 1 matches the dataset's
//! templates and mines the rest; when anything was mined, pass 2 reads the
//! same bytes again, matching the known and the final mined templates. The
//! states of both passes ([`Resumable`]) can be saved.
//!
//! [`resume`] reads only what was appended since: pass 1 goes on exactly as if
//! it had read the whole input at once (Drain, sessions and counters are
//! sequential and saved whole). If the final mined templates did not change,
//! pass 2 goes on over the new part too; if they did (a template generalised,
//! a new one split off), earlier lines may now belong elsewhere, so pass 2
//! reads the whole input again with the new templates ([`Continued::Rematched`]),
//! still skipping pass 1 over the old part.
//!
//! When the new part only adds mined templates (after the others, as a whole
//! run would number them), pass 2 takes them on and reads only the new part
//! ([`Continued::NewTemplates`]): an earlier line keeps the template it
//! matched even if a new one would fit it more closely (a new template is
//! mined only from a line no existing one fits, so this is rare).
//!
//! What is exact and what is approximate against indexing the whole input at
//! once: templates, their ids, counts, levels, first/last seen, examples,
//! distinct counts, numeric min/max/count, types, sessions and workflows are
//! the same (sessions spanning the boundary are kept open in the saved state;
//! a multiline record cut by the boundary is not joined). Two things depend
//! on where blocks are cut, and so may differ: top-value counts once a slot
//! has more than 64 distinct values (Misra–Gries merges; they are flagged
//! `top_counts_exact: false` either way) and the last bits of a numeric mean
//! (floating-point sums in another order).

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::event::{IndexEvent, Phase};
use super::pass::{Feed, Known, PassState};
use super::run::{IndexError, IndexOptions, IndexOutput};
use super::templates::KnownTemplate;
use crate::dataset::Dataset;

/// Everything needed to read on: both passes' states.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resumable {
    pass1: PassState,
    /// Present when anything was mined.
    pass2: Option<PassState>,
    /// The final mined texts pass 2 matches (ids `M1`, `M2`... in this order).
    mined_final: Vec<String>,
    /// How many of the dataset's templates were used.
    known: usize,
    /// xxh3 of the input read, chained over the runs (see [`chain_hash`]).
    input_hash: String,
}

impl Resumable {
    /// Lines read so far.
    pub fn lines(&self) -> u64 {
        self.pass1.stats().lines
    }

    /// Whether its parts fit together (a state read back from disk).
    pub fn consistent(&self) -> bool {
        self.pass1.consistent()
            && self.pass2.as_ref().is_none_or(|p| p.consistent() && p.known_len() == self.known + self.mined_final.len())
    }

    /// Whether this state was made with `n` of the dataset's templates.
    pub fn made_with(&self, n: usize) -> bool {
        self.known == n && self.pass1.known_len() == n
    }
}

/// How pass 2 went on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continued {
    /// Only the new part was read (the mined templates did not change).
    Appended,
    /// Only the new part was read; templates mined from it were added after
    /// the others (earlier lines keep the templates they matched).
    NewTemplates,
    /// The mined templates changed: pass 2 read the whole input again.
    Rematched,
}

/// A finished (partial or whole) run.
#[derive(Debug)]
pub struct Outcome {
    pub output: IndexOutput,
    pub state: Resumable,
    /// What was read this time.
    pub feed: Feed,
    pub continued: Continued,
}

fn used(known: &[KnownTemplate], opts: &IndexOptions) -> Vec<KnownTemplate> {
    if opts.use_known_templates { known.to_vec() } else { Vec::new() }
}

fn with_mined(known_used: &[KnownTemplate], mined: &[String]) -> Vec<KnownTemplate> {
    let mut all = known_used.to_vec();
    for (i, t) in mined.iter().enumerate() {
        all.push(KnownTemplate { id: format!("M{}", i + 1), text: t.clone() });
    }
    all
}

/// The hash of an input read in parts: the first part's xxh3 as is (so a
/// whole run gives the xxh3 of the input), then xxh3 of `previous:part`.
pub fn chain_hash(previous: &str, part: u64) -> String {
    if previous.is_empty() {
        format!("{part:016x}")
    } else {
        format!("{:016x}", xxhash_rust::xxh3::xxh3_64(format!("{previous}:{part:016x}").as_bytes()))
    }
}

fn conclude(pass: &PassState, ds: &Dataset, known: &Known<'_>, opts: &IndexOptions, on_event: &(dyn Fn(IndexEvent) + Sync)) -> IndexOutput {
    let t = Instant::now();
    on_event(IndexEvent::Started { phase: Phase::Finish, total_bytes: None });
    let out = pass.conclude(ds, known, opts);
    on_event(IndexEvent::Finished { phase: Phase::Finish, lines: out.stats.lines, secs: t.elapsed().as_secs_f64() });
    out
}

/// Reads `input` from its start (`len` bytes at most).
pub fn start(
    ds: &Dataset,
    input: &Path,
    known: &[KnownTemplate],
    opts: &IndexOptions,
    len: Option<u64>,
    on_event: &(dyn Fn(IndexEvent) + Sync),
    cancel: &AtomicBool,
) -> Result<Outcome, IndexError> {
    let started = Instant::now();
    let known_used = used(known, opts);
    let k1 = Known { templates: &known_used, real: known_used.len() };
    let mut pass1 = PassState::new(&k1, opts);
    let feed = pass1.feed(ds, input, 0, len, &k1, opts, on_event, cancel)?;
    if pass1.stats().lines == 0 || feed.bytes == 0 {
        return Err(IndexError::Empty { path: input.display().to_string() });
    }
    let out1 = conclude(&pass1, ds, &k1, opts, on_event);
    let input_hash = chain_hash("", feed.hash);
    let mined_final = out1.mined_final.clone();
    let (mut output, pass2) = if mined_final.is_empty() {
        (out1, None)
    } else {
        let all = with_mined(&known_used, &mined_final);
        let k2 = Known { templates: &all, real: known_used.len() };
        let mut p2 = PassState::new(&k2, opts);
        // The same bytes as pass 1, even if the file grew in between.
        let same = (!feed.gzip).then_some(feed.bytes);
        p2.feed(ds, input, 0, same, &k2, opts, on_event, cancel)?;
        (conclude(&p2, ds, &k2, opts, on_event), Some(p2))
    };
    output.stats.input_hash = input_hash.clone();
    output.stats.secs = started.elapsed().as_secs_f64();
    let state = Resumable { pass1, pass2, mined_final, known: known_used.len(), input_hash };
    Ok(Outcome { output, state, feed, continued: Continued::Appended })
}

/// Why a saved state cannot be read on.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error("the saved state was made with {saved} of the dataset's templates, now {now}")]
    KnownChanged { saved: usize, now: usize },
    #[error("a gzip input cannot be read from an offset")]
    Gzip,
    #[error("the saved state does not hold together")]
    Inconsistent,
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// Reads `input` from byte `from` (where `saved` stopped; `len` bytes at
/// most) and goes on with both passes (see the module doc).
#[allow(clippy::too_many_arguments)]
pub fn resume(
    ds: &Dataset,
    input: &Path,
    known: &[KnownTemplate],
    opts: &IndexOptions,
    saved: Resumable,
    from: u64,
    len: Option<u64>,
    on_event: &(dyn Fn(IndexEvent) + Sync),
    cancel: &AtomicBool,
) -> Result<Outcome, ResumeError> {
    let started = Instant::now();
    let known_used = used(known, opts);
    if !saved.made_with(known_used.len()) {
        return Err(ResumeError::KnownChanged { saved: saved.known, now: known_used.len() });
    }
    if !saved.consistent() {
        return Err(ResumeError::Inconsistent);
    }
    let Resumable { mut pass1, pass2, mined_final, known: n_known, input_hash } = saved;
    if pass1.stats().gzip {
        return Err(ResumeError::Gzip);
    }
    let k1 = Known { templates: &known_used, real: known_used.len() };
    let feed = pass1.feed(ds, input, from, len, &k1, opts, on_event, cancel)?;
    let out1 = conclude(&pass1, ds, &k1, opts, on_event);
    let input_hash = chain_hash(&input_hash, feed.hash);
    let mined = out1.mined_final.clone();
    let all = with_mined(&known_used, &mined);
    let k2 = Known { templates: &all, real: known_used.len() };
    // Pass 2 reads on when the mined templates are the same, or new ones follow them.
    let pass2 = pass2.and_then(|mut p2| (mined.starts_with(&mined_final) && p2.extend_known(&k2, opts)).then_some(p2));
    let (mut output, pass2, continued) = match pass2 {
        None if mined.is_empty() => (out1, None, Continued::Appended),
        Some(mut p2) => {
            p2.feed(ds, input, from, Some(feed.bytes), &k2, opts, on_event, cancel)?;
            let continued = if mined.len() == mined_final.len() { Continued::Appended } else { Continued::NewTemplates };
            (conclude(&p2, ds, &k2, opts, on_event), Some(p2), continued)
        }
        _ => {
            let mut p2 = PassState::new(&k2, opts);
            p2.feed(ds, input, 0, Some(from + feed.bytes), &k2, opts, on_event, cancel)?;
            (conclude(&p2, ds, &k2, opts, on_event), Some(p2), Continued::Rematched)
        }
    };
    output.stats.input_hash = input_hash.clone();
    output.stats.secs = started.elapsed().as_secs_f64();
    let state = Resumable { pass1, pass2, mined_final: mined, known: n_known, input_hash };
    Ok(Outcome { output, state, feed, continued })
}

/// The knowledge of a saved state, without reading anything.
pub fn conclude_saved(
    ds: &Dataset,
    known: &[KnownTemplate],
    opts: &IndexOptions,
    state: &Resumable,
    on_event: &(dyn Fn(IndexEvent) + Sync),
) -> IndexOutput {
    let known_used = used(known, opts);
    let mut out = match &state.pass2 {
        Some(p2) => {
            let all = with_mined(&known_used, &state.mined_final);
            conclude(p2, ds, &Known { templates: &all, real: known_used.len() }, opts, on_event)
        }
        None => conclude(&state.pass1, ds, &Known { templates: &known_used, real: known_used.len() }, opts, on_event),
    };
    out.stats.input_hash = state.input_hash.clone();
    out
}
