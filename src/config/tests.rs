//! Unit tests of the `config` module: layering, errors, secrets, paths, and the
//! `config.example.toml` drift check.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

/// A temp folder with `cwd/` and `user-config/` in it.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("cwd")).unwrap();
        fs::create_dir(dir.path().join("user-config")).unwrap();
        Sandbox { dir }
    }
    fn cwd(&self) -> PathBuf {
        self.dir.path().join("cwd")
    }
    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, text).unwrap();
        p
    }
    fn ctx<'a>(&self, var: &'a dyn Fn(&str) -> Option<String>) -> Context<'a> {
        Context {
            cwd: self.cwd(),
            user_config_dir: Some(self.dir.path().join("user-config")),
            user_data_dir: Some(self.dir.path().join("user-data")),
            var,
        }
    }
    fn load(
        &self,
        o: &ConfigOverrides,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        load_with(o, &self.ctx(var))
    }
}

// --- config.example.toml ---------------------------------------------------

const EXAMPLE: &str = include_str!("../../config.example.toml");

/// Uncomments assignment lines: `# key = ...` always, `## key = ...` too when
/// `examples` is set.
fn uncomment(text: &str, examples: bool) -> String {
    let is_assignment = |s: &str| {
        let ident_len = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        ident_len > 0 && s[ident_len..].trim_start().starts_with('=')
    };
    text.lines()
        .map(|line| {
            let t = line.trim_start();
            let body = if examples {
                t.strip_prefix("## ")
            } else {
                None
            }
            .or_else(|| t.strip_prefix("# "));
            match body {
                Some(b) if is_assignment(b) => b.to_owned(),
                _ => line.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn json_keys(v: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
    for (k, v) in v.as_object().unwrap() {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            serde_json::Value::Object(_) => json_keys(v, &key, out),
            _ => {
                out.insert(key);
            }
        }
    }
}

fn toml_keys(t: &toml::Table, prefix: &str, out: &mut BTreeSet<String>) {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => toml_keys(t, &key, out),
            _ => {
                out.insert(key);
            }
        }
    }
}

#[test]
fn example_defaults_equal_default_config() {
    let text = uncomment(EXAMPLE, false);
    let parsed: Config = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n---\n{text}"));
    assert_eq!(parsed, Config::default());
}

#[test]
fn example_documents_every_key_and_only_known_keys() {
    let text = uncomment(EXAMPLE, true);
    // Every `##` example must be a valid value too.
    let _: Config = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n---\n{text}"));

    let mut documented = BTreeSet::new();
    toml_keys(&toml::from_str(&text).unwrap(), "", &mut documented);
    let mut all = BTreeSet::new();
    json_keys(
        &serde_json::to_value(Config::default()).unwrap(),
        "",
        &mut all,
    );
    assert_eq!(documented, all);
}

// --- precedence ------------------------------------------------------------

#[test]
fn defaults_without_file_env_or_flags() {
    let sb = Sandbox::new();
    let cfg = sb.load(&ConfigOverrides::default(), &no_env).unwrap();
    assert_eq!(cfg.file, None);
    assert!(cfg.origins.is_empty());
    assert_eq!(cfg, Config::default());
}

#[test]
fn loki_base_url_precedence_flag_env_file_default() {
    let sb = Sandbox::new();
    assert_eq!(
        sb.load(&ConfigOverrides::default(), &no_env)
            .unwrap()
            .loki
            .base_url,
        None
    );

    let file = sb.write(
        "cwd/config.toml",
        "[loki]\nbase_url = \"http://file:3100\"\n",
    );
    let cfg = sb.load(&ConfigOverrides::default(), &no_env).unwrap();
    assert_eq!(cfg.loki.base_url.as_deref(), Some("http://file:3100"));
    assert_eq!(
        cfg.origin("loki.base_url"),
        Origin::File {
            path: file,
            line: Some(2)
        }
    );

    let env = env_of(&[("LOKI_ADDR", "http://env:3100")]);
    let cfg = sb.load(&ConfigOverrides::default(), &env).unwrap();
    assert_eq!(cfg.loki.base_url.as_deref(), Some("http://env:3100"));
    assert_eq!(cfg.origin("loki.base_url"), Origin::Env("LOKI_ADDR".into()));

    let flags = ConfigOverrides {
        loki_url: Some("http://flag:3100".into()),
        ..Default::default()
    };
    let cfg = sb.load(&flags, &env).unwrap();
    assert_eq!(cfg.loki.base_url.as_deref(), Some("http://flag:3100"));
    assert_eq!(
        cfg.origin("loki.base_url"),
        Origin::Flag("--loki-url".into())
    );
}

#[test]
fn storage_dir_precedence_flag_file_default() {
    let sb = Sandbox::new();
    let data = sb.dir.path().join("user-data");
    let resolve = |cfg: &Config| resolve_paths_with(cfg, &sb.cwd(), Some(data.as_path())).storage;

    let cfg = sb.load(&ConfigOverrides::default(), &no_env).unwrap();
    assert_eq!(resolve(&cfg), data.join("storage"));

    // Relative to the file's folder, not to the cwd.
    sb.write("conf/logcopilot.toml", "[paths]\nstorage = \"st\"\n");
    let with_file = ConfigOverrides {
        config_path: Some("../conf/logcopilot.toml".into()),
        ..Default::default()
    };
    let cfg = sb.load(&with_file, &no_env).unwrap();
    let st = resolve(&cfg);
    assert!(st.ends_with("conf/st"), "{st:?}");
    assert_eq!(
        fs::canonicalize(st.parent().unwrap()).unwrap(),
        fs::canonicalize(sb.dir.path().join("conf")).unwrap()
    );

    // The environment has no storage variable; a flag wins over the file,
    // relative to the cwd.
    let env = env_of(&[("LOKI_ADDR", "http://env:3100")]);
    let flags = ConfigOverrides {
        storage_dir: Some("flagged".into()),
        ..with_file
    };
    let cfg = sb.load(&flags, &env).unwrap();
    assert_eq!(resolve(&cfg), sb.cwd().join("flagged"));
    assert_eq!(
        cfg.origin("paths.storage"),
        Origin::Flag("--storage".into())
    );
}

#[test]
fn loki_base_url_beats_loki_addr() {
    let sb = Sandbox::new();
    let env = env_of(&[
        ("LOKI_ADDR", "http://addr"),
        ("LOKI_BASE_URL", "http://base"),
    ]);
    let cfg = sb.load(&ConfigOverrides::default(), &env).unwrap();
    assert_eq!(cfg.loki.base_url.as_deref(), Some("http://base"));
    assert_eq!(
        cfg.origin("loki.base_url"),
        Origin::Env("LOKI_BASE_URL".into())
    );
}

#[test]
fn all_env_vars_are_applied() {
    let sb = Sandbox::new();
    let env = env_of(&[
        ("OPENAI_API_KEY", "sk-1"),
        ("OPENAI_BASE_URL", "http://llm"),
        ("LOKI_ADDR", "http://loki"),
        ("LOKI_USERNAME", "u"),
        ("LOKI_PASSWORD", "p"),
        ("LOKI_BEARER_TOKEN", "t"),
        ("LOKI_ORG_ID", "o"),
        ("LOKI_CA_CERT_PATH", "/ca"),
        ("LOKI_CERT_PATH", "/cert"),
        ("LOKI_KEY_PATH", "/key"),
        ("LOKI_TLS_SKIP_VERIFY", "TRUE"),
    ]);
    let cfg = sb.load(&ConfigOverrides::default(), &env).unwrap();
    assert_eq!(cfg.llm.api_key.as_deref(), Some("sk-1"));
    assert_eq!(cfg.llm.base_url.as_deref(), Some("http://llm"));
    assert_eq!(cfg.loki.base_url.as_deref(), Some("http://loki"));
    assert_eq!(cfg.loki.username.as_deref(), Some("u"));
    assert_eq!(cfg.loki.password.as_deref(), Some("p"));
    assert_eq!(cfg.loki.bearer_token.as_deref(), Some("t"));
    assert_eq!(cfg.loki.org_id.as_deref(), Some("o"));
    assert_eq!(cfg.loki.ca_cert_path.as_deref(), Some(Path::new("/ca")));
    assert_eq!(cfg.loki.cert_path.as_deref(), Some(Path::new("/cert")));
    assert_eq!(cfg.loki.key_path.as_deref(), Some(Path::new("/key")));
    assert!(cfg.loki.tls_skip_verify);
    // ENV_VARS lists exactly what is read.
    let listed: BTreeSet<&str> = ENV_VARS.iter().map(|(v, _)| *v).collect();
    let read: BTreeSet<&str> = env::TABLE.iter().map(|(v, _, _)| *v).collect();
    assert_eq!(listed, read);
    assert_eq!(cfg.origins.len(), ENV_VARS.len() - 1); // LOKI_ADDR/LOKI_BASE_URL share a key
}

#[test]
fn empty_env_var_counts_as_unset() {
    let sb = Sandbox::new();
    sb.write("cwd/config.toml", "[loki]\nbase_url = \"http://file\"\n");
    let env = env_of(&[("LOKI_ADDR", "")]);
    let cfg = sb.load(&ConfigOverrides::default(), &env).unwrap();
    assert_eq!(cfg.loki.base_url.as_deref(), Some("http://file"));
}

// --- file discovery --------------------------------------------------------

#[test]
fn local_file_beats_user_config_file() {
    let sb = Sandbox::new();
    sb.write("user-config/config.toml", "app = \"user\"\n");
    assert_eq!(
        sb.load(&ConfigOverrides::default(), &no_env).unwrap().app,
        "user"
    );
    let local = sb.write("cwd/config.toml", "app = \"local\"\n");
    let cfg = sb.load(&ConfigOverrides::default(), &no_env).unwrap();
    assert_eq!(cfg.app, "local");
    assert_eq!(cfg.file, Some(local));
}

#[test]
fn missing_explicit_file_is_an_error() {
    let sb = Sandbox::new();
    sb.write("cwd/config.toml", "app = \"local\"\n");
    let flags = ConfigOverrides {
        config_path: Some("nope.toml".into()),
        ..Default::default()
    };
    let err = sb.load(&flags, &no_env).unwrap_err();
    assert!(matches!(err, ConfigError::FileNotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("nope.toml"), "{err}");
}

// --- errors ----------------------------------------------------------------

#[test]
fn unknown_key_error_names_key_file_and_line() {
    let sb = Sandbox::new();
    let path = sb.write(
        "cwd/config.toml",
        "app = \"x\"\n\n[loki]\ntimeout_secs = 5\nbase_ulr = \"http://typo\"\n",
    );
    let err = sb.load(&ConfigOverrides::default(), &no_env).unwrap_err();
    match &err {
        ConfigError::UnknownKey {
            key,
            line,
            column,
            path: p,
            ..
        } => {
            assert_eq!(key, "loki.base_ulr");
            assert_eq!(*line, Some(5));
            assert_eq!(*column, Some(1));
            assert_eq!(p, &path);
        }
        other => panic!("unexpected {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&format!("{}:5:1", path.display())), "{msg}");
    assert!(msg.contains("loki.base_ulr"), "{msg}");
}

#[test]
fn unknown_section_and_top_level_key() {
    let sb = Sandbox::new();
    sb.write("cwd/config.toml", "[lokki]\nbase_url = \"x\"\n");
    let err = sb.load(&ConfigOverrides::default(), &no_env).unwrap_err();
    assert!(
        matches!(&err, ConfigError::UnknownKey { key, line: Some(1), .. } if key == "lokki"),
        "{err:?}"
    );

    sb.write("cwd/config.toml", "# comment\nap = \"x\"\n");
    let err = sb.load(&ConfigOverrides::default(), &no_env).unwrap_err();
    assert!(
        matches!(&err, ConfigError::UnknownKey { key, line: Some(2), .. } if key == "ap"),
        "{err:?}"
    );
}

#[test]
fn bad_value_error_names_key_file_and_line() {
    let sb = Sandbox::new();
    let path = sb.write(
        "cwd/config.toml",
        "[index]\ntop_values = 3\ntree_depth = \"deep\"\n",
    );
    let err = sb.load(&ConfigOverrides::default(), &no_env).unwrap_err();
    match &err {
        ConfigError::Parse {
            key, line, column, ..
        } => {
            assert_eq!(key.as_deref(), Some("index.tree_depth"));
            assert_eq!(*line, Some(3));
            assert_eq!(*column, Some(14));
        }
        other => panic!("unexpected {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&format!("{}:3:14", path.display())), "{msg}");
    assert!(msg.contains("index.tree_depth"), "{msg}");

    sb.write("cwd/config.toml", "[llm]\nredaction = \"loud\"\n");
    let err = sb.load(&ConfigOverrides::default(), &no_env).unwrap_err();
    assert!(
        matches!(&err, ConfigError::Parse { key: Some(k), line: Some(2), .. } if k == "llm.redaction"),
        "{err:?}"
    );
}

#[test]
fn syntax_error_has_location() {
    let sb = Sandbox::new();
    let path = sb.write("cwd/config.toml", "app = \"x\"\n[loki\n");
    let err = sb.load(&ConfigOverrides::default(), &no_env).unwrap_err();
    assert!(
        matches!(&err, ConfigError::Parse { line: Some(2), .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("{}:2:", path.display())),
        "{err}"
    );
}

#[test]
fn bad_env_value_names_the_variable() {
    let sb = Sandbox::new();
    let env = env_of(&[("LOKI_TLS_SKIP_VERIFY", "maybe")]);
    let err = sb.load(&ConfigOverrides::default(), &env).unwrap_err();
    assert!(
        matches!(&err, ConfigError::Env { var, .. } if var == "LOKI_TLS_SKIP_VERIFY"),
        "{err:?}"
    );
    assert!(err.to_string().contains("LOKI_TLS_SKIP_VERIFY"), "{err}");
}

#[test]
fn validation_errors_name_full_key_and_origin() {
    let sb = Sandbox::new();
    let path = sb.write("cwd/config.toml", "[index]\nsimilarity_threshold = 1.5\n");
    let err = sb.load(&ConfigOverrides::default(), &no_env).unwrap_err();
    match &err {
        ConfigError::Invalid { key, origin, .. } => {
            assert_eq!(key, "index.similarity_threshold");
            assert_eq!(
                origin,
                &Origin::File {
                    path: path.clone(),
                    line: Some(2)
                }
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("index.similarity_threshold"), "{msg}");
    assert!(msg.contains(&path.display().to_string()), "{msg}");

    // A valid flag repairs the file's bad value; an invalid one is blamed on the flag.
    let mut flags = ConfigOverrides {
        similarity_threshold: Some(0.7),
        ..Default::default()
    };
    assert_eq!(
        sb.load(&flags, &no_env).unwrap().index.similarity_threshold,
        0.7
    );
    flags.similarity_threshold = Some(0.0);
    let err = sb.load(&flags, &no_env).unwrap_err();
    assert!(
        err.to_string().contains("flag --similarity-threshold"),
        "{err}"
    );

    sb.write("cwd/config.toml", "[index]\ntree_depth = 2\n");
    let err = sb.load(&ConfigOverrides::default(), &no_env).unwrap_err();
    assert!(
        matches!(&err, ConfigError::Invalid { key, .. } if key == "index.tree_depth"),
        "{err:?}"
    );
}

#[test]
fn redaction_mode_from_str() {
    assert_eq!("strict".parse::<RedactionMode>(), Ok(RedactionMode::Strict));
    assert_eq!("OFF".parse::<RedactionMode>(), Ok(RedactionMode::Off));
    assert!(
        "loud"
            .parse::<RedactionMode>()
            .unwrap_err()
            .to_string()
            .contains("off, default, strict")
    );
}

// --- secrets ---------------------------------------------------------------

#[test]
fn debug_hides_secrets() {
    let mut cfg = Config::default();
    cfg.llm.api_key = Some("sk-very-secret".into());
    cfg.loki.password = Some("hunter2".into());
    cfg.loki.bearer_token = Some("tok-secret".into());
    cfg.loki.username = Some("alice".into());
    for text in [format!("{cfg:?}"), format!("{cfg:#?}")] {
        for secret in ["sk-very-secret", "hunter2", "tok-secret"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("***"), "{text}");
        assert!(text.contains("alice"), "{text}");
    }
    let shown = toml::to_string(&cfg.redacted()).unwrap();
    assert!(
        !shown.contains("hunter2") && shown.contains("***"),
        "{shown}"
    );
    assert!(!format!("{:?}", Config::default()).contains("***"));
}

// --- paths -----------------------------------------------------------------

#[test]
fn checkout_detection() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    let deep = root.join("src/a/b");
    fs::create_dir_all(&deep).unwrap();
    // An unrelated crate in between is skipped.
    fs::write(root.join("src/Cargo.toml"), "[package]\nname = \"other\"\n").unwrap();
    fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"logcopilot\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();

    assert_eq!(find_checkout(&deep), Some(root.clone()));
    let data = tmp.path().join("data");
    let p = resolve_paths_with(&Config::default(), &deep, Some(data.as_path()));
    assert_eq!(
        p,
        ResolvedPaths {
            datasets: root.join("datasets"),
            storage: root.join("storage"),
            results: root.join("results"),
        }
    );

    // Explicit values win over the checkout.
    let mut cfg = Config::default();
    cfg.paths.results = Some(tmp.path().join("out"));
    assert_eq!(
        resolve_paths_with(&cfg, &deep, Some(data.as_path())).results,
        tmp.path().join("out")
    );
    assert_eq!(
        resolve_paths_with(&cfg, &deep, Some(data.as_path())).datasets,
        root.join("datasets")
    );

    // Outside a checkout: the user data folder.
    let outside = tmp.path().join("elsewhere");
    fs::create_dir_all(&outside).unwrap();
    assert_eq!(find_checkout(&outside), None);
    let p = resolve_paths_with(&Config::default(), &outside, Some(data.as_path()));
    assert_eq!(p.datasets, data.join("datasets"));
    assert_eq!(p.storage, data.join("storage"));
    assert_eq!(p.results, data.join("results"));
}

#[test]
fn key_bindings_from_the_file_are_checked_and_blamed_on_their_line() {
    let sb = Sandbox::new();
    sb.write("cwd/config.toml", "[ui.keys]\nrun_query = [\"f5\"]\n");
    let cfg = sb.load(&ConfigOverrides::default(), &no_env).unwrap();
    assert_eq!(cfg.ui.keys.run_query, vec!["f5".to_string()]);
    assert_eq!(cfg.ui.keys.quit, KeysConfig::default().quit);

    let path = sb.write("cwd/config.toml", "[ui.keys]\n\nquit = [\"hyper-q\"]\n");
    match sb.load(&ConfigOverrides::default(), &no_env).unwrap_err() {
        ConfigError::Invalid { key, origin, message } => {
            assert_eq!(key, "ui.keys.quit");
            assert_eq!(origin, Origin::File { path, line: Some(3) });
            assert!(message.contains("hyper"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn scan_and_analyze_values_are_checked() {
    let sb = Sandbox::new();
    for (text, key) in [
        ("[scan]\nwindow = \"soon\"\n", "scan.window"),
        ("[scan]\nwindow = \"0s\"\n", "scan.window"),
        ("[scan]\nsuppress = \"-1m\"\n", "scan.suppress"),
        ("[scan]\nmax_lines = 0\n", "scan.max_lines"),
        ("[scan]\nwebhook_severities = [\"high\", \"loud\"]\n", "scan.webhook_severities"),
        ("[scan]\nwebhook_url = \"ftp://x\"\n", "scan.webhook_url"),
        ("[scan]\ntemperature = 3.0\n", "scan.temperature"),
        ("[scan]\njump_ratio = 0.5\n", "scan.jump_ratio"),
        ("[llm]\ncontext_tokens = 100\n", "llm.context_tokens"),
        ("[analyze]\nanswer_tokens = 0\n", "analyze.answer_tokens"),
    ] {
        sb.write("cwd/config.toml", text);
        let err = sb.load(&ConfigOverrides::default(), &no_env).unwrap_err();
        assert!(matches!(&err, ConfigError::Invalid { key: k, .. } if k == key), "{text}: {err:?}");
    }
    sb.write(
        "cwd/config.toml",
        "[scan]\nwindow = \"1h\"\nsuppress = \"0s\"\nwebhook_url = \"http://127.0.0.1:9000/a\"\nwebhook_severities = [\"Critical\"]\n",
    );
    let cfg = sb.load(&ConfigOverrides::default(), &no_env).unwrap();
    assert_eq!(cfg.scan.window, "1h");
}
