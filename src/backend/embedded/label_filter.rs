//! Label filters (`| status >= 400 or level="error"`, `| took > 10ms`,
//! `| size > 1KB`): string matchers, and numbers, Go durations and byte
//! sizes converted from the label value, with Loki's `LabelFilterErr` when a
//! value does not convert.

use crate::backend::BackendError;
use crate::logql::{CmpOp, LabelFilter};

use super::ip::IpPattern;
use super::labels::LabelsBuilder;
use super::matcher::LabelMatcher;
use super::stages::LABEL_FILTER_ERR;
use super::units::{parse_go_duration, parse_go_float, parse_humanize_bytes};

/// A compiled label filter expression.
#[derive(Debug, Clone)]
pub enum LabelFilterC {
    And(Box<LabelFilterC>, Box<LabelFilterC>),
    Or(Box<LabelFilterC>, Box<LabelFilterC>),
    Str(LabelMatcher),
    Num { name: String, op: CmpOp, value: f64 },
    Dur { name: String, op: CmpOp, value: i64 },
    Bytes { name: String, op: CmpOp, value: u64 },
    Ip { name: String, negated: bool, pattern: IpPattern },
}

fn cmp<T: PartialOrd>(op: CmpOp, a: T, b: T) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Neq => a != b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
    }
}

impl LabelFilterC {
    pub fn new(f: &LabelFilter) -> Result<Self, BackendError> {
        Ok(match f {
            LabelFilter::And(a, b) => Self::And(Box::new(Self::new(a)?), Box::new(Self::new(b)?)),
            LabelFilter::Or(a, b) => Self::Or(Box::new(Self::new(a)?), Box::new(Self::new(b)?)),
            LabelFilter::String(m) => Self::Str(LabelMatcher::new(m)?),
            LabelFilter::Number { name, op, value } => Self::Num { name: name.clone(), op: *op, value: *value },
            LabelFilter::Duration { name, op, value } => Self::Dur { name: name.clone(), op: *op, value: *value },
            LabelFilter::Bytes { name, op, value } => Self::Bytes { name: name.clone(), op: *op, value: *value },
            LabelFilter::Ip { name, negated, pattern } => Self::Ip { name: name.clone(), negated: *negated, pattern: IpPattern::parse(pattern)? },
        })
    }

    /// Label names it reads.
    pub fn names(&self, out: &mut Vec<String>) {
        match self {
            Self::And(a, b) | Self::Or(a, b) => {
                a.names(out);
                b.names(out);
            }
            Self::Str(m) => out.push(m.name.clone()),
            Self::Num { name, .. } | Self::Dur { name, .. } | Self::Bytes { name, .. } | Self::Ip { name, .. } => out.push(name.clone()),
        }
    }

    /// Whether the line passes; a value that does not convert passes with a
    /// `LabelFilterErr` (unless an error is already set).
    pub fn process(&self, lbs: &mut LabelsBuilder<'_>) -> bool {
        match self {
            Self::And(a, b) => {
                let l = a.process(lbs);
                let r = b.process(lbs);
                l && r
            }
            Self::Or(a, b) => a.process(lbs) || b.process(lbs),
            Self::Str(m) => m.matches(lbs.filter_value(&m.name)),
            Self::Num { name, op, value } => {
                let Some(v) = lbs.get(name) else { return false };
                match parse_go_float(v) {
                    Ok(x) => cmp(*op, x, *value),
                    Err(e) => conversion_failed(lbs, &e),
                }
            }
            Self::Dur { name, op, value } => {
                let Some(v) = lbs.get(name) else { return false };
                match parse_go_duration(v) {
                    Ok(x) => cmp(*op, x, *value),
                    Err(e) => conversion_failed(lbs, &e),
                }
            }
            Self::Bytes { name, op, value } => {
                let Some(v) = lbs.get(name) else { return false };
                match parse_humanize_bytes(v) {
                    Ok(x) => cmp(*op, x, *value),
                    Err(e) => conversion_failed(lbs, &e),
                }
            }
            // As Loki: a line that already has an error passes; a missing label does not.
            Self::Ip { name, negated, pattern } => {
                if lbs.has_err() {
                    return true;
                }
                let Some(v) = lbs.get(name) else { return false };
                pattern.found_in(v.as_bytes()) != *negated
            }
        }
    }
}

fn conversion_failed(lbs: &mut LabelsBuilder<'_>, e: &str) -> bool {
    if !lbs.has_err() {
        lbs.set_err(LABEL_FILTER_ERR);
        lbs.set_err_details(e);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::labels::Hints;
    use super::*;
    use crate::logql::{MatchOp, Matcher};

    fn base() -> Vec<(String, String)> {
        vec![("app".into(), "x".into()), ("level".into(), "INFO".into())]
    }

    #[test]
    fn label_filters_convert() {
        let b = base();
        let h = Hints::all();
        let mut l = LabelsBuilder::new(&b, &h);
        l.set("took", "1.5s");
        l.set("size", "20KB");
        l.set("status", "abc");
        let d = LabelFilterC::Dur { name: "took".into(), op: CmpOp::Gt, value: 1_000_000_000 };
        assert!(d.process(&mut l));
        let by = LabelFilterC::Bytes { name: "size".into(), op: CmpOp::Ge, value: 20_000 };
        assert!(by.process(&mut l));
        let missing = LabelFilterC::Num { name: "nope".into(), op: CmpOp::Gt, value: 1.0 };
        assert!(!missing.process(&mut l));
        let bad = LabelFilterC::Num { name: "status".into(), op: CmpOp::Ge, value: 400.0 };
        assert!(bad.process(&mut l));
        assert_eq!(l.err(), LABEL_FILTER_ERR);
        let e = LabelFilterC::new(&LabelFilter::String(Matcher { name: "__error__".into(), op: MatchOp::Eq, value: "".into() })).unwrap();
        assert!(!e.process(&mut l));
    }
}
