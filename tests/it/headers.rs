//! The header pattern of every bundled dataset parses the 12 shared samples
//! into exactly the columns of their `*_structured.csv`.

use logcopilot::dataset::Dataset;
use logcopilot::logs::{LineParser, Parsed};

use crate::common::{SYSTEMS, datasets, loghub};

#[test]
fn fields_equal_loghub_structured_csv() {
    let mut checked = 0;
    for (name, app) in SYSTEMS {
        let ds = Dataset::load(&datasets(), app).unwrap_or_else(|e| panic!("{app}: {e}"));
        let raw = std::fs::read(loghub(name).join(format!("{name}_2k.log"))).unwrap();
        let text = String::from_utf8_lossy(&raw);
        let lines: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).filter(|l| !l.is_empty()).collect();
        let mut rdr = csv::Reader::from_path(loghub(name).join(format!("{name}_2k.log_structured.csv"))).unwrap();
        let headers = rdr.headers().unwrap().clone();
        let mut parser = LineParser::new(&ds);
        let mut p = Parsed::default();
        let mut n = 0;
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.unwrap();
            let line = lines[i];
            parser.parse(line, &mut p);
            assert!(p.fit, "{name} line {} does not fit {:?}: {line:?}", i + 1, ds.header.pattern());
            for (ci, col) in headers.iter().enumerate() {
                if matches!(col, "LineId" | "EventId" | "EventTemplate") {
                    continue;
                }
                let fi = ds.header.field_index(col).unwrap_or_else(|| panic!("{name}: no field {col}"));
                assert_eq!(p.field(line, fi), &rec[ci], "{name} line {} field {col}", i + 1);
            }
            n += 1;
        }
        assert_eq!(n, 2000, "{name}");
        checked += 1;
    }
    assert_eq!(checked, 12);
}

#[test]
fn golden_loki_timestamps_and_labels() {
    // Every raw line the golden Loki returned gets the same timestamp and labels from our reader.
    let golden = std::fs::read_to_string(crate::common::root().join("tests/data/loki-golden/responses.jsonl")).unwrap();
    let apps = ["hdfs", "openssh", "openstack"];
    let sets: Vec<Dataset> = apps.iter().map(|a| Dataset::load(&datasets(), a).unwrap()).collect();
    let mut seen = 0;
    for line in golden.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let Some(result) = v.pointer("/response/data/result").and_then(|r| r.as_array()) else { continue };
        if v.pointer("/response/data/resultType").and_then(|t| t.as_str()) != Some("streams") {
            continue;
        }
        let query = v.pointer("/request/params/query").and_then(|q| q.as_str()).unwrap_or("");
        if query.contains("line_format") || query.contains("label_format") || query.contains('|') && query.contains("json") {
            continue;
        }
        for stream in result {
            let labels = stream["stream"].as_object().unwrap();
            let Some(app) = labels.get("app").and_then(|a| a.as_str()) else { continue };
            let ds = &sets[apps.iter().position(|a| *a == app).unwrap()];
            let mut parser = LineParser::new(ds);
            for entry in stream["values"].as_array().unwrap() {
                let ts: i64 = entry[0].as_str().unwrap().parse().unwrap();
                let raw = entry[1].as_str().unwrap();
                let mut p = Parsed::default();
                parser.parse(raw, &mut p);
                if !p.fit {
                    continue; // a line rewritten by the query
                }
                assert_eq!(p.ts, Some(ts), "{app}: {raw}");
                for (label, idx) in &ds.labels {
                    if let Some(want) = labels.get(label).and_then(|l| l.as_str()) {
                        assert_eq!(p.field(raw, *idx), want, "{app} label {label}: {raw}");
                    }
                }
                seen += 1;
            }
        }
    }
    assert!(seen > 300, "only {seen} golden lines checked");
}
