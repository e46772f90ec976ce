//! Paths and helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use logcopilot::knowledge::Knowledge;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The folder of one Loghub system's sample and ground truth
/// (`datasets/<app>/`, the app being the Loghub name in lower case).
pub fn loghub(name: &str) -> PathBuf {
    datasets().join(name.to_lowercase())
}

pub fn datasets() -> PathBuf {
    root().join("datasets")
}

/// The 12 systems: (Loghub folder name, app folder name).
pub const SYSTEMS: [(&str, &str); 12] = [
    ("Android", "android"),
    ("Apache", "apache"),
    ("BGL", "bgl"),
    ("HDFS", "hdfs"),
    ("HPC", "hpc"),
    ("Hadoop", "hadoop"),
    ("HealthApp", "healthapp"),
    ("Linux", "linux"),
    ("OpenSSH", "openssh"),
    ("OpenStack", "openstack"),
    ("Windows", "windows"),
    ("Zookeeper", "zookeeper"),
];

/// Runs the real binary with an isolated config (no user config file is read).
pub fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_logcopilot"))
        .args(args)
        .current_dir(cwd)
        .env("XDG_CONFIG_HOME", cwd.join(".no-config"))
        .env("HOME", cwd)
        .env_remove("LOKI_ADDR")
        .env_remove("LOKI_BASE_URL")
        .output()
        .expect("run logcopilot")
}

pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Equal knowledge, but for what depends on where blocks are cut.
pub fn assert_same_knowledge(a: &Knowledge, b: &Knowledge, what: &str) {
    assert_eq!(a.templates.len(), b.templates.len(), "{what}: templates");
    for (x, y) in a.templates.iter().zip(&b.templates) {
        assert_eq!(x, y, "{what}: template {}", x.id);
    }
    assert_eq!(a.workflows.len(), b.workflows.len(), "{what}: workflows");
    for (x, y) in a.workflows.iter().zip(&b.workflows) {
        assert_eq!(x, y, "{what}: workflow {}", x.id);
    }
    assert!(a.transitions == b.transitions, "{what}: transitions differ");
    assert_eq!(a.sessions, b.sessions, "{what}: sessions");
    assert_eq!(a.params.len(), b.params.len(), "{what}: parameter sets");
    for (x, y) in a.params.iter().zip(&b.params) {
        assert_eq!((&x.template_id, &x.template, x.params.len()), (&y.template_id, &y.template, y.params.len()), "{what}");
        for (p, q) in x.params.iter().zip(&y.params) {
            let at = format!("{what}: {} {}", x.template_id, p.name);
            assert_eq!((p.index, &p.name, p.r#type, p.count, p.distinct, p.distinct_exact, p.field), (q.index, &q.name, q.r#type, q.count, q.distinct, q.distinct_exact, q.field), "{at}");
            match (&p.numeric, &q.numeric) {
                (Some(m), Some(n)) => {
                    assert_eq!((m.count, m.min, m.max), (n.count, n.min, n.max), "{at}");
                    assert!((m.mean - n.mean).abs() <= 1e-9 * m.mean.abs().max(1.0), "{at}: mean {} vs {}", m.mean, n.mean);
                }
                (m, n) => assert_eq!(m.is_some(), n.is_some(), "{at}"),
            }
            if p.top_counts_exact && q.top_counts_exact {
                assert_eq!(p.top_values, q.top_values, "{at}");
            }
        }
    }
}

