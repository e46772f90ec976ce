//! The end of a pass: mined clusters that ended with the same text joined,
//! templates and their parameters (slots, then structured fields) as records,
//! workflows and the transition graph canonicalised to the final template
//! ids, and the final mined texts for the second pass.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::block::UNMATCHED;
use super::drain::{Drain, Tok};
use super::fields::FieldStats;
use super::params::{SlotStats, guess_names};
use super::run::{IndexOptions, IndexOutput, RunStats};
use super::templates::KnownTemplate;
use super::workflows::{END, START, Tracker};
use crate::dataset::Dataset;
use crate::dataset::level::LEVELS;
use crate::dataset::timestamp::rfc3339;
use crate::knowledge::{Example, Knowledge, TemplateParams, TemplateRecord, TemplateSource, Transition, WorkflowRecord};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct TplAcc {
    pub(super) count: u64,
    pub(super) first: i64,
    pub(super) last: i64,
    pub(super) levels: [u64; 7],
    pub(super) examples: Vec<Example>,
}

impl TplAcc {
    pub(super) fn new() -> Self {
        Self { first: i64::MAX, last: i64::MIN, ..Default::default() }
    }
}

/// Drain-side parameter statistics, by token position.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct MinedSlots {
    pub(super) by_pos: FxHashMap<usize, SlotStats>,
}

/// Most distinct values of a word slot (no digits) for the slot to be taken
/// as a set of constants: a mined template is split into one per value.
const SPLIT_MAX_DISTINCT: u64 = 4;

#[allow(clippy::too_many_arguments)]
pub(super) fn finish(
    ds: &Dataset,
    known: &[KnownTemplate],
    n_real_known: usize,
    opts: &IndexOptions,
    accs: &[TplAcc],
    known_params: &[Vec<SlotStats>],
    fields_acc: &[FieldStats],
    drain: &Drain,
    mined_slots: &[MinedSlots],
    tracker: &Tracker,
    stats: &mut RunStats,
    line_templates: Option<Vec<u32>>,
) -> IndexOutput {
    let nk = known.len();
    // Mined clusters that ended with the same text are one template.
    let mut by_text: FxHashMap<String, usize> = FxHashMap::default();
    let mut canon: Vec<u32> = (0..nk as u32).collect();
    struct Final {
        id: String,
        text: String,
        source: TemplateSource,
        acc: TplAcc,
        slots: Vec<SlotStats>,
        fields: FieldStats,
    }
    let mut finals: Vec<Final> = Vec::new();
    let mut fields_acc = fields_acc.iter().cloned();
    for (i, ((t, acc), slots)) in known.iter().zip(accs.iter().take(nk)).zip(known_params.iter().cloned()).enumerate() {
        let source = if i < n_real_known { TemplateSource::Known } else { TemplateSource::Mined };
        by_text.entry(t.text.clone()).or_insert(finals.len());
        let fields = fields_acc.next().unwrap_or_default();
        finals.push(Final { id: t.id.clone(), text: t.text.clone(), source, acc: clone_acc(acc), slots, fields });
    }
    let mut mined_n = nk - n_real_known;
    let mut mined_final: Vec<String> = Vec::new();
    for (cid, (c, ms)) in drain.clusters().iter().zip(mined_slots.iter()).enumerate() {
        let text = c.text();
        let slots: Vec<SlotStats> = c
            .tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| matches!(t, Tok::Slot))
            .map(|(p, _)| ms.by_pos.get(&p).cloned().unwrap_or_else(|| SlotStats::new(opts.distinct_exact_limit)))
            .collect();
        let acc = &accs[nk + cid];
        let fields = fields_acc.next().unwrap_or_default();
        match by_text.get(&text) {
            Some(&fi) => {
                let f = &mut finals[fi];
                merge_acc(&mut f.acc, acc, opts.examples_per_template);
                for (a, b) in f.slots.iter_mut().zip(&slots) {
                    a.merge(b);
                }
                f.fields.merge(&fields, opts.distinct_exact_limit);
                canon.push(fi as u32);
            }
            None => {
                mined_n += 1;
                mined_final.extend(split_word_slots(&c.tokens, &slots));
                by_text.insert(text.clone(), finals.len());
                canon.push(finals.len() as u32);
                finals.push(Final { id: format!("M{mined_n}"), text, source: TemplateSource::Mined, acc: clone_acc(acc), slots, fields });
            }
        }
    }
    stats.templates_known = known.iter().zip(accs).take(n_real_known).filter(|(_, a)| a.count > 0).count() as u64;
    stats.templates_mined = finals.iter().filter(|f| f.source == TemplateSource::Mined && f.acc.count > 0).count() as u64;
    // Templates that matched no line (known ones absent from this log, mined ones
    // superseded in the second pass) stay in the store only when known.
    let keep: Vec<bool> = finals.iter().map(|f| f.source == TemplateSource::Known || f.acc.count > 0).collect();
    let mut renumber: Vec<u32> = Vec::with_capacity(finals.len());
    let mut kept = 0u32;
    for &k in &keep {
        renumber.push(kept);
        if k {
            kept += 1;
        }
    }
    for c in canon.iter_mut() {
        *c = renumber[*c as usize];
    }
    let finals: Vec<Final> = finals.into_iter().zip(&keep).filter(|(_, k)| **k).map(|(f, _)| f).collect();
    let line_templates = line_templates.map(|v| v.into_iter().map(|t| if t == UNMATCHED { t } else { canon[t as usize] }).collect());

    let mut k = Knowledge::default();
    for f in &finals {
        let types: Vec<_> = f.slots.iter().map(|s| s.inferred_type()).collect();
        let names = guess_names(&f.text, &types);
        let mut levels = BTreeMap::new();
        for (i, &n) in f.acc.levels.iter().enumerate() {
            if n > 0 {
                levels.insert(LEVELS[i].to_string(), n);
            }
        }
        k.templates.push(TemplateRecord {
            id: f.id.clone(),
            text: f.text.clone(),
            source: f.source,
            count: f.acc.count,
            first_seen: (f.acc.first != i64::MAX).then(|| rfc3339(f.acc.first)),
            last_seen: (f.acc.last != i64::MIN).then(|| rfc3339(f.acc.last)),
            levels,
            examples: f.acc.examples.clone(),
        });
        k.params.push(TemplateParams {
            template_id: f.id.clone(),
            template: f.text.clone(),
            params: f
                .slots
                .iter()
                .enumerate()
                .map(|(i, s)| s.summary(names.get(i).cloned().unwrap_or_else(|| format!("p{i}")), i, opts.top_values))
                .chain(f.fields.summaries(f.slots.len(), opts.top_values))
                .collect(),
        });
    }
    // Workflows.
    let id_of = |t: u32| -> String {
        match t {
            START => "^".into(),
            END => "$".into(),
            t => finals[canon[t as usize] as usize].id.clone(),
        }
    };
    // (kind, template ids) -> (support, example sessions, first seen order)
    type Group = (u64, Vec<String>, u64);
    let mut merged: BTreeMap<(u8, Vec<String>), Group> = BTreeMap::new();
    // In order of first appearance, not the map's (examples are taken in this order).
    let mut seqs: Vec<_> = tracker.seqs.iter().collect();
    seqs.sort_by_key(|(k, a)| (a.first_order, k.0));
    for ((kind, seq), acc) in seqs {
        // Collapse again after canonicalising mined ids.
        let mut ids: Vec<String> = Vec::with_capacity(seq.len());
        for &t in seq {
            let id = id_of(t);
            if ids.last() != Some(&id) {
                ids.push(id);
            }
        }
        let e = merged.entry((*kind, ids)).or_insert((0, Vec::new(), acc.first_order));
        e.0 += acc.support;
        e.2 = e.2.min(acc.first_order);
        for ex in &acc.examples {
            if e.1.len() < opts.workflow.examples {
                e.1.push(ex.to_string());
            }
        }
    }
    let mut wf: Vec<_> = merged.into_iter().filter(|(_, v)| v.0 >= opts.workflow_min_support).collect();
    wf.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.1.2.cmp(&b.1.2)));
    wf.truncate(opts.workflow.max_workflows);
    for (i, ((kind, ids), (support, ex, _))) in wf.into_iter().enumerate() {
        k.workflows.push(WorkflowRecord {
            id: format!("W{}", i + 1),
            session_kind: ds.sessions.get(kind as usize).map_or_else(String::new, |s| s.name.clone()),
            templates: ids,
            support,
            example_sessions: ex,
        });
    }
    let mut trans: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (&(a, b), &n) in &tracker.transitions {
        let (x, y) = (id_of(a), id_of(b));
        if x != y {
            *trans.entry((x, y)).or_default() += n;
        }
    }
    let mut tv: Vec<Transition> = trans.into_iter().map(|((from, to), count)| Transition { from, to, count }).collect();
    tv.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| (&a.from, &a.to).cmp(&(&b.from, &b.to))));
    k.transitions = tv;
    k.sessions = tracker.stats.clone();
    IndexOutput { knowledge: k, stats: RunStats::default(), line_templates, mined_final }
}

/// The final texts of a mined template: itself, or, when one of its slots holds
/// at most [`SPLIT_MAX_DISTINCT`] words without digits (`VM <*>` over Started,
/// Paused, Resumed), one template per word.
fn split_word_slots(tokens: &[Tok], slots: &[SlotStats]) -> Vec<String> {
    let positions: Vec<usize> = tokens.iter().enumerate().filter(|(_, t)| matches!(t, Tok::Slot)).map(|(p, _)| p).collect();
    let mut best: Option<(usize, Vec<String>)> = None;
    for (si, s) in slots.iter().enumerate() {
        let (distinct, exact) = s.distinct();
        if !exact || !(2..=SPLIT_MAX_DISTINCT).contains(&distinct) || !s.top_exact() {
            continue;
        }
        let values: Vec<String> = s.top_values_all().into_iter().map(|(v, _)| v).collect();
        if values.len() as u64 != distinct || !values.iter().all(|v| !v.is_empty() && !super::mask::is_variable(v)) {
            continue;
        }
        if best.as_ref().is_none_or(|(_, b)| values.len() < b.len()) {
            best = Some((positions[si], values));
        }
    }
    let render = |fill: Option<(usize, &str)>| -> String {
        let mut out = String::new();
        for (i, t) in tokens.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            match (t, fill) {
                (_, Some((p, v))) if p == i => out.push_str(v),
                (Tok::Lit(l), _) => out.push_str(l),
                (Tok::Slot, _) => out.push_str("<*>"),
            }
        }
        out
    };
    match best {
        Some((p, values)) => values.iter().map(|v| render(Some((p, v)))).collect(),
        None => vec![render(None)],
    }
}

pub(super) fn clone_acc(a: &TplAcc) -> TplAcc {
    TplAcc { count: a.count, first: a.first, last: a.last, levels: a.levels, examples: a.examples.clone() }
}

pub(super) fn merge_acc(a: &mut TplAcc, b: &TplAcc, max_examples: usize) {
    a.count += b.count;
    a.first = a.first.min(b.first);
    a.last = a.last.max(b.last);
    for i in 0..a.levels.len() {
        a.levels[i] += b.levels[i];
    }
    a.examples.extend(b.examples.iter().cloned());
    a.examples.sort_by_key(|e| e.line);
    a.examples.truncate(max_examples);
}

