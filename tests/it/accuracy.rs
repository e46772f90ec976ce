//! Template accuracy on the 12 Loghub samples, measured exactly as a user
//! would: `logcopilot parse --format … --no-known-templates` (generic masking
//! only), then grouping accuracy (GA) and parsing accuracy (PA) against the
//! ground truth. Floors are what the miner reaches today, minus rounding.

use std::collections::HashMap;

use crate::common::{loghub, run, text};

/// (system, Loghub header format, GA floor)
const CASES: [(&str, &str, f64); 12] = [
    ("HDFS", "<Date> <Time> <Pid> <Level> <Component>: <Content>", 0.995),
    ("Hadoop", r"<Date> <Time> <Level> \[<Process>\] <Component>: <Content>", 0.98),
    ("Zookeeper", r"<Date> <Time> - <Level>  \[<Node>:<Component>@<Id>\] - <Content>", 0.98),
    ("BGL", "<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>", 0.99),
    ("HPC", "<LogId> <Node> <Component> <State> <Time> <Flag> <Content>", 0.90),
    ("Windows", "<Date> <Time>, <Level>                  <Component>    <Content>", 0.99),
    ("Linux", r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>", 0.81),
    ("Android", "<Date> <Time>  <Pid>  <Tid> <Level> <Component>: <Content>", 0.79),
    ("HealthApp", r"<Time>\|<Component>\|<Pid>\|<Content>", 0.87),
    ("Apache", r"\[<Time>\] \[<Level>\] <Content>", 0.99),
    ("OpenSSH", r"<Date> <Day> <Time> <Component> sshd\[<Pid>\]: <Content>", 0.99),
    ("OpenStack", r"<Logrecord> <Date> <Time> <Pid> <Level> <Component> \[<ADDR>\] <Content>", 0.99),
];

fn norm(t: &str) -> String {
    let mut s = t.split_whitespace().collect::<Vec<_>>().join(" ");
    while s.contains("<*><*>") {
        s = s.replace("<*><*>", "<*>");
    }
    s
}

fn read(path: &std::path::Path) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    let id = h.iter().position(|c| c == "EventId").unwrap();
    let t = h.iter().position(|c| c == "EventTemplate").unwrap();
    r.records().map(|rec| rec.unwrap()).map(|rec| (rec[id].to_string(), rec[t].to_string())).collect()
}

/// (GA, PA)
pub fn score(truth: &[(String, String)], pred: &[(String, String)]) -> (f64, f64) {
    assert_eq!(truth.len(), pred.len());
    let mut tg: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut pg: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (t, p)) in truth.iter().zip(pred).enumerate() {
        tg.entry(&t.0).or_default().push(i);
        pg.entry(&p.0).or_default().push(i);
    }
    let mut ok = 0;
    for lines in tg.values() {
        if pg[pred[lines[0]].0.as_str()] == *lines {
            ok += lines.len();
        }
    }
    let pa = truth.iter().zip(pred).filter(|(t, p)| norm(&t.1) == norm(&p.1)).count();
    (ok as f64 / truth.len() as f64, pa as f64 / truth.len() as f64)
}

#[test]
fn grouping_and_parsing_accuracy_on_12_systems() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = String::from("| system | GA | PA | floor |\n|---|---|---|---|\n");
    let mut sum = 0.0;
    let mut failures = Vec::new();
    for (name, format, floor) in CASES {
        let input = loghub(name).join(format!("{name}_2k.log"));
        let out = dir.path().join(format!("{name}.csv"));
        let o = run(
            &[
                "parse", "--app", name, "--format", format, "--no-known-templates", "--input",
                input.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q",
            ],
            dir.path(),
        );
        assert!(o.status.success(), "{name}: {}", text(&o));
        let truth = read(&loghub(name).join(format!("{name}_2k.log_structured.csv")));
        let pred = read(&out);
        let (ga, pa) = score(&truth, &pred);
        sum += ga;
        report.push_str(&format!("| {name} | {ga:.3} | {pa:.3} | {floor} |\n"));
        if ga < floor {
            failures.push(format!("{name}: GA {ga:.3} < {floor}"));
        }
    }
    let mean = sum / CASES.len() as f64;
    report.push_str(&format!("| mean | {mean:.3} | | 0.94 |\n"));
    println!("{report}");
    assert!(failures.is_empty(), "{failures:?}\n{report}");
    assert!(mean >= 0.94, "mean GA {mean:.3}\n{report}");
}

#[test]
fn scoring_is_strict() {
    let t = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    let truth = t(&[("A", "x <*>"), ("A", "x <*>"), ("B", "y")]);
    // Over-merging A and B loses every line of both groups.
    let (ga, _) = score(&truth, &t(&[("1", "x <*>"), ("1", "x <*>"), ("1", "y")]));
    assert_eq!(ga, 0.0);
    let (ga, pa) = score(&truth, &t(&[("1", "x  <*><*>"), ("1", "x <*>"), ("2", "z")]));
    assert_eq!(ga, 1.0);
    assert!((pa - 2.0 / 3.0).abs() < 1e-9);
}
