//! Parser tests: the golden queries and errors of a real Loki, every
//! construct, error positions and messages.

use super::*;

fn err(src: &str) -> ParseError {
    match parse(src) {
        Ok(e) => panic!("{src:?} parsed: {e:?}"),
        Err(e) => e,
    }
}

fn ok(src: &str) -> Expr {
    match parse(src) {
        Ok(e) => e,
        Err(e) => panic!("{src:?}: {e}"),
    }
}

/// `(id, query, Loki's answer)` for every record of a golden file in
/// `tests/data/loki-golden/` that sends a query. The
/// answer is `Ok(())` when Loki accepted the query, `Err(text)` with its
/// parse error otherwise.
fn golden(file: &str) -> Vec<(String, String, Result<(), String>)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/loki-golden")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("golden line is JSON");
        let id = v["id"].as_str().unwrap_or_default().to_string();
        let Some(q) = v["request"]["params"]["query"].as_str() else {
            continue;
        };
        // responses.jsonl has `error`, api-samples.jsonl a raw `body` (JSON
        // for format_query).
        let error = v["error"].as_str().map(str::to_string).or_else(|| {
            let body = v["body"].as_str()?;
            let json = serde_json::from_str::<serde_json::Value>(body).ok();
            Some(match json {
                Some(j) => j["error"].as_str()?.to_string(),
                None => body.to_string(),
            })
        });
        let answer = match (v["status"].as_u64(), error) {
            (Some(200), _) => Ok(()),
            (_, Some(e)) if e.starts_with("parse error") => Err(e),
            _ => continue, // refused for another reason (times, step, matching)
        };
        out.push((id, q.to_string(), answer));
    }
    out
}

fn check_golden(file: &str) -> usize {
    let cases = golden(file);
    for (id, q, answer) in &cases {
        match answer {
            Ok(()) => {
                ok(q);
            }
            Err(loki) => assert_eq!(&err(q).to_string(), loki, "{id}"),
        }
    }
    cases.iter().filter(|c| c.2.is_err()).count()
}

#[test]
fn golden_queries_parse_like_loki() {
    // v30 and v31 are Loki's parse errors.
    assert_eq!(check_golden("responses.jsonl"), 2);
}

#[test]
fn golden_api_samples_parse_like_loki() {
    // d08 (format_query) and d14 are Loki's parse errors.
    assert_eq!(check_golden("api-samples.jsonl"), 2);
}

#[test]
fn golden_errors_without_the_files() {
    assert_eq!(
        err(r#"{app="openstack""#).to_string(),
        "parse error at line 1, col 17: syntax error: unexpected $end, expecting } or ,"
    );
    assert_eq!(
        err(r#"sum(count_over_time({app="hdfs"}))"#).to_string(),
        "parse error at line 1, col 33: syntax error: unexpected )"
    );
    assert_eq!(
        err(r#"sum by(component)(count_over_time({app="hdfs"}|="x"[5m])"#).to_string(),
        "parse error at line 1, col 57: syntax error: unexpected $end"
    );
}

#[test]
fn selector_shapes() {
    let Expr::Log(log) = ok(r#"{app="hdfs", level!="INFO", c=~"a.*", d!~"b"}"#) else {
        panic!("not a log query")
    };
    assert_eq!(log.matchers.len(), 4);
    assert_eq!(log.matchers[2].op, MatchOp::Re);
    assert_eq!(
        parse_selector(r#"{app="x"}"#).unwrap(),
        vec![Matcher {
            name: "app".into(),
            op: MatchOp::Eq,
            value: "x".into()
        }]
    );
    assert_eq!(
        parse_selector(r#"{app="x"} |= "y""#).unwrap_err().message,
        "only label matchers is supported"
    );
}

#[test]
fn every_golden_query_round_trips_through_the_printer() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/loki-golden/queries.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut queries: Vec<(String, String)> = text
        .lines()
        .filter_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).ok()?;
            Some((
                v["id"].as_str()?.to_string(),
                v["query"].as_str()?.to_string(),
            ))
        })
        .collect();
    queries.extend(
        golden("api-samples.jsonl")
            .into_iter()
            .map(|(id, q, _)| (id, q)),
    );
    let mut count = 0;
    for (id, q) in queries {
        let Ok(e) = parse(&q) else { continue };
        let printed = e.to_string();
        assert_eq!(
            parse(&printed).as_ref(),
            Ok(&e),
            "{id}: {q} printed as {printed}"
        );
        count += 1;
    }
    // 31 of queries.jsonl (v30 and v31 are errors), and the 9 queries Loki
    // answered with 200 in api-samples.jsonl.
    assert_eq!(count, 40);
}

fn sample(src: &str) -> SampleExpr {
    match ok(src) {
        Expr::Sample(s) => s,
        Expr::Log(_) => panic!("{src:?} is a log query"),
    }
}

fn log(src: &str) -> LogExpr {
    match ok(src) {
        Expr::Log(l) => l,
        Expr::Sample(_) => panic!("{src:?} is a sample query"),
    }
}

fn lit(v: f64) -> SampleExpr {
    SampleExpr::Literal(v)
}

fn bin(op: BinOpKind, lhs: SampleExpr, rhs: SampleExpr) -> SampleExpr {
    SampleExpr::BinOp(Box::new(BinOp {
        op,
        lhs,
        rhs,
        return_bool: false,
        matching: None,
    }))
}

fn m(name: &str, op: MatchOp, value: &str) -> Matcher {
    Matcher {
        name: name.into(),
        op,
        value: value.into(),
    }
}

#[test]
fn line_filters_chain_and_or() {
    let l = log(r#"{a="b"} |= "x" or "y" != "z" |> "<_> a""#);
    assert_eq!(
        l.pipeline,
        vec![
            Stage::LineFilter(LineFilter {
                op: FilterOp::Contains,
                values: vec!["x".into(), "y".into()]
            }),
            Stage::LineFilter(LineFilter {
                op: FilterOp::NotContains,
                values: vec!["z".into()]
            }),
            Stage::LineFilter(LineFilter {
                op: FilterOp::Pattern,
                values: vec!["<_> a".into()]
            }),
        ]
    );
}

#[test]
fn parsers_with_params_and_flags() {
    let l = log(r#"{a="b"} | json a="b.c", d | logfmt --keep-empty --strict e | unpack"#);
    assert_eq!(
        l.pipeline[0],
        Stage::Parser(ParserStage::Json(vec![
            ExtractParam {
                label: "a".into(),
                expr: "b.c".into()
            },
            ExtractParam {
                label: "d".into(),
                expr: "d".into()
            },
        ]))
    );
    assert_eq!(
        l.pipeline[1],
        Stage::Parser(ParserStage::Logfmt {
            strict: true,
            keep_empty: true,
            params: vec![ExtractParam {
                label: "e".into(),
                expr: "e".into()
            }],
        })
    );
    assert_eq!(l.pipeline[2], Stage::Parser(ParserStage::Unpack));
}

#[test]
fn label_filter_values_and_precedence() {
    let l = log(r#"{a="b"} | a > 1.5 and b <= 10ms or c != 20KiB, d=~"x.*""#);
    let num = LabelFilter::Number {
        name: "a".into(),
        op: CmpOp::Gt,
        value: 1.5,
    };
    let dur = LabelFilter::Duration {
        name: "b".into(),
        op: CmpOp::Le,
        value: 10_000_000,
    };
    let bytes = LabelFilter::Bytes {
        name: "c".into(),
        op: CmpOp::Neq,
        value: 20 * 1024,
    };
    let re = LabelFilter::String(m("d", MatchOp::Re, "x.*"));
    let and = |a, b| LabelFilter::And(Box::new(a), Box::new(b));
    let or = |a, b| LabelFilter::Or(Box::new(a), Box::new(b));
    assert_eq!(
        l.pipeline,
        vec![Stage::LabelFilter(or(and(num, dur), and(bytes, re)))]
    );

    let l = log(r#"{a="b"} | (x="1" or y="2") z="3""#);
    let x = LabelFilter::String(m("x", MatchOp::Eq, "1"));
    let y = LabelFilter::String(m("y", MatchOp::Eq, "2"));
    let z = LabelFilter::String(m("z", MatchOp::Eq, "3"));
    assert_eq!(l.pipeline, vec![Stage::LabelFilter(and(or(x, y), z))]);

    let l = log(r#"{a="b"} | x = 5 | y == -2 | z = "5""#);
    assert_eq!(
        l.pipeline[0],
        Stage::LabelFilter(LabelFilter::Number {
            name: "x".into(),
            op: CmpOp::Eq,
            value: 5.0
        })
    );
    assert_eq!(
        l.pipeline[1],
        Stage::LabelFilter(LabelFilter::Number {
            name: "y".into(),
            op: CmpOp::Eq,
            value: -2.0
        })
    );
    assert_eq!(
        l.pipeline[2],
        Stage::LabelFilter(LabelFilter::String(m("z", MatchOp::Eq, "5")))
    );
}

#[test]
fn formatters_drop_keep() {
    let l = log(
        r#"{a="b"} | line_format "{{.x}}" | label_format a=b, c="{{.d}}" | drop e, f!="g" | keep h | decolorize"#,
    );
    assert_eq!(l.pipeline[0], Stage::LineFormat("{{.x}}".into()));
    assert_eq!(
        l.pipeline[1],
        Stage::LabelFormat(vec![
            LabelFmt::Rename {
                dst: "a".into(),
                src: "b".into()
            },
            LabelFmt::Template {
                dst: "c".into(),
                template: "{{.d}}".into()
            },
        ])
    );
    assert_eq!(
        l.pipeline[2],
        Stage::Drop(vec![
            LabelSel {
                name: "e".into(),
                matcher: None
            },
            LabelSel {
                name: "f".into(),
                matcher: Some((MatchOp::Neq, "g".into()))
            },
        ])
    );
    assert_eq!(
        l.pipeline[3],
        Stage::Keep(vec![LabelSel {
            name: "h".into(),
            matcher: None
        }])
    );
    assert_eq!(l.pipeline[4], Stage::Decolorize);
}

#[test]
fn range_aggregation_forms() {
    let SampleExpr::Range(r) = sample(r#"rate({a="b"} |= "x" [5m] offset 1h)"#) else {
        panic!()
    };
    assert_eq!(
        (r.op, r.range.range, r.range.offset),
        (RangeOp::Rate, 300_000_000_000, 3_600_000_000_000)
    );
    assert_eq!(r.range.log.pipeline.len(), 1);

    let a = sample(r#"count_over_time({a="b"}[5m] |= "x")"#);
    let b = sample(r#"count_over_time({a="b"} |= "x" [5m])"#);
    assert_eq!(a, b);
    for same in [
        r#"count_over_time(({a="b"} |= "x")[5m])"#,
        r#"count_over_time(({a="b"} |= "x" [5m]))"#,
        r#"count_over_time((({a="b"} |= "x" [5m])))"#,
    ] {
        assert_eq!(sample(same), b, "{same}");
    }
    let u1 = sample(r#"avg_over_time({a="b"} | unwrap x [5m])"#);
    for same in [
        r#"avg_over_time({a="b"}[5m] | unwrap x)"#,
        r#"avg_over_time(({a="b"})[5m] | unwrap x)"#,
        r#"avg_over_time(({a="b"} | unwrap x)[5m])"#,
    ] {
        assert_eq!(sample(same), u1, "{same}");
    }

    let SampleExpr::Range(r) = sample(
        r#"quantile_over_time(0.99, {a="b"} | json | unwrap duration_seconds(t) | __error__="" [1m]) without (x)"#,
    ) else {
        panic!()
    };
    assert_eq!(r.param, Some(0.99));
    let u = r.range.unwrap.expect("unwrap");
    assert_eq!(
        (u.label.as_str(), u.conv, u.post_filters.len()),
        ("t", UnwrapConv::Duration, 1)
    );
    assert_eq!(
        r.grouping,
        Some(Grouping {
            without: true,
            labels: vec!["x".into()]
        })
    );
}

#[test]
fn vector_aggregations() {
    let a = sample(r#"sum by (a, b) (rate({a="b"}[5m]))"#);
    let b = sample(r#"sum(rate({a="b"}[5m])) by (a,b)"#);
    assert_eq!(a, b);
    let SampleExpr::Vector(v) = sample(r#"bottomk(2, count_over_time({a="b"}[5m]))"#) else {
        panic!()
    };
    assert_eq!((v.op, v.param), (VectorOp::Bottomk, Some(2.0)));
    let SampleExpr::Vector(v) = sample(r#"count(sum(1 + count_over_time({a="b"}[5m])))"#) else {
        panic!()
    };
    assert_eq!(v.op, VectorOp::Count);
    let SampleExpr::Vector(v) = sample(r#"sum without () (rate({a="b"}[5m]))"#) else {
        panic!()
    };
    assert_eq!(
        v.grouping,
        Some(Grouping {
            without: true,
            labels: vec![]
        })
    );
    let SampleExpr::Vector(v) = sample(r#"sort_desc(rate({a="b"}[5m]))"#) else {
        panic!()
    };
    assert_eq!(v.op, VectorOp::SortDesc);
}

#[test]
fn binary_precedence_and_associativity() {
    use BinOpKind::*;
    assert_eq!(
        sample("1 + 2 * 3"),
        bin(Add, lit(1.0), bin(Mul, lit(2.0), lit(3.0)))
    );
    assert_eq!(
        sample("1 - 2 - 3"),
        bin(Sub, bin(Sub, lit(1.0), lit(2.0)), lit(3.0))
    );
    assert_eq!(
        sample("2 ^ 3 ^ 2"),
        bin(Pow, lit(2.0), bin(Pow, lit(3.0), lit(2.0)))
    );
    assert_eq!(
        sample("(1 + 2) * 3"),
        bin(Mul, bin(Add, lit(1.0), lit(2.0)), lit(3.0))
    );
    assert_eq!(
        sample("1 > 2 + 3"),
        bin(Gt, lit(1.0), bin(Add, lit(2.0), lit(3.0)))
    );
    assert_eq!(sample("-1 + +2"), bin(Add, lit(-1.0), lit(2.0)));
    let r = r#"rate({a="b"}[1m])"#;
    let SampleExpr::BinOp(b) = sample(&format!("{r} or {r} and {r} unless {r}")) else {
        panic!()
    };
    assert_eq!(b.op, Or);
    let SampleExpr::BinOp(b) = sample(&format!("{r} > bool on (x, y) group_right (z) {r}")) else {
        panic!()
    };
    assert!(b.return_bool);
    assert_eq!(
        b.matching,
        Some(VectorMatching {
            on: true,
            labels: vec!["x".into(), "y".into()],
            group: Some(GroupSide::Right(vec!["z".into()])),
        })
    );
    assert_eq!(sample("vector(2)"), SampleExpr::VectorLit(2.0));
}

#[test]
fn label_replace_arguments() {
    let SampleExpr::LabelReplace(l) =
        sample(r#"label_replace(rate({a="b"}[1m]), "dst", "$1-x", "src", "(.*)")"#)
    else {
        panic!()
    };
    assert_eq!(
        (
            l.dst.as_str(),
            l.replacement.as_str(),
            l.src.as_str(),
            l.regex.as_str()
        ),
        ("dst", "$1-x", "src", "(.*)")
    );
}

#[test]
fn keywords_functions_and_comments() {
    assert_eq!(
        sample(r#"SUM(Count_Over_Time({a="b"}[5m])) BY (x)"#),
        sample(r#"sum by (x) (count_over_time({a="b"}[5m]))"#)
    );
    // Function names are label names when no call follows.
    let l = log(r#"{rate="1"} | sum > 2 | bytes >= 1KB"#);
    assert_eq!(l.matchers[0].name, "rate");
    assert_eq!(l.pipeline.len(), 2);
    let l = log("{a=\"b\"} # everything after # is a comment\n |= \"x\" # another");
    assert_eq!(l.pipeline.len(), 1);
    assert_eq!(log(r#"{a=`raw\d`}"#).matchers[0].value, "raw\\d");
}

#[test]
fn selectors_must_select_something() {
    for bad in [
        r#"{}"#,
        r#"{a=""}"#,
        r#"{a=~".*"}"#,
        r#"{a!~".+"}"#,
        r#"{a="", b=~".*"}"#,
    ] {
        let e = err(bad);
        assert_eq!(e.message, validate::EMPTY_SELECTOR, "{bad}");
        assert_eq!((e.line, e.col), (1, 1), "{bad}");
    }
    for good in [
        r#"{a!=""}"#,
        r#"{a=~".+"}"#,
        r#"{a="", b="c"}"#,
        r#"{a!~".*"}"#,
    ] {
        ok(good);
    }
    let e = err(r#"rate({a="b"}[1m]) / rate({c=""}[1m])"#);
    assert_eq!((e.col, e.message.as_str()), (26, validate::EMPTY_SELECTOR));
    // A syntax error wins over the selector check, as in Loki.
    assert!(err(r#"{a=""} |="#).message.starts_with("syntax error"));
}

/// (query, line, col, message)
const ERRORS: &[(&str, usize, usize, &str)] = &[
    (r#"{a="b}"#, 1, 4, "literal not terminated"),
    (
        r#"{a=~"("}"#,
        1,
        5,
        "error parsing regexp: unclosed group: `(`",
    ),
    (
        r#"{a="b"} |~ "[a""#,
        1,
        12,
        "error parsing regexp: unclosed character class: `[a`",
    ),
    (
        r#"count_over_time({a="b"})"#,
        1,
        24,
        "syntax error: unexpected )",
    ),
    (
        r#"foo({a="b"})"#,
        1,
        1,
        "syntax error: unexpected IDENTIFIER",
    ),
    (
        r#"{a="b"} @"#,
        1,
        9,
        "syntax error: unexpected character \"@\"",
    ),
    (r#"{a="b"} x"#, 1, 9, "syntax error: unexpected IDENTIFIER"),
    (
        r#"sum(rate({a="b"}[1m])) )"#,
        1,
        24,
        "syntax error: unexpected )",
    ),
    (
        r#"{"#,
        1,
        2,
        "syntax error: unexpected $end, expecting IDENTIFIER or }",
    ),
    (
        r#"{a}"#,
        1,
        3,
        "syntax error: unexpected }, expecting = or =~ or !~ or !=",
    ),
    (
        r#"{a=}"#,
        1,
        4,
        "syntax error: unexpected }, expecting STRING",
    ),
    (
        r#"{a="b",}"#,
        1,
        8,
        "syntax error: unexpected }, expecting IDENTIFIER",
    ),
    (
        r#"{a="b"} |= "x" or"#,
        1,
        18,
        "syntax error: unexpected $end, expecting STRING or ip",
    ),
    (
        r#"{a="b"} | line_format 5"#,
        1,
        23,
        "syntax error: unexpected NUMBER, expecting STRING",
    ),
    (r#"{a="\q"}"#, 1, 4, "invalid char escape"),
    (
        "{a=\"b\"}\n| json\n| x >",
        3,
        6,
        "syntax error: unexpected $end",
    ),
    (
        r#"rate({a="b"}[5x])"#,
        1,
        13,
        "not a valid duration string: \"5x\"",
    ),
    (
        r#"rate({a="b"}[5m)"#,
        1,
        13,
        "missing closing ']' in duration",
    ),
    (
        r#"rate({a="b"}[1.5s])"#,
        1,
        13,
        "not a valid duration string: \"1.5s\"",
    ),
    (
        r#"{a="b"} | unwrap x"#,
        1,
        11,
        "syntax error: unexpected unwrap",
    ),
    (r#"{a="b"}[5m]"#, 1, 8, "syntax error: unexpected RANGE"),
    (
        r#"sum by (a) (rate({a="b"}[1m])) by (b)"#,
        1,
        32,
        "syntax error: unexpected by",
    ),
    (
        r#"count_over_time({a="b"} | unwrap x [5m])"#,
        1,
        1,
        "invalid aggregation count_over_time with unwrap",
    ),
    (
        r#"bytes_rate({a="b"} | unwrap x [5m])"#,
        1,
        1,
        "invalid aggregation bytes_rate with unwrap",
    ),
    (
        r#"sum_over_time({a="b"}[5m])"#,
        1,
        1,
        "invalid aggregation sum_over_time without unwrap",
    ),
    (
        r#"count_over_time({a="b"}[5m]) by (x)"#,
        1,
        1,
        "grouping not allowed for count_over_time aggregation",
    ),
    (
        r#"sum_over_time({a="b"} | unwrap x [5m]) by (x)"#,
        1,
        1,
        "grouping not allowed for sum_over_time aggregation",
    ),
    (
        r#"quantile_over_time({a="b"} | unwrap x [5m])"#,
        1,
        1,
        "parameter required for operation quantile_over_time",
    ),
    (
        r#"rate(5, {a="b"}[5m])"#,
        1,
        6,
        "parameter 5 not supported for operation rate",
    ),
    (
        r#"topk(rate({a="b"}[5m]))"#,
        1,
        1,
        "parameter required for operation topk",
    ),
    (
        r#"topk(0, rate({a="b"}[5m]))"#,
        1,
        6,
        "invalid parameter (must be greater than 0) topk(0",
    ),
    (
        r#"topk(1.5, rate({a="b"}[5m]))"#,
        1,
        6,
        "invalid parameter topk(1.5,",
    ),
    (
        r#"sum(2, rate({a="b"}[5m]))"#,
        1,
        5,
        "unsupported parameter for operation sum(2,",
    ),
    (
        r#"sort by (a) (rate({a="b"}[5m]))"#,
        1,
        1,
        "sort and sort_desc doesn't allow grouping by ",
    ),
    (
        r#"{a="b"} + 1"#,
        1,
        9,
        "unexpected type for left leg of binary operation (+): *syntax.MatchersExpr",
    ),
    (
        r#"1 / {a="b"} |= "x""#,
        1,
        3,
        "unexpected type for right leg of binary operation (/): *syntax.PipelineExpr",
    ),
    (
        r#"1 or rate({a="b"}[5m])"#,
        1,
        3,
        "unexpected literal for left leg of logical/set binary operation (or): 1.000000",
    ),
    (r#"sum({a="b"})"#, 1, 12, "syntax error: unexpected )"),
    (
        r#"{a="b"} | regexp "(\\d+)""#,
        1,
        18,
        "invalid regexp parser: at least one named capture must be supplied",
    ),
    (
        r#"{a="b"} | regexp "x""#,
        1,
        18,
        "invalid regexp parser: at least one named capture must be supplied",
    ),
    (
        r#"{a="b"} | pattern "<a><b>""#,
        1,
        19,
        "invalid pattern parser: found consecutive capture '<b>': invalid expression",
    ),
    (
        r#"{a="b"} | pattern "<_> x""#,
        1,
        19,
        "invalid pattern parser: at least one capture is required",
    ),
    (
        r#"label_replace(rate({a="b"}[1m]), "1x", "", "s", ".*")"#,
        1,
        1,
        "invalid destination label name in label_replace: 1x",
    ),
    (
        r#"1e400"#,
        1,
        1,
        "unable to parse literal as a float: strconv.ParseFloat: parsing \"1e400\": value out of range",
    ),
    (
        r#"- (1)"#,
        1,
        3,
        "syntax error: unexpected (, expecting NUMBER",
    ),
    (
        r#"vector(x)"#,
        1,
        8,
        "syntax error: unexpected IDENTIFIER, expecting NUMBER",
    ),
    (
        r#"{a="b"} | json x="#,
        1,
        18,
        "syntax error: unexpected $end, expecting STRING",
    ),
    (
        r#"sum by (a,) (x)"#,
        1,
        11,
        "syntax error: unexpected ), expecting IDENTIFIER",
    ),
    (
        r#"{a="b"} | logfmt --nope"#,
        1,
        20,
        "syntax error: unexpected IDENTIFIER, expecting NUMBER",
    ),
    (
        r#"{a="b"} | x == "y""#,
        1,
        16,
        "syntax error: unexpected STRING",
    ),
    (
        r#"{a="b"} |~ ip("1.2.3.4")"#,
        1,
        12,
        "syntax error: ip() goes only with |= and !=",
    ),
    ("", 1, 1, "syntax error: unexpected $end"),
];

#[test]
fn error_positions_and_messages() {
    for (src, line, col, message) in ERRORS {
        let e = err(src);
        assert_eq!(
            (e.line, e.col, e.message.as_str()),
            (*line, *col, *message),
            "{src:?}"
        );
    }
}

#[test]
fn columns_count_characters() {
    let e = err(r#"{é="b"} x"#);
    // Byte column would be 10.
    assert_eq!((e.col, e.offset), (9, 9));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let n = 5_000;
    let parens = format!("{}1{}", "(".repeat(n), ")".repeat(n));
    assert!(err(&parens).message.contains("nested"));
    let sums = format!("{}rate({{a=\"b\"}}[1m]){}", "sum(".repeat(n), ")".repeat(n));
    assert!(err(&sums).message.contains("nested"));
    let chain = vec!["1"; n].join(" + ");
    assert!(err(&chain).message.contains("nested"));
    let pow = vec!["2"; n].join(" ^ ");
    assert!(err(&pow).message.contains("nested"));
    let filters = format!("{{a=\"b\"}} | {}", vec!["x=\"1\""; n].join(" "));
    assert!(err(&filters).message.contains("nested"));
    let filter_parens = format!("{{a=\"b\"}} | {}x=\"1\"{}", "(".repeat(n), ")".repeat(n));
    assert!(err(&filter_parens).message.contains("nested"));
    let ranges = format!("rate({}{{a=\"b\"}}[1m]{})", "(".repeat(n), ")".repeat(n));
    assert!(err(&ranges).message.contains("nested"));
    // Within the limit all is well.
    let fine = format!("{}1{}", "(".repeat(100), ")".repeat(100));
    assert_eq!(ok(&fine), Expr::Sample(lit(1.0)));
    let fine_chain = vec!["1"; 100].join(" + ");
    ok(&fine_chain);
}

#[test]
fn long_queries_parse_in_linear_time() {
    let filters = r#" |= "x" | level="error" != "y""#.repeat(20_000);
    let src = format!(r#"{{a="b"}}{filters}"#);
    let t = std::time::Instant::now();
    let l = log(&src);
    assert_eq!(l.pipeline.len(), 60_000);
    let printed = Expr::Log(l).to_string();
    assert!(parse(&printed).is_ok());
    assert!(t.elapsed() < std::time::Duration::from_secs(5), "{:?}", t.elapsed());
}

#[test]
fn ip_filters_parse_and_print() {
    for (src, printed) in [
        (r#"{a="b"} |= ip("1.2.3.4")"#, r#"{a="b"} |= ip("1.2.3.4")"#),
        (r#"{a="b"} != ip("10.0.0.0/8") or ip("::1")"#, r#"{a="b"} != ip("10.0.0.0/8") or ip("::1")"#),
        (r#"{a="b"} | regexp "(?P<addr>\\S+)" | addr = ip("1.2.3.0-1.2.3.9")"#, r#"{a="b"} | regexp "(?P<addr>\\S+)" | addr=ip("1.2.3.0-1.2.3.9")"#),
        (r#"{a="b"} | logfmt | addr != ip("1.2.3.4")"#, r#"{a="b"} | logfmt | addr!=ip("1.2.3.4")"#),
    ] {
        let e = parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert_eq!(e.to_string(), printed);
        assert_eq!(parse(&e.to_string()).unwrap(), e, "{src}");
    }
    // The pattern is checked when the query is compiled (a 400 from Loki), not here.
    assert!(parse(r#"{a="b"} |= ip("not-an-ip")"#).is_ok());
    assert!(parse(r#"{a="b"} |= ip "1.2.3.4""#).is_err());
}
