//! The app's own metrics move with what happens: a write refused by the rate limit, the trivia
//! upstream's calls by outcome, a page waiting for its turn to render.

use std::time::Duration;

use serde_json::json;

use super::scrape;
use crate::support::{ServerProcess, TestDatabase, free_port, silent_trivia_upstream};

/// The value of the exposition line that starts with `series` (name and labels), if any.
fn value(exposition: &str, series: &str) -> Option<f64> {
    exposition
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn refused_writes_and_upstream_calls_are_counted() {
    let (silent, _) = silent_trivia_upstream(Duration::from_millis(200)).await;
    let upstream = format!("http://{}", silent.local_addr().unwrap());
    let folder = tempfile::tempdir().unwrap();
    let database = TestDatabase::fresh().await;
    let metrics_addr = format!("127.0.0.1:{}", free_port());
    let server = ServerProcess::on_database(
        folder.path(),
        database.url(),
        &[
            ("METRICS_ADDR", metrics_addr.as_str()),
            ("RATE_LIMIT_PER_MINUTE", "1"),
            ("TRIVIA_API_URL", upstream.as_str()),
            ("TRIVIA_TIMEOUT_MS", "200"),
        ],
    );
    server.wait_for_line("metrics on http://");
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for n in 0..3 {
        let answer = client
            .post(server.url("/api/post"))
            .json(&json!({"title": format!("Limited {n}"), "post": "once a minute"}))
            .send()
            .await
            .unwrap();
        statuses.push(answer.status().as_u16());
    }
    // Two different numbers: neither is cached, both ask the silent upstream and give up.
    for number in [11, 12] {
        let answer = client
            .get(server.url(&format!("/api/trivia/{number}")))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    }

    let exposition = scrape(&metrics_addr).await;
    assert_eq!(statuses, [201, 429, 429]);
    assert_eq!(
        value(&exposition, "app_rate_limit_refusals_total"),
        Some(2.0)
    );
    assert_eq!(
        value(
            &exposition,
            r#"app_trivia_upstream_requests_total{outcome="timeout"}"#
        ),
        Some(2.0),
        "{exposition}"
    );
}

#[tokio::test]
async fn a_page_waiting_for_its_turn_to_render_is_in_the_render_queue_gauge() {
    let (silent, _) = silent_trivia_upstream(Duration::from_secs(3)).await;
    let upstream = format!("http://{}", silent.local_addr().unwrap());
    let folder = tempfile::tempdir().unwrap();
    let database = TestDatabase::fresh().await;
    let metrics_addr = format!("127.0.0.1:{}", free_port());
    let server = ServerProcess::on_database(
        folder.path(),
        database.url(),
        &[
            ("METRICS_ADDR", metrics_addr.as_str()),
            ("RENDER_LIMIT", "1"),
            ("TRIVIA_API_URL", upstream.as_str()),
            ("TRIVIA_TIMEOUT_MS", "3000"),
            ("REQUEST_TIMEOUT_MS", "9000"),
        ],
    );
    server.wait_for_line("metrics on http://");
    // The first page holds the only turn while it waits on the silent upstream; the second waits.
    let slow = tokio::spawn(reqwest::get(server.url("/?number=5")));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let waiting = tokio::spawn(reqwest::get(server.url("/")));
    tokio::time::sleep(Duration::from_millis(500)).await;

    let during = scrape(&metrics_addr).await;
    assert_eq!(
        value(&during, "app_render_queue_waiting"),
        Some(1.0),
        "{during}"
    );
    assert_eq!(value(&during, "app_render_limit"), Some(1.0));
    assert_eq!(slow.await.unwrap().unwrap().status(), 200);
    assert_eq!(waiting.await.unwrap().unwrap().status(), 200);
    let after = scrape(&metrics_addr).await;
    assert_eq!(
        value(&after, "app_render_queue_waiting"),
        Some(0.0),
        "{after}"
    );
}
