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

fn golden_queries(file: &str) -> Vec<(String, String)> {
    let path = format!("/work/shared/loki-golden/{file}");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("golden line is JSON");
        let id = v["id"].as_str().unwrap_or_default().to_string();
        let q = v["query"]
            .as_str()
            .or_else(|| v["request"]["params"]["query"].as_str());
        if let Some(q) = q {
            out.push((id, q.to_string()));
        }
    }
    out
}

#[test]
fn golden_queries_parse_like_loki() {
    let queries = golden_queries("queries.jsonl");
    let errors: std::collections::HashMap<&str, &str> = [
        ("v30", "parse error at line 1, col 17: syntax error: unexpected $end, expecting } or ,"),
        ("v31", "parse error at line 1, col 33: syntax error: unexpected )"),
    ]
    .into_iter()
    .collect();
    for (id, q) in &queries {
        match errors.get(id.as_str()) {
            Some(want) => assert_eq!(err(q).to_string(), *want, "{id}"),
            None => {
                ok(q);
            }
        }
    }
}

#[test]
fn golden_api_samples_parse_like_loki() {
    for (id, q) in golden_queries("api-samples.jsonl") {
        match id.as_str() {
            "d08" => assert_eq!(
                err(&q).to_string(),
                "parse error at line 1, col 57: syntax error: unexpected $end"
            ),
            "d14" => assert_eq!(
                err(&q).to_string(),
                "parse error at line 1, col 12: syntax error: unexpected $end, expecting } or ,"
            ),
            _ => {
                ok(&q);
            }
        }
    }
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
        vec![Matcher { name: "app".into(), op: MatchOp::Eq, value: "x".into() }]
    );
    assert_eq!(
        parse_selector(r#"{app="x"} |= "y""#).unwrap_err().message,
        "only label matchers is supported"
    );
}
