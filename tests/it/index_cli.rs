//! `logcopilot index` on the bundled data: the knowledge files, their content,
//! and skipping when nothing changed.

use crate::common::{datasets, run, text};

#[test]
fn index_hdfs_writes_knowledge_and_skips_when_unchanged() {
    let d = tempfile::tempdir().unwrap();
    let storage = d.path().join("storage");
    let ds = datasets();
    let args = ["index", "--app", "hdfs", "--datasets", ds.to_str().unwrap(), "--storage", storage.to_str().unwrap()];
    let o = run(&args, d.path());
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("indexed hdfs: 2000 lines"), "{}", text(&o));
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(storage.join("hdfs").join(f)).unwrap()).unwrap()
    };
    let t = read("templates.json");
    assert_eq!(t["schema_version"], 1);
    let templates = t["templates"].as_array().unwrap();
    let total: u64 = templates.iter().map(|t| t["count"].as_u64().unwrap()).sum();
    assert_eq!(total, 2000);
    let e10 = templates.iter().find(|t| t["id"] == "E10").unwrap();
    assert_eq!(e10["text"], "PacketResponder <*> for block blk_<*> terminating");
    assert_eq!(e10["count"], 311); // lines of E10 in the ground truth
    assert_eq!(e10["first_seen"], "2008-11-09T20:36:15Z");
    let p = read("parameters.json");
    let e11 = p["templates"].as_array().unwrap().iter().find(|t| t["template_id"] == "E11").unwrap();
    let names: Vec<&str> = e11["params"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["blk", "size", "src ip"]);
    assert_eq!(e11["params"][1]["type"], "int");
    let w = read("workflows.json");
    let wf = w["workflows"].as_array().unwrap();
    assert!(!wf.is_empty());
    assert_eq!(wf[0]["session_kind"], "block");
    assert!(wf[0]["support"].as_u64().unwrap() >= 2);
    assert!(w["transitions"].as_array().unwrap().iter().any(|t| t["from"] == "^"));
    let m = read("manifest.json");
    assert_eq!(m["stats"]["lines"], 2000);

    let again = run(&args, d.path());
    assert!(again.status.success());
    assert!(text(&again).contains("up to date"), "{}", text(&again));
    let forced: Vec<&str> = args.iter().copied().chain(["--no-known-templates"]).collect();
    let o = run(&forced, d.path());
    assert!(!text(&o).contains("up to date"), "a different flag must rebuild: {}", text(&o));
}

#[test]
fn parse_writes_one_row_per_line_with_rfc4180_quoting() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("in.log");
    std::fs::write(&f, "2024-01-01 00:00:01 INFO a: said \"hi\", twice\nnot a header line\n2024-01-01 00:00:02 WARN a: said \"hi\", twice\n").unwrap();
    let out = d.path().join("out.csv");
    let o = run(
        &[
            "parse", "--app", "t", "--format", "<Date> <Time> <Level> <Component>: <Content>",
            "--timestamp", "<Date> <Time>=%Y-%m-%d %H:%M:%S", "--input", f.to_str().unwrap(), "--out", out.to_str().unwrap(),
        ],
        d.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    let csv = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "LineId,Date,Time,Level,Component,Content,EventId,EventTemplate");
    assert_eq!(lines.len(), 4);
    assert!(lines[1].starts_with("1,2024-01-01,00:00:01,INFO,a,\"said \"\"hi\"\", twice\","), "{}", lines[1]);
    assert!(lines[2].starts_with("2,,,,,not a header line,"), "{}", lines[2]);
    // Lines 1 and 3 share a template; the line that does not fit gets its own.
    let ids: Vec<String> = csv::Reader::from_path(&out).unwrap().records().map(|r| r.unwrap()[6].to_string()).collect();
    assert_eq!(ids[0], ids[2]);
    assert_ne!(ids[0], ids[1]);
}
