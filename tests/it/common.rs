//! Paths and helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// ../shared/datasets/loghub beside the checkout.
pub fn loghub() -> PathBuf {
    root().join("../shared/datasets/loghub")
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
