//! What a running server shows of itself (issue 24, docs/observability.md), checked with the real
//! tools: a real Prometheus scraping the binary's `METRICS_ADDR` (`prometheus.rs`), the label set
//! staying bounded (`labels.rs`), the app's own counters and gauges (`counters.rs`), an OTLP/HTTP
//! collector and a trivia upstream in the test receiving one request's spans and `traceparent`
//! (`traces.rs`), and `LOG_FORMAT=json` (`logs.rs`). Each runs the debug binary as a child
//! process, on SQLite or, with `TEST_DATABASE_URL`, PostgreSQL.

#[path = "../support/mod.rs"]
mod support;

mod counters;
mod labels;
mod logs;
mod prometheus;
mod traces;

use std::path::Path;

use support::{ServerProcess, TestDatabase, free_port};

/// The binary on a fresh database with its metrics on a free port; returns it and that address.
fn server_with_metrics(folder: &Path, database: &TestDatabase) -> (ServerProcess, String) {
    let metrics_addr = format!("127.0.0.1:{}", free_port());
    let server = ServerProcess::on_database(
        folder,
        database.url(),
        &[("METRICS_ADDR", metrics_addr.as_str())],
    );
    server.wait_for_line("metrics on http://");
    (server, metrics_addr)
}

/// The exposition text, as a scrape gets it.
async fn scrape(metrics_addr: &str) -> String {
    let response = reqwest::get(format!("http://{metrics_addr}/metrics"))
        .await
        .expect("the metrics listener answers");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    response.text().await.expect("a text")
}
