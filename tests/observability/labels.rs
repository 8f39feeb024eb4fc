//! The metrics' label set stays bounded whatever clients ask for: a path no route matches is one
//! `http_route` value, an unknown method one `http_request_method` value.

use super::{scrape, server_with_metrics};
use crate::support::TestDatabase;

/// The `http_server_request_duration_seconds` series in an exposition, one `_count` line each.
fn series(exposition: &str) -> Vec<&str> {
    exposition
        .lines()
        .filter(|line| line.starts_with("http_server_request_duration_seconds_count{"))
        .collect()
}

#[tokio::test]
async fn a_thousand_requests_to_distinct_unknown_paths_add_one_series() {
    let folder = tempfile::tempdir().unwrap();
    let database = TestDatabase::fresh().await;
    let (server, metrics_addr) = server_with_metrics(folder.path(), &database);
    let client = reqwest::Client::new();
    client.get(server.url("/api/hello")).send().await.unwrap();
    let before = scrape(&metrics_addr).await;

    for n in 0..1_000 {
        let answer = client
            .get(server.url(&format!("/no-such-page-{n}/{n}")))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 404);
    }

    let after = scrape(&metrics_addr).await;
    let added: Vec<&str> = series(&after)
        .into_iter()
        .filter(|line| {
            !series(&before)
                .iter()
                .any(|old| old.split(' ').next() == line.split(' ').next())
        })
        .collect();
    assert_eq!(
        added,
        [
            r#"http_server_request_duration_seconds_count{http_request_method="GET",http_route="unmatched",http_response_status_code="404"} 1000"#
        ]
    );
    assert!(!after.contains("no-such-page"), "no path in {after}");
}

#[tokio::test]
async fn an_invented_method_is_counted_as_other() {
    let folder = tempfile::tempdir().unwrap();
    let database = TestDatabase::fresh().await;
    let (server, metrics_addr) = server_with_metrics(folder.path(), &database);
    let client = reqwest::Client::new();
    for method in ["BREW", "WHEN"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        client
            .request(method, server.url("/api/hello"))
            .send()
            .await
            .unwrap();
    }
    let exposition = scrape(&metrics_addr).await;
    assert!(!exposition.contains("BREW") && !exposition.contains("WHEN"));
    let other: Vec<&str> = series(&exposition)
        .into_iter()
        .filter(|line| line.contains(r#"http_request_method="_OTHER""#))
        .collect();
    assert_eq!(other.len(), 1, "{exposition}");
    assert!(other[0].ends_with(" 2"), "{other:?}");
}
