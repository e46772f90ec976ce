//! Lexer tests: every kind of token, Loki's context rules, junk.

use super::TokenKind::*;
use super::*;

fn kinds(src: &str) -> Vec<TokenKind> {
    tokenize(src).into_iter().map(|t| t.kind).collect()
}

fn texts(src: &str) -> Vec<&str> {
    tokenize(src).into_iter().map(|t| &src[t.span]).collect()
}

#[test]
fn selector_and_filters() {
    assert_eq!(
        kinds(r#"{app="hdfs", level!~"I.*"} |= "x" != `y` |~ "a" !~ "b" |> "<_>" !> "c""#),
        vec![
            LBrace,
            Ident,
            Eq,
            String,
            Comma,
            Ident,
            Nre,
            String,
            RBrace,
            PipeExact,
            String,
            Neq,
            String,
            PipeMatch,
            String,
            Nre,
            String,
            PipePattern,
            String,
            NotPattern,
            String
        ]
    );
}

#[test]
fn numbers_durations_bytes() {
    assert_eq!(
        kinds("5 1.5 .5 1e3 5m 1h30m 500ms 1d 1w 1y 20KB 1MiB 5M 1.5s"),
        vec![
            Number, Number, Number, Number, Duration, Duration, Duration, Duration, Duration,
            Duration, Bytes, Bytes, Bytes, Duration
        ]
    );
    assert_eq!(texts("5m)"), vec!["5m", ")"]);
    assert_eq!(kinds("x > -5m"), vec![Ident, Gt, Duration]);
    assert_eq!(kinds("x > -5"), vec![Ident, Gt, Sub, Number]);
}

#[test]
fn ranges_are_one_token() {
    assert_eq!(
        texts("{a=\"b\"}[5m]"),
        vec!["{", "a", "=", "\"b\"", "}", "[5m]"]
    );
    assert_eq!(kinds("[5m"), vec![Error]);
}

#[test]
fn functions_only_before_a_call() {
    assert_eq!(kinds("rate("), vec![RangeFn(RangeOp::Rate), LParen]);
    assert_eq!(kinds("rate > 5"), vec![Ident, Gt, Number]);
    assert_eq!(
        kinds("sum by (a) ("),
        vec![VectorFn(VectorOp::Sum), By, LParen, Ident, RParen, LParen]
    );
    assert_eq!(
        kinds("sum without(a)"),
        vec![VectorFn(VectorOp::Sum), Without, LParen, Ident, RParen]
    );
    assert_eq!(
        kinds("bytes(x) bytes"),
        vec![BytesConv, LParen, Ident, RParen, Ident]
    );
    assert_eq!(
        kinds("SUM (x)"),
        vec![VectorFn(VectorOp::Sum), LParen, Ident, RParen]
    );
    assert_eq!(
        kinds("sum byx (x)"),
        vec![Ident, Ident, LParen, Ident, RParen]
    );
}

#[test]
fn keywords_are_case_insensitive() {
    assert_eq!(kinds("BY json Or x"), vec![By, Json, Or, Ident]);
}

#[test]
fn flags_comments_and_junk() {
    assert_eq!(
        kinds("| logfmt --strict --keep-empty"),
        vec![Pipe, Logfmt, ParserFlag, ParserFlag]
    );
    assert_eq!(kinds("--nope"), vec![Sub, Sub, Ident]);
    assert_eq!(kinds("a # comment\nb"), vec![Ident, Comment, Ident]);
    assert_eq!(kinds("@ !"), vec![Error, Error]);
    assert_eq!(kinds("\"abc"), vec![Error]);
    assert_eq!(kinds("\"a\nb\""), vec![Error, Ident, Error]);
}

#[test]
fn operators() {
    assert_eq!(
        kinds("== != > >= < <= + - * / % ^ = =~ | ."),
        vec![
            CmpEq, Neq, Gt, Ge, Lt, Le, Add, Sub, Mul, Div, Mod, Pow, Eq, Re, Pipe, Dot
        ]
    );
}

#[test]
fn long_number_runs_lex_quickly() {
    let src = "1.".repeat(200_000);
    let t = std::time::Instant::now();
    let tokens = tokenize(&src);
    assert!(tokens.iter().all(|t| t.kind == Number || t.kind == Dot));
    assert!(t.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn escaped_quote_does_not_end_a_string() {
    assert_eq!(texts(r#""a\"b" x"#), vec![r#""a\"b""#, "x"]);
    assert_eq!(kinds(r#""a\"#), vec![Error]);
}
