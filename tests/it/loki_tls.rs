//! The Loki client's TLS: CA, client certificate and key files loaded (bad
//! ones named), and real handshakes with tests/data/tls certificates.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use logcopilot::backend::BackendError;
use logcopilot::config::LokiConfig;
use logcopilot::loki::LokiClient;

use crate::loki_client::{config, ns};
use crate::loki_server::LokiServer;

fn tls_file(name: &str) -> PathBuf {
    crate::common::root().join("tests/data/tls").join(name)
}

fn bad_param(cfg: &LokiConfig) -> (&'static str, String) {
    match LokiClient::new(cfg) {
        Err(BackendError::BadParam { param, message }) => (param, message),
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn tls_files_load_and_bad_ones_name_the_setting_and_file() {
    let base = config("https://127.0.0.1:1");
    let good = LokiConfig {
        ca_cert_path: Some(tls_file("ca.pem")),
        cert_path: Some(tls_file("client.pem")),
        key_path: Some(tls_file("client.key")),
        ..base.clone()
    };
    LokiClient::new(&good).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "hello, not a certificate\n").unwrap();
    let broken = dir.path().join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let bad_der = dir.path().join("bad-der.pem");
    std::fs::write(
        &bad_der,
        "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let bad_key = dir.path().join("bad.key");
    std::fs::write(
        &bad_key,
        "-----BEGIN PRIVATE KEY-----\naGVsbG8=\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let missing = dir.path().join("missing.pem");

    let (param, msg) = bad_param(&LokiConfig {
        ca_cert_path: Some(missing.clone()),
        ..base.clone()
    });
    assert_eq!(param, "loki.ca_cert_path");
    assert!(msg.contains("missing.pem"), "{msg}");
    for f in [&garbage, &broken, &bad_der] {
        let (param, msg) = bad_param(&LokiConfig {
            ca_cert_path: Some(f.clone()),
            ..base.clone()
        });
        assert_eq!(param, "loki.ca_cert_path", "{msg}");
        assert!(
            msg.contains(&*f.file_name().unwrap().to_string_lossy()),
            "{msg}"
        );
    }

    let with = |cert: Option<&Path>, key: Option<&Path>| LokiConfig {
        cert_path: cert.map(Path::to_path_buf),
        key_path: key.map(Path::to_path_buf),
        ..base.clone()
    };
    let client_pem = tls_file("client.pem");
    let client_key = tls_file("client.key");
    assert_eq!(bad_param(&with(Some(&client_pem), None)).0, "loki.key_path");
    assert_eq!(
        bad_param(&with(None, Some(&client_key))).0,
        "loki.cert_path"
    );
    let (param, msg) = bad_param(&with(Some(&garbage), Some(&client_key)));
    assert_eq!(param, "loki.cert_path");
    assert!(msg.contains("garbage.pem"), "{msg}");
    let (param, msg) = bad_param(&with(Some(&client_pem), Some(&garbage)));
    assert_eq!(param, "loki.key_path");
    assert!(
        msg.contains("garbage.pem") && msg.contains("PRIVATE KEY"),
        "{msg}"
    );
    let (param, msg) = bad_param(&with(Some(&client_pem), Some(&bad_key)));
    assert_eq!(param, "loki.key_path");
    assert!(msg.contains("bad.key"), "{msg}");
    let (param, msg) = bad_param(&with(Some(&client_pem), Some(&tls_file("server.key"))));
    assert_eq!(param, "loki.key_path");
    assert!(
        msg.contains("does not fit") && msg.contains("server.key"),
        "{msg}"
    );
    let (param, msg) = bad_param(&with(Some(&client_pem), Some(&missing)));
    assert_eq!(param, "loki.key_path");
    assert!(msg.contains("missing.pem"), "{msg}");
}

#[tokio::test]
async fn tls_handshakes_with_a_ca_file_skip_verify_and_client_certificates() {
    let server =
        LokiServer::start_tls(&tls_file("server.pem"), &tls_file("server.key"), None).await;
    let (start, end) = (ns("2008-11-01T00:00:00Z"), ns("2017-06-01T00:00:00Z"));
    let with_ca = LokiConfig {
        ca_cert_path: Some(tls_file("ca.pem")),
        max_retries: 0,
        ..config(&server.url)
    };
    let client = LokiClient::new(&with_ca).unwrap();
    assert_eq!(
        client.labels(start, end).await.unwrap(),
        ["app", "component", "level"]
    );
    let by_name = LokiConfig {
        base_url: Some(format!("https://localhost:{}", server.addr.port())),
        ..with_ca.clone()
    };
    assert_eq!(
        LokiClient::new(&by_name)
            .unwrap()
            .labels(start, end)
            .await
            .unwrap()
            .len(),
        3
    );

    // Without the CA the server's certificate is refused, at once: with the
    // default backoff three retries would take at least 875 ms.
    let no_ca = LokiConfig {
        max_retries: 3,
        ..config(&server.url)
    };
    let t = Instant::now();
    let refused = LokiClient::new(&no_ca).unwrap().labels(start, end).await;
    assert!(
        t.elapsed() < Duration::from_millis(700),
        "a certificate refusal is not retried: {:?}",
        t.elapsed()
    );
    match refused {
        Err(BackendError::Transport { message, .. }) => {
            assert!(
                message.to_lowercase().contains("certificate") || message.contains("Issuer"),
                "{message}"
            )
        }
        other => panic!("expected a TLS error, got {other:?}"),
    }
    // ...unless verification is skipped.
    let skip = LokiConfig {
        tls_skip_verify: true,
        ..no_ca
    };
    assert_eq!(
        LokiClient::new(&skip)
            .unwrap()
            .labels(start, end)
            .await
            .unwrap()
            .len(),
        3
    );

    // Mutual TLS: the server asks for a certificate signed by the CA.
    let mtls = LokiServer::start_tls(
        &tls_file("server.pem"),
        &tls_file("server.key"),
        Some(&tls_file("ca.pem")),
    )
    .await;
    let with_cert = LokiConfig {
        base_url: Some(mtls.url.clone()),
        cert_path: Some(tls_file("client.pem")),
        key_path: Some(tls_file("client.key")),
        ..with_ca.clone()
    };
    assert_eq!(
        LokiClient::new(&with_cert)
            .unwrap()
            .labels(start, end)
            .await
            .unwrap()
            .len(),
        3
    );
    let without_cert = LokiConfig {
        base_url: Some(mtls.url.clone()),
        ..with_ca
    };
    let e = LokiClient::new(&without_cert)
        .unwrap()
        .labels(start, end)
        .await
        .unwrap_err();
    assert!(matches!(e, BackendError::Transport { .. }), "{e:?}");
    assert_eq!(
        mtls.requests().len(),
        1,
        "only the client with a certificate got through"
    );
}
