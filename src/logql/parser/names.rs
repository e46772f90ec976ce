//! How tokens are named in error messages, as Loki's goyacc parser names
//! them: literal tokens by their text (`}`, `,`, `by`), the others by their
//! grammar name (`IDENTIFIER`, `STRING`, `COUNT_OVER_TIME`), `$end` for the
//! end of the query; and the `expecting` list in the grammar's token order.

use crate::logql::lexer::TokenKind;

/// The name of a token kind in `unexpected X`.
pub(super) fn token_name(kind: TokenKind) -> String {
    use TokenKind as T;
    let fixed = match kind {
        T::Ident => "IDENTIFIER",
        T::String => "STRING",
        T::Number => "NUMBER",
        T::Duration => "DURATION",
        T::Bytes => "BYTES",
        T::Range => "RANGE",
        T::ParserFlag => "PARSER_FLAG",
        T::Comment => "COMMENT",
        T::Error => "ERROR",
        T::By => "by",
        T::Without => "without",
        T::Bool => "bool",
        T::On => "on",
        T::Ignoring => "ignoring",
        T::GroupLeft => "group_left",
        T::GroupRight => "group_right",
        T::Offset => "offset",
        T::Unwrap => "unwrap",
        T::Or => "or",
        T::And => "and",
        T::Unless => "unless",
        T::Json => "json",
        T::Logfmt => "logfmt",
        T::Regexp => "regexp",
        T::Pattern => "pattern",
        T::Unpack => "unpack",
        T::LineFormat => "line_format",
        T::LabelFormat => "label_format",
        T::Decolorize => "decolorize",
        T::Drop => "drop",
        T::Keep => "keep",
        T::RangeFn(op) => return op.name().to_ascii_uppercase(),
        T::VectorFn(op) => return op.name().to_ascii_uppercase(),
        T::Vector => "VECTOR",
        T::LabelReplace => "label_replace",
        T::Ip => "ip",
        T::BytesConv => "BYTES_CONV",
        T::DurationConv => "DURATION_CONV",
        T::DurationSecondsConv => "DURATION_SECONDS_CONV",
        T::LBrace => "{",
        T::RBrace => "}",
        T::LParen => "(",
        T::RParen => ")",
        T::RBracket => "]",
        T::Comma => ",",
        T::Dot => ".",
        T::Eq => "=",
        T::Neq => "!=",
        T::Re => "=~",
        T::Nre => "!~",
        T::PipeExact => "|=",
        T::PipeMatch => "|~",
        T::PipePattern => "|>",
        T::NotPattern => "!>",
        T::Pipe => "|",
        T::CmpEq => "==",
        T::Gt => ">",
        T::Ge => ">=",
        T::Lt => "<",
        T::Le => "<=",
        T::Add => "+",
        T::Sub => "-",
        T::Mul => "*",
        T::Div => "/",
        T::Mod => "%",
        T::Pow => "^",
    };
    fixed.to_string()
}

/// Where a token comes in the grammar's `%token` list (goyacc lists the
/// expected tokens in that order).
fn grammar_order(kind: TokenKind) -> u16 {
    use TokenKind as T;
    match kind {
        T::Bytes => 1,
        T::Ident => 2,
        T::String => 3,
        T::Number => 4,
        T::ParserFlag => 5,
        T::Duration => 6,
        T::Range => 7,
        T::Eq => 10,
        T::Re => 11,
        T::Nre => 12,
        T::NotPattern => 13,
        T::LBrace => 14,
        T::RBrace => 15,
        T::RBracket => 17,
        T::Comma => 18,
        T::Dot => 19,
        T::PipeMatch => 20,
        T::PipeExact => 21,
        T::PipePattern => 22,
        T::LParen => 23,
        T::RParen => 24,
        T::By => 25,
        T::Without => 26,
        T::RangeFn(_) => 27,
        T::VectorFn(_) => 30,
        T::Bool => 44,
        T::Json => 45,
        T::Regexp => 46,
        T::Logfmt => 47,
        T::Pipe => 48,
        T::LineFormat => 49,
        T::LabelFormat => 50,
        T::Unwrap => 51,
        T::BytesConv => 59,
        T::DurationConv => 60,
        T::DurationSecondsConv => 61,
        T::Vector => 65,
        T::LabelReplace => 66,
        T::Unpack => 67,
        T::Offset => 68,
        T::Pattern => 69,
        T::Ip => 70,
        T::On => 71,
        T::Ignoring => 72,
        T::GroupLeft => 73,
        T::GroupRight => 74,
        T::Decolorize => 75,
        T::Drop => 76,
        T::Keep => 77,
        T::Or => 80,
        T::And => 81,
        T::Unless => 82,
        T::CmpEq => 83,
        T::Neq => 84,
        T::Lt => 85,
        T::Le => 86,
        T::Gt => 87,
        T::Ge => 88,
        T::Add => 89,
        T::Sub => 90,
        T::Mul => 91,
        T::Div => 92,
        T::Mod => 93,
        T::Pow => 94,
        T::Comment | T::Error => 200,
    }
}

/// `, expecting a or b` for a short list (goyacc names at most four), or
/// nothing.
pub(super) fn expecting(expected: &[TokenKind]) -> String {
    if expected.is_empty() || expected.len() > 4 {
        return String::new();
    }
    let mut sorted = expected.to_vec();
    sorted.sort_by_key(|k| grammar_order(*k));
    let names: Vec<String> = sorted.into_iter().map(token_name).collect();
    format!(", expecting {}", names.join(" or "))
}
