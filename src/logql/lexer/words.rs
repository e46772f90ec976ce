//! Words: which are keywords everywhere (`by`, `json`, `or`), which are
//! function names only before a call (`rate`, `sum`, `bytes`), and Loki's
//! rule for telling a call apart.

use super::TokenKind;
use crate::logql::ast::{RangeOp, VectorOp};

/// Loki's `isFunction`: after optional spaces, a `(`, or `by`/`without`
/// followed (after optional spaces) by a `(`.
pub(super) fn call_follows(rest: &str) -> bool {
    let rest = rest.trim_start();
    if rest.starts_with('(') {
        return true;
    }
    for kw in ["by", "without"] {
        if let Some(head) = rest.get(..kw.len())
            && head.eq_ignore_ascii_case(kw)
        {
            return rest[kw.len()..].trim_start().starts_with('(');
        }
    }
    false
}

pub(super) fn function_kind(word: &str) -> Option<TokenKind> {
    if let Some(op) = RangeOp::from_name(word) {
        return Some(TokenKind::RangeFn(op));
    }
    if let Some(op) = VectorOp::from_name(word) {
        return Some(TokenKind::VectorFn(op));
    }
    Some(match word {
        "vector" => TokenKind::Vector,
        "label_replace" => TokenKind::LabelReplace,
        "ip" => TokenKind::Ip,
        "bytes" => TokenKind::BytesConv,
        "duration" => TokenKind::DurationConv,
        "duration_seconds" => TokenKind::DurationSecondsConv,
        _ => return None,
    })
}

pub(super) fn keyword_kind(word: &str) -> Option<TokenKind> {
    use TokenKind::*;
    Some(match word {
        "by" => By,
        "without" => Without,
        "bool" => Bool,
        "on" => On,
        "ignoring" => Ignoring,
        "group_left" => GroupLeft,
        "group_right" => GroupRight,
        "offset" => Offset,
        "unwrap" => Unwrap,
        "or" => Or,
        "and" => And,
        "unless" => Unless,
        "json" => Json,
        "logfmt" => Logfmt,
        "regexp" => Regexp,
        "pattern" => Pattern,
        "unpack" => Unpack,
        "line_format" => LineFormat,
        "label_format" => LabelFormat,
        "decolorize" => Decolorize,
        "drop" => Drop,
        "keep" => Keep,
        _ => return None,
    })
}

/// Whether `word` always lexes as a keyword (so it cannot be a label name).
pub fn is_reserved_word(word: &str) -> bool {
    keyword_kind(&word.to_ascii_lowercase()).is_some()
}
