//! TLS settings of the Loki client: a CA file (PEM, one or more
//! certificates), a client certificate and key (PEM) for mutual TLS, and
//! skipping verification. Every file is read and checked when the client is
//! built, so a bad file is reported naming its setting and path.

use std::path::Path;

use reqwest::{Certificate, ClientBuilder, Identity};

use crate::backend::BackendError;
use crate::config::LokiConfig;

/// Adds the TLS settings of `cfg` to `builder`.
pub fn configure(
    mut builder: ClientBuilder,
    cfg: &LokiConfig,
) -> Result<ClientBuilder, BackendError> {
    if let Some(path) = &cfg.ca_cert_path {
        for cert in load_ca(path)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    match (&cfg.cert_path, &cfg.key_path) {
        (Some(cert), Some(key)) => builder = builder.identity(load_identity(cert, key)?),
        (Some(_), None) => {
            return Err(bad(
                "loki.key_path",
                "loki.cert_path is set but loki.key_path is not: a client certificate needs its key".into(),
            ));
        }
        (None, Some(_)) => {
            return Err(bad(
                "loki.cert_path",
                "loki.key_path is set but loki.cert_path is not: a client key needs its certificate".into(),
            ));
        }
        (None, None) => {}
    }
    if cfg.tls_skip_verify {
        builder = builder.danger_accept_invalid_certs(true);
    }
    Ok(builder)
}

/// The certificates of a PEM CA file, each checked by building a client with it.
pub fn load_ca(path: &Path) -> Result<Vec<Certificate>, BackendError> {
    let pem = read("loki.ca_cert_path", "CA certificate", path)?;
    let certs = Certificate::from_pem_bundle(&pem).map_err(|e| {
        bad(
            "loki.ca_cert_path",
            format!(
                "{} is not a PEM certificate file: {}",
                path.display(),
                chain(&e)
            ),
        )
    })?;
    if certs.is_empty() {
        return Err(bad(
            "loki.ca_cert_path",
            format!(
                "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                path.display()
            ),
        ));
    }
    let mut probe = reqwest::Client::builder();
    for c in &certs {
        probe = probe.add_root_certificate(c.clone());
    }
    probe.build().map_err(|e| {
        bad(
            "loki.ca_cert_path",
            format!(
                "{} holds an unusable certificate: {}",
                path.display(),
                chain(&e)
            ),
        )
    })?;
    Ok(certs)
}

/// A client identity from a PEM certificate (chain) file and a PEM key file
/// (PKCS#8, PKCS#1 RSA or SEC1 EC).
pub fn load_identity(cert_path: &Path, key_path: &Path) -> Result<Identity, BackendError> {
    let cert = read("loki.cert_path", "client certificate", cert_path)?;
    let key = read("loki.key_path", "client key", key_path)?;
    match Certificate::from_pem_bundle(&cert) {
        Ok(c) if !c.is_empty() => {}
        Ok(_) => {
            return Err(bad(
                "loki.cert_path",
                format!(
                    "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                    cert_path.display()
                ),
            ));
        }
        Err(e) => {
            return Err(bad(
                "loki.cert_path",
                format!(
                    "{} is not a PEM certificate file: {}",
                    cert_path.display(),
                    chain(&e)
                ),
            ));
        }
    }
    if !String::from_utf8_lossy(&key).contains("PRIVATE KEY-----") {
        return Err(bad(
            "loki.key_path",
            format!(
                "{} holds no PEM private key (-----BEGIN PRIVATE KEY-----)",
                key_path.display()
            ),
        ));
    }
    // Only the key part of the key file, then the certificates.
    let mut pem = key_sections(&key);
    pem.push(b'\n');
    pem.extend_from_slice(&cert);
    let identity = Identity::from_pem(&pem).map_err(|e| {
        bad(
            "loki.key_path",
            format!(
                "{} is not a usable PEM private key: {}",
                key_path.display(),
                chain(&e)
            ),
        )
    })?;
    reqwest::Client::builder()
        .identity(identity.clone())
        .build()
        .map_err(|e| {
            let why = chain(&e);
            let message = if why.contains("KeyMismatch") || why.contains("not be consistent") {
                format!(
                    "the key {} does not fit the certificate {}: {why}",
                    key_path.display(),
                    cert_path.display()
                )
            } else {
                format!(
                    "{} is not a usable private key for {}: {why}",
                    key_path.display(),
                    cert_path.display()
                )
            };
            bad("loki.key_path", message)
        })?;
    Ok(identity)
}

/// The `-----BEGIN ... PRIVATE KEY-----` blocks of a PEM file (a key file may
/// also hold certificates or parameters, which would confuse the identity).
fn key_sections(pem: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(pem);
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with("-----BEGIN") && l.contains("PRIVATE KEY-----") {
            inside = true;
        }
        if inside {
            out.push_str(l);
            out.push('\n');
        }
        if l.starts_with("-----END") {
            inside = false;
        }
    }
    out.into_bytes()
}

fn read(setting: &'static str, what: &str, path: &Path) -> Result<Vec<u8>, BackendError> {
    std::fs::read(path).map_err(|e| {
        bad(
            setting,
            format!("cannot read the {what} file {}: {e}", path.display()),
        )
    })
}

fn bad(param: &'static str, message: String) -> BackendError {
    BackendError::BadParam { param, message }
}

/// An error and its sources, `: `-joined (reqwest's own text is terse).
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_sections_keep_only_keys() {
        let pem = b"-----BEGIN EC PARAMETERS-----\nBggq\n-----END EC PARAMETERS-----\n-----BEGIN EC PRIVATE KEY-----\nabc\n-----END EC PRIVATE KEY-----\n";
        let out = String::from_utf8(key_sections(pem)).unwrap();
        assert_eq!(
            out,
            "-----BEGIN EC PRIVATE KEY-----\nabc\n-----END EC PRIVATE KEY-----\n"
        );
    }

    #[test]
    fn missing_files_name_setting_and_path() {
        let e = load_ca(Path::new("/nonexistent/ca.pem"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("loki.ca_cert_path") && e.contains("/nonexistent/ca.pem"),
            "{e}"
        );
        let e = load_identity(
            Path::new("/nonexistent/c.pem"),
            Path::new("/nonexistent/k.pem"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("loki.cert_path") && e.contains("/nonexistent/c.pem"),
            "{e}"
        );
    }
}
