//! The environment layer: OpenAI variables and logcli's `LOKI_*` variables,
//! applied over the config file. Empty variables count as unset.

use std::path::PathBuf;

use super::{Config, ConfigError, Origin};

type Setter = fn(&mut Config, String) -> Result<(), String>;

/// `(variable, key it sets, setter)`, applied in this order: `LOKI_BASE_URL` comes
/// after `LOKI_ADDR` so it wins when both are set.
pub(super) const TABLE: &[(&str, &str, Setter)] = &[
    ("OPENAI_API_KEY", "llm.api_key", |c, v| {
        c.llm.api_key = Some(v);
        Ok(())
    }),
    ("OPENAI_BASE_URL", "llm.base_url", |c, v| {
        c.llm.base_url = Some(v);
        Ok(())
    }),
    ("LOKI_ADDR", "loki.base_url", |c, v| {
        c.loki.base_url = Some(v);
        Ok(())
    }),
    ("LOKI_BASE_URL", "loki.base_url", |c, v| {
        c.loki.base_url = Some(v);
        Ok(())
    }),
    ("LOKI_USERNAME", "loki.username", |c, v| {
        c.loki.username = Some(v);
        Ok(())
    }),
    ("LOKI_PASSWORD", "loki.password", |c, v| {
        c.loki.password = Some(v);
        Ok(())
    }),
    ("LOKI_BEARER_TOKEN", "loki.bearer_token", |c, v| {
        c.loki.bearer_token = Some(v);
        Ok(())
    }),
    ("LOKI_ORG_ID", "loki.org_id", |c, v| {
        c.loki.org_id = Some(v);
        Ok(())
    }),
    ("LOKI_CA_CERT_PATH", "loki.ca_cert_path", |c, v| {
        c.loki.ca_cert_path = Some(PathBuf::from(v));
        Ok(())
    }),
    ("LOKI_CERT_PATH", "loki.cert_path", |c, v| {
        c.loki.cert_path = Some(PathBuf::from(v));
        Ok(())
    }),
    ("LOKI_KEY_PATH", "loki.key_path", |c, v| {
        c.loki.key_path = Some(PathBuf::from(v));
        Ok(())
    }),
    ("LOKI_TLS_SKIP_VERIFY", "loki.tls_skip_verify", |c, v| {
        c.loki.tls_skip_verify = parse_bool(&v)?;
        Ok(())
    }),
];

/// The environment variables read, with the key each one sets.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("OPENAI_API_KEY", "llm.api_key"),
    ("OPENAI_BASE_URL", "llm.base_url"),
    ("LOKI_ADDR", "loki.base_url"),
    ("LOKI_BASE_URL", "loki.base_url"),
    ("LOKI_USERNAME", "loki.username"),
    ("LOKI_PASSWORD", "loki.password"),
    ("LOKI_BEARER_TOKEN", "loki.bearer_token"),
    ("LOKI_ORG_ID", "loki.org_id"),
    ("LOKI_CA_CERT_PATH", "loki.ca_cert_path"),
    ("LOKI_CERT_PATH", "loki.cert_path"),
    ("LOKI_KEY_PATH", "loki.key_path"),
    ("LOKI_TLS_SKIP_VERIFY", "loki.tls_skip_verify"),
];

/// Applies every set, non-empty variable of [`ENV_VARS`] to `cfg`.
pub(super) fn apply(
    cfg: &mut Config,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    for &(name, key, set) in TABLE {
        let Some(value) = var(name).filter(|v| !v.is_empty()) else {
            continue;
        };
        set(cfg, value).map_err(|message| ConfigError::Env {
            var: name.to_owned(),
            message,
        })?;
        cfg.origins
            .insert(key.to_owned(), Origin::Env(name.to_owned()));
    }
    Ok(())
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!(
            "expected a boolean (true/false, 1/0, yes/no), got {v:?}"
        )),
    }
}
