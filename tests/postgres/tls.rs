//! TLS to PostgreSQL (rustls), as `sslmode=` in `DATABASE_URL` asks: on a cluster of the test's own
//! with a self-signed certificate for 127.0.0.1.

use std::{path::Path, process::Command};

use leptos_api_routes::{config::DatabaseConfig, db};
use reqwest::StatusCode;
use tempfile::TempDir;

use crate::support::{PgCluster, TestApp, TestDatabase, hand_to_server};

/// A certificate authority (`ca.crt`) and a key and certificate it signed for 127.0.0.1
/// (`server.key`, `server.crt`), made with the openssl command.
fn certificate() -> TempDir {
    let folder = tempfile::tempdir().unwrap();
    let extensions = "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
                      keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n";
    std::fs::write(folder.path().join("server.ext"), extensions).unwrap();
    for step in [
        "req -new -x509 -days 2 -nodes -subj /CN=test-authority -keyout ca.key -out ca.crt",
        "req -new -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr",
        "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
         -extfile server.ext -out server.crt",
    ] {
        let made = Command::new("openssl")
            .current_dir(folder.path())
            .args(step.split_whitespace())
            .output()
            .expect("the openssl command runs");
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
    }
    hand_to_server(folder.path());
    folder
}

async fn cluster_with_tls(certificate: &Path) -> PgCluster {
    let settings = [
        "ssl=on".to_owned(),
        format!("ssl_cert_file={}", certificate.join("server.crt").display()),
        format!("ssl_key_file={}", certificate.join("server.key").display()),
    ];
    tokio::task::spawn_blocking(move || {
        PgCluster::start(&settings.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .unwrap()
}

async fn open(url: &str) -> Result<db::Db, db::OpenError> {
    db::open(&DatabaseConfig::new(url.parse().unwrap())).await
}

#[tokio::test]
async fn with_sslmode_require_every_connection_of_the_app_is_encrypted() {
    let certificate = certificate();
    let cluster = cluster_with_tls(certificate.path()).await;
    let app = TestApp::spawn_on(TestDatabase::on_cluster(cluster, "sslmode=require"), |_| {}).await;

    assert_eq!(app.get("/api/health").await.status(), StatusCode::OK);

    let [encrypted, plain] = [true, false].map(|ssl| {
        format!(
            "SELECT COUNT(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.application_name = 'leptos-api-routes' AND s.ssl = {ssl}"
        )
    });
    assert!(app.database().column::<i64>(&encrypted).await[0] >= 1);
    assert_eq!(app.database().column::<i64>(&plain).await[0], 0);
}

#[tokio::test]
async fn sslmode_verify_full_accepts_the_server_only_with_its_certificate_authority() {
    let certificate = certificate();
    let cluster = cluster_with_tls(certificate.path()).await;
    let authority = certificate.path().join("ca.crt");

    let unverified = open(&cluster.url("postgres", "sslmode=verify-full")).await;
    let verified = open(&cluster.url(
        "postgres",
        &format!("sslmode=verify-full&sslrootcert={}", authority.display()),
    ))
    .await;

    let refusal = unverified.expect_err("an unknown certificate authority is refused");
    assert!(refusal.to_string().starts_with("DATABASE_URL"), "{refusal}");
    verified
        .expect("the certificate verifies against its authority")
        .close()
        .await;
}

#[tokio::test]
async fn sslmode_require_refuses_a_server_without_tls() {
    let cluster = tokio::task::spawn_blocking(|| PgCluster::start(&[]))
        .await
        .unwrap();

    let refused = open(&cluster.url("postgres", "sslmode=require")).await;
    let plain = open(&cluster.url("postgres", "sslmode=prefer")).await;

    assert!(refused.is_err(), "no TLS, no connection");
    plain.expect("prefer falls back to plain").close().await;
}
