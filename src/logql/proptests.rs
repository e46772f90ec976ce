//! Property tests of the LogQL front end: the lexer and parser never panic
//! or hang on any input (arbitrary strings, and strings assembled from LogQL
//! tokens), and printing any tree the parser can produce parses back to the
//! same tree (on generated trees, and on every random query that parses).

use proptest::prelude::*;
use proptest::test_runner::Config;

use super::lexer::is_reserved_word;
use super::*;

/// Cases per property; together they run in a few seconds in release mode.
const ARBITRARY_CASES: u32 = 10_000;
const TOKEN_CASES: u32 = 5_000;
const MUTATED_CASES: u32 = 3_000;
const AST_CASES: u32 = 4_000;

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// The tokenizer covers everything but whitespace, in order, on character
/// boundaries; the parser returns; whatever parses prints back to itself.
fn check_input(src: &str) -> Result<(), TestCaseError> {
    let tokens = tokenize(src);
    let mut end = 0;
    for t in &tokens {
        prop_assert!(t.span.start >= end && t.span.start < t.span.end && t.span.end <= src.len());
        prop_assert!(src.is_char_boundary(t.span.start) && src.is_char_boundary(t.span.end));
        let gap = &src[end..t.span.start];
        prop_assert!(
            gap.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r')),
            "gap {gap:?}"
        );
        end = t.span.end;
    }
    prop_assert!(
        src[end..]
            .chars()
            .all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
    );
    match parse(src) {
        Ok(e) => {
            let printed = e.to_string();
            prop_assert_eq!(parse(&printed), Ok(e), "{:?} printed as {:?}", src, printed);
        }
        Err(e) => {
            prop_assert!(e.offset <= src.len() && e.line >= 1 && e.col >= 1);
        }
    }
    Ok(())
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[5m]",
    "[1h30m]",
    "[",
    "]",
    ",",
    "=",
    "!=",
    "=~",
    "!~",
    "|=",
    "|~",
    "|>",
    "!>",
    "|",
    "==",
    ">",
    ">=",
    "<",
    "<=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    "app",
    "x",
    "level",
    "\"hdfs\"",
    "\"a.*\"",
    "\".+\"",
    "\"(\"",
    "`raw`",
    "\"",
    "\"\\q\"",
    "1",
    "0.5",
    "3",
    "5m",
    "20KB",
    "-1h",
    "1e3",
    "sum",
    "rate",
    "count_over_time",
    "quantile_over_time",
    "avg_over_time",
    "absent_over_time",
    "topk",
    "sort",
    "vector",
    "label_replace",
    "by",
    "without",
    "bool",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "unwrap",
    "bytes",
    "duration",
    "or",
    "and",
    "unless",
    "json",
    "logfmt",
    "--strict",
    "--keep-empty",
    "regexp",
    "\"(?P<a>.)\"",
    "pattern",
    "\"<a> <_>\"",
    "unpack",
    "line_format",
    "label_format",
    "drop",
    "keep",
    "decolorize",
    "ip",
    "__error__",
    "# c\n",
    "\n",
    "@",
    "é",
    "{app=\"x\"}",
    "rate({app=\"x\"}[1m])",
];

fn token_query() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(TOKENS), any::<bool>()), 0..40).prop_map(|parts| {
        let mut s = String::new();
        for (tok, space) in parts {
            s.push_str(tok);
            if space {
                s.push(' ');
            }
        }
        s
    })
}

proptest! {
    #![proptest_config(config(ARBITRARY_CASES))]

    #[test]
    fn never_panics_on_arbitrary_text(src in any::<String>()) {
        check_input(&src)?;
    }

    #[test]
    fn never_panics_on_logql_characters(src in "[{}()\\[\\]a-z0-9=~!|<>\"`,.#+*/%^ \n_\\\\-]{0,80}") {
        check_input(&src)?;
    }
}

proptest! {
    #![proptest_config(config(TOKEN_CASES))]

    #[test]
    fn never_panics_on_token_soup(src in token_query()) {
        check_input(&src)?;
    }
}

// ---- generated trees ----------------------------------------------------

fn label_name() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,6}".prop_filter("keyword", |s| !is_reserved_word(s))
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z \"\\\\\n\t{}.]{0,12}"]
}

fn regex_text() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a.*",
        ".+",
        "(?i)err",
        "x|y",
        "[0-9]+\\.",
        "\\d{2,}",
        "",
    ])
    .prop_map(str::to_string)
}

fn match_op() -> impl Strategy<Value = MatchOp> {
    prop::sample::select(vec![MatchOp::Eq, MatchOp::Neq, MatchOp::Re, MatchOp::Nre])
}

fn matcher() -> impl Strategy<Value = Matcher> {
    (label_name(), match_op(), any_text(), regex_text()).prop_map(|(name, op, text, re)| {
        let value = if matches!(op, MatchOp::Re | MatchOp::Nre) {
            re
        } else {
            text
        };
        Matcher { name, op, value }
    })
}

fn selector() -> impl Strategy<Value = Vec<Matcher>> {
    (
        label_name(),
        "[a-z]{1,5}",
        prop::collection::vec(matcher(), 0..3),
    )
        .prop_map(|(name, value, rest)| {
            let mut ms = vec![Matcher {
                name,
                op: MatchOp::Eq,
                value,
            }];
            ms.extend(rest);
            ms
        })
}

fn cmp_op() -> impl Strategy<Value = CmpOp> {
    prop::sample::select(vec![
        CmpOp::Eq,
        CmpOp::Neq,
        CmpOp::Gt,
        CmpOp::Ge,
        CmpOp::Lt,
        CmpOp::Le,
    ])
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
        (-1000i32..1000).prop_map(f64::from),
        (0u32..1000).prop_map(|v| f64::from(v) / 100.0),
    ]
}

fn label_filter() -> impl Strategy<Value = LabelFilter> {
    let leaf = prop_oneof![
        matcher().prop_map(LabelFilter::String),
        (label_name(), cmp_op(), finite()).prop_map(|(name, op, value)| LabelFilter::Number {
            name,
            op,
            value
        }),
        (label_name(), cmp_op(), any::<i64>())
            .prop_map(|(name, op, value)| LabelFilter::Duration { name, op, value }),
        (label_name(), cmp_op(), 0u64..(1 << 53))
            .prop_map(|(name, op, value)| LabelFilter::Bytes { name, op, value }),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        (inner.clone(), inner, any::<bool>()).prop_map(|(a, b, and)| {
            if and {
                LabelFilter::And(Box::new(a), Box::new(b))
            } else {
                LabelFilter::Or(Box::new(a), Box::new(b))
            }
        })
    })
}

fn line_filter() -> impl Strategy<Value = LineFilter> {
    let op = prop::sample::select(vec![
        FilterOp::Contains,
        FilterOp::NotContains,
        FilterOp::Regex,
        FilterOp::NotRegex,
        FilterOp::Pattern,
        FilterOp::NotPattern,
        FilterOp::Ip,
        FilterOp::NotIp,
    ]);
    (op, prop::collection::vec((any_text(), regex_text()), 1..3)).prop_map(|(op, values)| {
        let regex = matches!(op, FilterOp::Regex | FilterOp::NotRegex);
        let values = values
            .into_iter()
            .map(|(t, r)| if regex { r } else { t })
            .collect();
        LineFilter { op, values }
    })
}

fn extract_params() -> impl Strategy<Value = Vec<ExtractParam>> {
    prop::collection::vec((label_name(), prop::option::of(any_text())), 0..3).prop_map(|ps| {
        ps.into_iter()
            .map(|(label, expr)| ExtractParam {
                expr: expr.unwrap_or_else(|| label.clone()),
                label,
            })
            .collect()
    })
}

fn label_sels() -> impl Strategy<Value = Vec<LabelSel>> {
    prop::collection::vec((label_name(), prop::option::of(matcher())), 1..3).prop_map(|sels| {
        sels.into_iter()
            .map(|(name, m)| LabelSel {
                name,
                matcher: m.map(|m| (m.op, m.value)),
            })
            .collect()
    })
}

fn stage() -> impl Strategy<Value = Stage> {
    let regexp = prop::sample::select(vec!["(?P<a>\\d+)", "x=(?P<x_1>\\S+) (?P<y>.)"]);
    let pattern = prop::sample::select(vec!["<a> <_>", "<_> sshd[<pid>]: <msg>", "[<ts>] <lvl>"]);
    prop_oneof![
        line_filter().prop_map(Stage::LineFilter),
        extract_params().prop_map(|p| Stage::Parser(ParserStage::Json(p))),
        (any::<bool>(), any::<bool>(), extract_params()).prop_map(
            |(strict, keep_empty, params)| {
                Stage::Parser(ParserStage::Logfmt {
                    strict,
                    keep_empty,
                    params,
                })
            }
        ),
        regexp.prop_map(|r| Stage::Parser(ParserStage::Regexp(r.to_string()))),
        pattern.prop_map(|p| Stage::Parser(ParserStage::Pattern(p.to_string()))),
        Just(Stage::Parser(ParserStage::Unpack)),
        label_filter().prop_map(Stage::LabelFilter),
        any_text().prop_map(Stage::LineFormat),
        prop::collection::vec(
            (label_name(), label_name(), prop::option::of(any_text())),
            1..3
        )
        .prop_map(|fs| {
            Stage::LabelFormat(
                fs.into_iter()
                    .map(|(dst, src, t)| match t {
                        Some(template) => LabelFmt::Template { dst, template },
                        None => LabelFmt::Rename { dst, src },
                    })
                    .collect(),
            )
        }),
        label_sels().prop_map(Stage::Drop),
        label_sels().prop_map(Stage::Keep),
        Just(Stage::Decolorize),
    ]
}

fn log_expr() -> impl Strategy<Value = LogExpr> {
    (selector(), prop::collection::vec(stage(), 0..4)).prop_map(|(matchers, mut pipeline)| {
        // `| drop a != "x"` is `drop a!="x"` to Loki's grammar too: a bare
        // drop/keep label cannot be followed by a `!=`/`!~` line filter.
        for i in 1..pipeline.len() {
            let bare_end = match &pipeline[i - 1] {
                Stage::Drop(sels) | Stage::Keep(sels) => {
                    sels.last().is_some_and(|s| s.matcher.is_none())
                }
                _ => false,
            };
            if let Stage::LineFilter(lf) = &mut pipeline[i]
                && bare_end
                && matches!(lf.op, FilterOp::NotContains | FilterOp::NotRegex | FilterOp::NotIp)
            {
                lf.op = match lf.op {
                    FilterOp::NotContains => FilterOp::Contains,
                    FilterOp::NotIp => FilterOp::Ip,
                    _ => FilterOp::Regex,
                };
            }
        }
        LogExpr { matchers, pipeline }
    })
}

fn grouping() -> impl Strategy<Value = Grouping> {
    (any::<bool>(), prop::collection::vec(label_name(), 0..3))
        .prop_map(|(without, labels)| Grouping { without, labels })
}

fn range_agg() -> impl Strategy<Value = SampleExpr> {
    let unwrap = (
        label_name(),
        prop::sample::select(vec![
            UnwrapConv::Number,
            UnwrapConv::Duration,
            UnwrapConv::Bytes,
        ]),
        prop::collection::vec(label_filter(), 0..2),
    )
        .prop_map(|(label, conv, post_filters)| Unwrap {
            label,
            conv,
            post_filters,
        });
    (
        prop::sample::select(RangeOp::ALL.to_vec()),
        log_expr(),
        1i64..(400 * 86_400_000),
        prop_oneof![Just(0i64), any::<i64>()],
        unwrap,
        any::<bool>(),
        prop::option::of(grouping()),
        0u32..=100,
    )
        .prop_map(
            |(op, log, range_ms, offset, unwrap, use_unwrap, grouping, phi)| {
                use RangeOp::*;
                let unwrapped = match op {
                    CountOverTime | BytesOverTime | BytesRate => false,
                    Rate | AbsentOverTime => use_unwrap,
                    _ => true,
                };
                let grouping = match op {
                    AvgOverTime | StddevOverTime | StdvarOverTime | QuantileOverTime
                    | MaxOverTime | MinOverTime | FirstOverTime | LastOverTime => grouping,
                    _ => None,
                };
                let param = (op == QuantileOverTime).then(|| f64::from(phi) / 100.0);
                SampleExpr::Range(RangeAgg {
                    op,
                    param,
                    range: LogRange {
                        log,
                        range: range_ms * 1_000_000,
                        offset,
                        unwrap: unwrapped.then_some(unwrap),
                    },
                    grouping,
                })
            },
        )
}

fn is_literal(e: &SampleExpr) -> bool {
    match e {
        SampleExpr::Literal(_) => true,
        SampleExpr::BinOp(b) => is_literal(&b.lhs) && is_literal(&b.rhs),
        _ => false,
    }
}

fn sample_expr() -> impl Strategy<Value = SampleExpr> {
    let leaf = prop_oneof![
        3 => range_agg(),
        1 => finite().prop_map(SampleExpr::Literal),
        1 => (0u32..1000).prop_map(|v| SampleExpr::VectorLit(f64::from(v))),
    ];
    leaf.prop_recursive(4, 12, 2, |inner| {
        let vector_op = prop::sample::select(VectorOp::ALL.to_vec());
        let bin_op = prop::sample::select(vec![
            BinOpKind::Or,
            BinOpKind::And,
            BinOpKind::Unless,
            BinOpKind::Eq,
            BinOpKind::Neq,
            BinOpKind::Gt,
            BinOpKind::Ge,
            BinOpKind::Lt,
            BinOpKind::Le,
            BinOpKind::Add,
            BinOpKind::Sub,
            BinOpKind::Mul,
            BinOpKind::Div,
            BinOpKind::Mod,
            BinOpKind::Pow,
        ]);
        let matching = prop::option::of((
            any::<bool>(),
            prop::collection::vec(label_name(), 0..3),
            prop::option::of((any::<bool>(), prop::collection::vec(label_name(), 0..2))),
        ))
        .prop_map(|m| {
            m.map(|(on, labels, group)| VectorMatching {
                on,
                labels,
                group: group.map(|(left, ls)| {
                    if left {
                        GroupSide::Left(ls)
                    } else {
                        GroupSide::Right(ls)
                    }
                }),
            })
        });
        prop_oneof![
            (
                vector_op,
                inner.clone(),
                prop::option::of(grouping()),
                1u32..100
            )
                .prop_map(|(op, inner, grouping, k)| {
                    let param =
                        matches!(op, VectorOp::Topk | VectorOp::Bottomk).then_some(f64::from(k));
                    let grouping = match (op, grouping) {
                        (_, Some(g)) if !g.without && g.labels.is_empty() => None,
                        (VectorOp::Sort | VectorOp::SortDesc, Some(g)) if !g.labels.is_empty() => {
                            None
                        }
                        (_, g) => g,
                    };
                    SampleExpr::Vector(VectorAgg {
                        op,
                        param,
                        inner: Box::new(inner),
                        grouping,
                    })
                }),
            (
                bin_op,
                inner.clone(),
                inner.clone(),
                any::<bool>(),
                matching
            )
                .prop_map(|(op, lhs, rhs, return_bool, matching)| {
                    let op = if op.is_set() && (is_literal(&lhs) || is_literal(&rhs)) {
                        BinOpKind::Add
                    } else {
                        op
                    };
                    SampleExpr::BinOp(Box::new(BinOp {
                        op,
                        lhs,
                        rhs,
                        return_bool,
                        matching,
                    }))
                }),
            (inner, label_name(), any_text(), label_name(), regex_text()).prop_map(
                |(inner, dst, replacement, src, regex)| {
                    SampleExpr::LabelReplace(Box::new(LabelReplace {
                        inner,
                        dst,
                        replacement,
                        src,
                        regex,
                    }))
                }
            ),
        ]
    })
}

pub(crate) fn expr() -> impl Strategy<Value = Expr> {
    prop_oneof![
        log_expr().prop_map(Expr::Log),
        sample_expr().prop_map(Expr::Sample)
    ]
}

/// A printed generated query with one token deleted, repeated, or replaced
/// by or preceded with a LogQL token: almost valid, so errors come from deep
/// inside the grammar.
fn mutated_query() -> impl Strategy<Value = String> {
    (
        expr(),
        any::<prop::sample::Index>(),
        prop::sample::select(TOKENS),
        0u8..4,
    )
        .prop_map(|(e, at, tok, how)| {
            let src = e.to_string();
            let tokens = tokenize(&src);
            let Some(t) = tokens.get(at.index(tokens.len().max(1))) else {
                return src;
            };
            let (before, it, after) = (
                &src[..t.span.start],
                &src[t.span.clone()],
                &src[t.span.end..],
            );
            match how {
                0 => format!("{before}{after}"),
                1 => format!("{before}{it}{it}{after}"),
                2 => format!("{before}{tok}{after}"),
                _ => format!("{before}{tok} {it}{after}"),
            }
        })
}

proptest! {
    #![proptest_config(config(MUTATED_CASES))]

    #[test]
    fn never_panics_on_mutated_queries(src in mutated_query()) {
        check_input(&src)?;
    }
}

proptest! {
    #![proptest_config(config(AST_CASES))]

    #[test]
    fn printed_trees_parse_back_equal(e in expr()) {
        let printed = e.to_string();
        prop_assert_eq!(parse(&printed), Ok(e), "printed as {:?}", printed);
    }
}
