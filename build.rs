//! Embeds the bundled sample datasets (`datasets/<app>/`: dataset.toml, the
//! log, templates and questions, with Loghub's LICENSE and CITATION) into the
//! binary, so an installed `logcopilot` has them in any folder
//! (`dataset::bundled` unpacks them on first use). The per-line ground truth
//! (`*_structured.csv`) is for the tests and stays out.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets");
    println!("cargo:rerun-if-changed=datasets");
    let mut files: Vec<(String, std::path::PathBuf)> = Vec::new();
    for top in ["LICENSE", "CITATION", "README.md"] {
        let p = root.join(top);
        if p.is_file() {
            files.push((top.to_owned(), p));
        }
    }
    let mut apps: Vec<_> = std::fs::read_dir(&root).into_iter().flatten().flatten().filter(|e| e.path().join("dataset.toml").is_file()).collect();
    apps.sort_by_key(|e| e.file_name());
    for app in apps {
        println!("cargo:rerun-if-changed={}", app.path().display());
        let mut inner: Vec<_> = std::fs::read_dir(app.path()).into_iter().flatten().flatten().collect();
        inner.sort_by_key(|e| e.file_name());
        for f in inner {
            let name = f.file_name().to_string_lossy().into_owned();
            if !f.path().is_file() || name.ends_with("_structured.csv") || name.ends_with(".py") {
                continue;
            }
            files.push((format!("{}/{name}", app.file_name().to_string_lossy()), f.path()));
        }
    }
    let mut out = String::from("/// (path under datasets/, contents) of every bundled file.\npub static FILES: &[(&str, &[u8])] = &[\n");
    for (rel, p) in &files {
        let _ = writeln!(out, "    ({rel:?}, include_bytes!({:?})),", p.display().to_string());
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("bundled.rs");
    std::fs::write(dest, out).expect("write bundled.rs");
}
