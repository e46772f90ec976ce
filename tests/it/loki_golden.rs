//! The Loki client on a real Loki's recorded replies: every golden query
//! (tests/data/loki-golden/queries.jsonl) gives the recorded answer, and a
//! Loki at its defaults (api-samples.jsonl: service_name, detected_level,
//! patterns, format_query, detected fields, volume, errors) parses.

use logcopilot::backend::{BackendError, Direction, InstantRequest, RangeRequest};
use logcopilot::logql::value::{Labels, QueryResult};
use logcopilot::loki::{loki_added_labels, strip_labels};
use serde_json::Value;

use crate::loki_client::{client_for, labels, ns, record, recorded_result, server_error};
use crate::loki_server::{LokiServer, golden, parse_duration_ns};

#[tokio::test]
async fn every_golden_query_gives_the_recorded_answer() {
    let server = LokiServer::start().await;
    let client = client_for(&server.url, 0);
    let all = golden();
    let dir = crate::common::root().join("tests/data/loki-golden");
    let mut queries = std::fs::read_to_string(dir.join("queries.jsonl")).unwrap();
    queries.push('\n');
    queries.push_str(&std::fs::read_to_string(dir.join("queries-ip-dedup.jsonl")).unwrap());
    let mut checked = 0;
    for line in queries.lines().filter(|l| !l.trim().is_empty()) {
        let q: Value = serde_json::from_str(line).unwrap();
        let id = q["id"].as_str().unwrap();
        let g = record(&all, id);
        let direction = match q["direction"].as_str() {
            Some("forward") => Direction::Forward,
            _ => Direction::Backward,
        };
        let limit = q["limit"].as_u64().unwrap_or(100) as u32;
        let text = q["query"].as_str().unwrap_or_default().to_string();
        let start = q["start"].as_str().map(ns);
        let end = q["end"].as_str().map(ns);
        let data = g.json().map(|v| v["data"].clone());
        match q["kind"].as_str().unwrap() {
            "query_range" | "query" => {
                let got = if q["kind"] == "query" {
                    let req = InstantRequest {
                        query: text,
                        time_ns: ns(q["time"].as_str().unwrap()),
                        limit,
                        direction,
                    };
                    client.query(&req).await
                } else {
                    let step_ns = q["step"].as_str().map(|s| parse_duration_ns(s).unwrap());
                    let req = RangeRequest {
                        query: text,
                        start_ns: start.unwrap(),
                        end_ns: end.unwrap(),
                        step_ns,
                        limit,
                        direction,
                    };
                    client.query_range(&req).await
                };
                if g.status == 200 {
                    assert_eq!(got.unwrap(), recorded_result(g), "{id}");
                } else {
                    let (status, message) = server_error(got);
                    assert_eq!(
                        (status, message.as_str()),
                        (g.status, g.body.as_str()),
                        "{id}"
                    );
                }
            }
            "labels" => {
                let got = client.labels(start.unwrap(), end.unwrap()).await.unwrap();
                let want: Vec<String> = serde_json::from_value(data.unwrap()).unwrap();
                assert_eq!(got, want, "{id}");
            }
            "label_values" => {
                let name = q["label"].as_str().unwrap();
                let got = client
                    .label_values(name, start.unwrap(), end.unwrap(), None)
                    .await
                    .unwrap();
                let want: Vec<String> = serde_json::from_value(data.unwrap()).unwrap();
                assert_eq!(got, want, "{id}");
            }
            "series" => {
                let matchers: Vec<String> = serde_json::from_value(q["match"].clone()).unwrap();
                let got = client
                    .series(&matchers, start.unwrap(), end.unwrap())
                    .await
                    .unwrap();
                let want: Vec<Labels> = serde_json::from_value(data.unwrap()).unwrap();
                assert_eq!(got, want, "{id}");
            }
            other => panic!("unknown kind {other}"),
        }
        checked += 1;
    }
    // 36 queries and the 15 of the ip() and identical-entries file.
    assert_eq!(checked, 51);
    // One request per query: no paging or splitting was needed.
    assert_eq!(server.requests().len(), 51);
}

#[tokio::test]
async fn a_defaults_loki_parses_and_its_added_labels_can_be_hidden() {
    let server = LokiServer::start().await;
    let client = client_for(&server.url, 0);
    let all = golden();
    let (hdfs_start, hdfs_end) = (ns("2008-11-09T20:00:00Z"), ns("2008-11-11T11:00:00Z"));
    let (ssh_start, ssh_end) = (ns("2015-12-10T06:00:00Z"), ns("2015-12-10T12:00:00Z"));
    let (os_start, os_end) = (ns("2017-05-16T00:00:00Z"), ns("2017-05-16T00:20:00Z"));
    let (wide_start, wide_end) = (ns("2008-11-01T00:00:00Z"), ns("2017-06-01T00:00:00Z"));

    // d01: streams split by detected_level, with service_name.
    let req = RangeRequest {
        query: r#"{app="hdfs"} |= "Deleting block""#.into(),
        start_ns: hdfs_start,
        end_ns: hdfs_end,
        step_ns: None,
        limit: 5,
        direction: Direction::Backward,
    };
    let d01 = client.query_range(&req).await.unwrap();
    assert_eq!(d01, recorded_result(record(&all, "d01")));
    let QueryResult::Streams(streams) = &d01 else {
        panic!("d01 is not streams")
    };
    assert!(
        streams
            .iter()
            .all(|s| s.labels.get("service_name").map(String::as_str) == Some("hdfs"))
    );
    assert!(
        streams
            .iter()
            .all(|s| s.labels.contains_key("detected_level"))
    );
    let QueryResult::Streams(plain) =
        strip_labels(d01.clone(), loki_added_labels(), Direction::Backward)
    else {
        panic!()
    };
    assert!(plain.iter().all(
        |s| !s.labels.contains_key("service_name") && !s.labels.contains_key("detected_level")
    ));
    assert_eq!(plain.iter().map(|s| s.entries.len()).sum::<usize>(), 5);
    assert_eq!(
        plain[0].labels,
        labels(&[
            ("app", "hdfs"),
            ("component", "dfs.FSDataset"),
            ("level", "INFO")
        ])
    );

    // d02: an instant vector by service_name and detected_level.
    let req = InstantRequest {
        query: r#"sum by (service_name, detected_level) (count_over_time({app="hdfs"}[2d]))"#
            .into(),
        time_ns: hdfs_end,
        limit: 100,
        direction: Direction::Backward,
    };
    let d02 = client.query(&req).await.unwrap();
    assert_eq!(d02, recorded_result(record(&all, "d02")));
    let QueryResult::Vector(v) = &d02 else {
        panic!("d02 is not a vector")
    };
    assert_eq!(v.iter().map(|s| s.point.value).sum::<f64>(), 2000.0);

    // d03: a matrix by detected_level.
    let req = RangeRequest {
        query: r#"sum by (detected_level) (count_over_time({app="openstack"}[5m]))"#.into(),
        start_ns: os_start,
        end_ns: os_end,
        step_ns: Some(300_000_000_000),
        limit: 100,
        direction: Direction::Backward,
    };
    assert_eq!(
        client.query_range(&req).await.unwrap(),
        recorded_result(record(&all, "d03"))
    );

    // d04-d06: labels, values and series list service_name.
    assert_eq!(
        client.labels(hdfs_start, hdfs_end).await.unwrap(),
        ["app", "component", "level", "service_name"]
    );
    assert_eq!(
        client
            .label_values("service_name", wide_start, wide_end, None)
            .await
            .unwrap(),
        ["hdfs", "openssh", "openstack"]
    );
    let series = client
        .series(&[r#"{app="openssh"}"#.to_string()], ssh_start, ssh_end)
        .await
        .unwrap();
    assert_eq!(
        series,
        vec![labels(&[
            ("app", "openssh"),
            ("component", "LabSZ"),
            ("service_name", "openssh")
        ])]
    );

    // d07/d08: format_query, valid and not (a JSON error body).
    let formatted = client
        .format_query(r#"sum by(component)(count_over_time({app="hdfs"}|="x"[5m]))"#)
        .await
        .unwrap();
    assert_eq!(
        formatted,
        r#"sum by (component)(count_over_time({app="hdfs"} |= "x"[5m]))"#
    );
    let bad = client
        .format_query(r#"sum by(component)(count_over_time({app="hdfs"}|="x"[5m])"#)
        .await;
    assert_eq!(
        server_error(bad),
        (
            400,
            "parse error at line 1, col 57: syntax error: unexpected $end".to_string()
        )
    );

    // d09/d10: Loki's patterns with counts per step.
    let p = client
        .patterns(
            r#"{app="hdfs"}"#,
            hdfs_start,
            hdfs_end,
            Some(6 * 3_600_000_000_000),
        )
        .await
        .unwrap();
    assert_eq!(p.len(), 9);
    assert!(
        p[0].pattern.contains("addStoredBlock") && p[0].pattern.contains("<_>"),
        "{}",
        p[0].pattern
    );
    assert_eq!(p[0].samples[..2], [(1226253600, 28), (1226275200, 31)]);
    assert!(p.iter().all(|p| p.level.is_none()));
    let p = client
        .patterns(
            r#"{app="openssh"}"#,
            ssh_start,
            ssh_end,
            Some(3_600_000_000_000),
        )
        .await
        .unwrap();
    assert_eq!(p.len(), 11);
    assert_eq!(
        p[0].samples.iter().map(|s| s.1).sum::<u64>(),
        37 + 2 + 82 + 164 + 128
    );

    // d11-d13: detected fields and labels, volume.
    let fields = client
        .detected_fields(r#"{app="openstack"}"#, os_start, os_end)
        .await
        .unwrap();
    assert_eq!(fields.len(), 9);
    assert_eq!(
        (fields[0].label.as_str(), fields[0].kind.as_str()),
        ("used_ram", "bytes")
    );
    assert_eq!(fields[0].parsers, ["logfmt"]);
    let dl = client
        .detected_labels(r#"{app="hdfs"}"#, hdfs_start, hdfs_end)
        .await
        .unwrap();
    assert!(
        dl.contains(&("component".to_string(), 6)) && dl.contains(&("service_name".to_string(), 1)),
        "{dl:?}"
    );
    let vol = client
        .volume(r#"{app="hdfs"}"#, hdfs_start, hdfs_end)
        .await
        .unwrap();
    let QueryResult::Vector(vol) = vol else {
        panic!("volume is not a vector")
    };
    assert_eq!(vol[0].point.value, 299960.0);

    // d14: an instant parse error as plain text.
    let req = InstantRequest {
        query: r#"{app="hdfs""#.into(),
        time_ns: hdfs_end,
        limit: 100,
        direction: Direction::Backward,
    };
    assert_eq!(
        server_error(client.query(&req).await),
        (
            400,
            "parse error at line 1, col 12: syntax error: unexpected $end, expecting } or ,"
                .to_string()
        )
    );

    // d16/d17: refused before sending, with Loki's words.
    let before = server.requests().len();
    let req = RangeRequest {
        query: r#"{app="hdfs"}"#.into(),
        start_ns: hdfs_end,
        end_ns: hdfs_start,
        step_ns: None,
        limit: 10,
        direction: Direction::Backward,
    };
    let e = client.query_range(&req).await.unwrap_err();
    assert!(
        matches!(e, BackendError::BadParam { param: "end", .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains(&record(&all, "d16").body), "{e}");
    let req = RangeRequest {
        query: r#"count_over_time({app="hdfs"}[1h])"#.into(),
        start_ns: hdfs_start,
        end_ns: hdfs_end,
        step_ns: Some(0),
        limit: 100,
        direction: Direction::Backward,
    };
    let e = client.query_range(&req).await.unwrap_err();
    assert!(e.to_string().contains(&record(&all, "d17").body), "{e}");
    assert_eq!(
        server.requests().len(),
        before,
        "invalid requests must not be sent"
    );
}
