//! `LOG_FORMAT=json`: every line a real server writes, from its start to its stop, is one JSON
//! object; a request's lines carry its request id (and its `traceparent`'s trace id, with no
//! exporter set), its route, status and latency; no secret is written.

use serde_json::Value;

use crate::support::{PREVIEW_SECRET, ServerProcess, TestDatabase, WEBHOOK_SECRET, send_signal};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

#[tokio::test]
async fn with_log_format_json_every_line_is_an_object_carrying_the_request_id() {
    let folder = tempfile::tempdir().unwrap();
    let database = TestDatabase::fresh().await;
    // LEPTOS_OUTPUT_NAME as `cargo leptos` bakes it into a release: without it, Leptos prints a
    // plain-text hint of its own (the debug binary of `cargo test` is built without it).
    let settings = [
        ("LOG_FORMAT", "json"),
        ("LEPTOS_OUTPUT_NAME", "leptos-api-routes"),
    ];
    let server = ServerProcess::on_database(folder.path(), database.url(), &settings);
    let client = reqwest::Client::new();
    let requests = [
        ("json-hello", "/api/hello"),
        ("json-missing-post", "/api/post/999999"),
        ("json-unknown", "/no-such-page"),
        (
            "json-preview",
            &format!("/api/preview?secret={PREVIEW_SECRET}") as &str,
        ),
    ];
    for (request_id, path) in requests {
        client
            .get(server.url(path))
            .header("x-request-id", request_id)
            .header("traceparent", TRACEPARENT)
            .send()
            .await
            .unwrap();
    }
    send_signal("TERM", server.id());
    server.wait_for_line("stopped");

    let log = server.process.log();
    let lines: Vec<Value> = log
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line)
                .unwrap_or_else(|error| panic!("{error}: a line that is not JSON: {line:?}"))
        })
        .collect();
    assert!(lines.iter().all(|line| line.is_object()
        && line["timestamp"].is_string()
        && line["level"].is_string()
        && line["message"].is_string()));
    for (request_id, _) in requests {
        let finished = lines
            .iter()
            .find(|line| {
                line["request_id"] == request_id && line["message"] == "finished processing request"
            })
            .unwrap_or_else(|| panic!("the line of {request_id} in {log}"));
        assert_eq!(finished["trace_id"], TRACE_ID, "{finished}");
        assert!(finished["status"].is_u64(), "{finished}");
        assert!(finished["latency"].is_string(), "{finished}");
    }
    let hello = lines
        .iter()
        .find(|line| line["request_id"] == "json-hello")
        .unwrap();
    assert_eq!(hello["http_route"], "/api/hello");
    for secret in [PREVIEW_SECRET, WEBHOOK_SECRET] {
        assert!(!log.contains(secret), "a secret in the log: {log}");
    }
}

#[tokio::test]
async fn a_problem_answer_carries_the_incoming_trace_id() {
    let folder = tempfile::tempdir().unwrap();
    let database = TestDatabase::fresh().await;
    let server = ServerProcess::on_database(folder.path(), database.url(), &[]);
    let client = reqwest::Client::new();
    let problem: Value = client
        .get(server.url("/api/post/999999"))
        .header("traceparent", TRACEPARENT)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(problem["status"], 404);
    assert_eq!(problem["trace_id"], TRACE_ID);

    // A malformed traceparent is no trace: nothing is made up from it.
    let problem: Value = client
        .get(server.url("/api/post/999999"))
        .header("traceparent", "00-not-a-trace-01")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(problem.get("trace_id").is_none(), "{problem}");
}

#[tokio::test]
async fn with_the_request_log_off_a_problem_answer_still_carries_the_incoming_trace_id() {
    let folder = tempfile::tempdir().unwrap();
    let database = TestDatabase::fresh().await;
    // The request's span and lines off (`middleware::trace`); the line that says where the server
    // listens (the binary's, `leptos_api_routes`) kept.
    let settings = [(
        "RUST_LOG",
        "warn,leptos_api_routes=info,leptos_api_routes::middleware=warn",
    )];
    let server = ServerProcess::on_database(folder.path(), database.url(), &settings);
    let problem: Value = reqwest::Client::new()
        .get(server.url("/api/post/999999"))
        .header("traceparent", TRACEPARENT)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(problem["status"], 404);
    assert_eq!(problem["trace_id"], TRACE_ID);
    assert!(
        !server.process.logged("finished processing request"),
        "the request's log is off: {}",
        server.process.log()
    );
}
