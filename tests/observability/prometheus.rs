//! A real Prometheus (Debian's `prometheus`, installed by scripts/setup.sh) scrapes the binary once a
//! second, from a throwaway data folder on a free loopback port, and is asked what it saw.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use super::{scrape, server_with_metrics};
use crate::support::{PREVIEW_SECRET, Process, TestDatabase, WEBHOOK_SECRET, free_port};

/// Prometheus's first samples are queryable 5 to 8 s after its start (TOOLCHAIN.md).
const PROMETHEUS_PATIENCE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn a_real_prometheus_counts_the_requests_the_test_made_to_a_route() {
    let folder = tempfile::tempdir().unwrap();
    let database = TestDatabase::fresh().await;
    let (server, metrics_addr) = server_with_metrics(folder.path(), &database);
    let client = reqwest::Client::new();
    let posts = 7;
    for n in 0..posts {
        let created = client
            .post(server.url("/api/post"))
            .json(&json!({"title": format!("Scraped {n}"), "post": "counted"}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
    }
    // Other routes' requests must not count under /api/post.
    for path in ["/api/hello", "/api/post/1", "/api/health"] {
        client.get(server.url(path)).send().await.unwrap();
    }

    let prometheus = Prometheus::start(folder.path(), &metrics_addr);
    let query = r#"sum(http_server_request_duration_seconds_count{http_route="/api/post"})"#;
    let answer = prometheus
        .query_until(query, |value| value == Some("7"))
        .await;
    assert_eq!(
        answer.as_deref(),
        Some("7"),
        "Prometheus's answer to {query}"
    );
    let build = prometheus
        .query_until("build_info", |value| value == Some("1"))
        .await;
    assert_eq!(build.as_deref(), Some("1"));
    drop(server);
}

#[tokio::test]
async fn promtool_finds_the_exposition_well_formed() {
    let folder = tempfile::tempdir().unwrap();
    let database = TestDatabase::fresh().await;
    let (server, metrics_addr) = server_with_metrics(folder.path(), &database);
    let client = reqwest::Client::new();
    // Every kind of metric present: a request of each outcome, a page, a refused write.
    client.get(server.url("/api/hello")).send().await.unwrap();
    client
        .get(server.url("/no-such-page"))
        .send()
        .await
        .unwrap();
    client
        .post(server.url("/api/post"))
        .body("{")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    client
        .get(server.url("/api/trivia/7"))
        .send()
        .await
        .unwrap();
    let exposition = scrape(&metrics_addr).await;
    for name in [
        "http_server_request_duration_seconds_bucket",
        "http_server_active_requests",
        "build_info",
        "app_db_pool_connections",
        "app_db_pool_idle_connections",
        "app_render_limit",
    ] {
        assert!(exposition.contains(name), "{name} in {exposition}");
    }

    for secret in [PREVIEW_SECRET, WEBHOOK_SECRET] {
        assert!(!exposition.contains(secret), "a secret in {exposition}");
    }

    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs (scripts/setup.sh installs Debian's prometheus)");
    use std::io::Write;
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool check metrics: {}{}\n{exposition}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}

/// A Prometheus process scraping one target every second; killed when dropped.
struct Prometheus {
    _process: Process,
    api: String,
}

impl Prometheus {
    fn start(folder: &std::path::Path, target: &str) -> Self {
        let config = folder.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let listen = format!("127.0.0.1:{}", free_port());
        let mut command = Command::new("prometheus");
        command.args([
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", folder.join("tsdb").display()),
            format!("--web.listen-address={listen}"),
        ]);
        Self {
            _process: Process::start(command),
            api: format!("http://{listen}/api/v1/query"),
        }
    }

    /// The query's first sample value, asked again until `done` accepts it or patience runs out.
    async fn query_until(
        &self,
        query: &str,
        done: impl Fn(Option<&str>) -> bool,
    ) -> Option<String> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let value = match client
                .get(&self.api)
                .query(&[("query", query)])
                .send()
                .await
            {
                Ok(response) => response.json::<Value>().await.ok().and_then(|answer| {
                    answer["data"]["result"][0]["value"][1]
                        .as_str()
                        .map(str::to_owned)
                }),
                Err(_) => None,
            };
            if done(value.as_deref()) || started.elapsed() > PROMETHEUS_PATIENCE {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}
