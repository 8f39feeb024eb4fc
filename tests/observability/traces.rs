//! Traces over OTLP/HTTP: the binary exports to a collector in this test
//! (`support/otlp_collector.rs`) and calls a trivia upstream stub that keeps the `traceparent` it
//! got; with no exporter, the incoming `traceparent` still reaches the upstream; a misspelled
//! sampler stops the start.

use std::sync::{Arc, Mutex};

use axum::{Router, extract::State, http::HeaderMap, routing::get};

use crate::support::{
    DEBUG_BINARY, OtlpCollector, ServerProcess, TestDatabase, serve_for_the_test, server_command,
    span_names,
};

const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
const CALLER_SPAN: &str = "b7ad6b7169203331";

#[tokio::test]
async fn one_request_s_spans_reach_the_collector_as_children_of_its_traceparent() {
    let collector = OtlpCollector::start().await;
    let received = Arc::new(Mutex::new(Vec::<String>::new()));
    let upstream = trivia_upstream(&received).await;
    let folder = tempfile::tempdir().unwrap();
    let database = TestDatabase::fresh().await;
    let server = ServerProcess::on_database(
        folder.path(),
        database.url(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("TRIVIA_API_URL", upstream.as_str()),
        ],
    );

    let answer = reqwest::Client::new()
        .get(server.url("/api/trivia/4242"))
        .header("traceparent", format!("00-{TRACE_ID}-{CALLER_SPAN}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    // The request's span ends last: once it is there, the others are.
    let spans = collector
        .spans_once(|spans| span_names(spans).contains(&"GET /api/trivia/{number}"))
        .await;
    let hex = hex::encode;
    let named = |name: &str| {
        spans
            .iter()
            .find(|span| span.name == name)
            .unwrap_or_else(|| panic!("a span {name:?} in {:?}", span_names(&spans)))
    };
    for span in &spans {
        assert_eq!(hex(&span.trace_id), TRACE_ID, "{}", span.name);
    }
    let request = named("GET /api/trivia/{number}");
    assert_eq!(hex(&request.parent_span_id), CALLER_SPAN);
    let handler = named("/api/trivia/{number}");
    assert_eq!(handler.parent_span_id, request.span_id);
    // What the handler did; its function's own span (`#[instrument]`) stays in the log.
    assert!(
        !span_names(&spans).contains(&"trivia"),
        "{:?}",
        span_names(&spans)
    );
    for query in ["db cached_trivia", "db cache_trivia"] {
        assert_eq!(named(query).parent_span_id, handler.span_id, "{query}");
    }
    let upstream_call = named("GET trivia upstream");
    assert_eq!(upstream_call.parent_span_id, handler.span_id);
    assert_eq!(spans.len(), 5, "{:?}", span_names(&spans));

    let received = received.lock().unwrap().clone();
    assert_eq!(
        received,
        [format!("00-{TRACE_ID}-{}-01", hex(&upstream_call.span_id))],
        "the traceparent the upstream received"
    );
}

#[tokio::test]
async fn a_page_s_queries_are_in_its_request_s_trace() {
    let collector = OtlpCollector::start().await;
    let folder = tempfile::tempdir().unwrap();
    let database = TestDatabase::fresh().await;
    let server = ServerProcess::on_database(
        folder.path(),
        database.url(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    );
    let answer = reqwest::Client::new()
        .get(server.url("/"))
        .header("traceparent", format!("00-{TRACE_ID}-{CALLER_SPAN}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    // The page's read runs as a task of its own (a Leptos resource), yet under the page's handler.
    let spans = collector
        .spans_once(|spans| {
            let names = span_names(spans);
            names.contains(&"GET /") && names.contains(&"db list_posts")
        })
        .await;
    let named = |name: &str| spans.iter().find(|span| span.name == name).unwrap();
    let (request, handler, query) = (named("GET /"), named("/"), named("db list_posts"));
    assert_eq!(hex::encode(&query.trace_id), TRACE_ID);
    assert_eq!(handler.parent_span_id, request.span_id);
    assert_eq!(query.parent_span_id, handler.span_id);
}

#[tokio::test]
async fn with_no_exporter_the_incoming_traceparent_still_reaches_the_upstream() {
    let (server, received) = with_no_exporter().await;
    let client = reqwest::Client::new();
    let answer = client
        .get(server.url("/api/trivia/4243"))
        .header("traceparent", format!("00-{TRACE_ID}-{CALLER_SPAN}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    // Without a traceparent, there is no trace to pass on.
    let answer = client
        .get(server.url("/api/trivia/4244"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    let received = received.lock().unwrap().clone();
    assert_eq!(
        received,
        [format!("00-{TRACE_ID}-{CALLER_SPAN}-01")],
        "the traceparents the upstream received"
    );
}

#[tokio::test]
async fn a_tracestate_is_passed_on_up_to_512_bytes_and_a_longer_one_is_dropped() {
    let (server, received) = with_no_exporter().await;
    let client = reqwest::Client::new();
    let traceparent = format!("00-{TRACE_ID}-{CALLER_SPAN}-01");
    // 512 bytes of `a=,a=,…`-like entries is the most taken; 100 000 entries is an attack on the
    // parser (each entry an allocation), answered as if the header were not there.
    let short = "vendor=value";
    let long = "k=v,".repeat(25_000);
    for (number, tracestate) in [(4245, short), (4246, long.as_str())] {
        let answer = client
            .get(server.url(&format!("/api/trivia/{number}")))
            .header("traceparent", &traceparent)
            .header("tracestate", tracestate)
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer.status(),
            200,
            "tracestate of {} bytes",
            tracestate.len()
        );
    }

    let received = received.lock().unwrap().clone();
    assert_eq!(
        received,
        [
            traceparent.clone(),
            format!("tracestate: {short}"),
            traceparent
        ],
        "what the upstream received: the short tracestate, not the long one"
    );
}

/// The server with no exporter, its trivia upstream the stub, and what the stub receives.
async fn with_no_exporter() -> (NoExporter, Arc<Mutex<Vec<String>>>) {
    let received = Arc::new(Mutex::new(Vec::<String>::new()));
    let upstream = trivia_upstream(&received).await;
    let folder = tempfile::tempdir().unwrap();
    let database = TestDatabase::fresh().await;
    let server = ServerProcess::on_database(
        folder.path(),
        database.url(),
        &[("TRIVIA_API_URL", upstream.as_str())],
    );
    (
        NoExporter {
            server,
            _database: database,
            _folder: folder,
        },
        received,
    )
}

/// A server and what it runs on, kept for as long as the test uses it.
struct NoExporter {
    server: ServerProcess,
    _database: TestDatabase,
    _folder: tempfile::TempDir,
}

impl std::ops::Deref for NoExporter {
    type Target = ServerProcess;

    fn deref(&self) -> &ServerProcess {
        &self.server
    }
}

/// A trivia upstream for the test that keeps the `traceparent` (and `tracestate`) of each call.
async fn trivia_upstream(received: &Arc<Mutex<Vec<String>>>) -> String {
    serve_for_the_test(
        Router::new()
            .route("/{number}", get(trivia_stub))
            .with_state(Arc::clone(received)),
    )
    .await
}

async fn trivia_stub(
    State(received): State<Arc<Mutex<Vec<String>>>>,
    headers: HeaderMap,
) -> &'static str {
    let mut received = received.lock().unwrap();
    for name in ["traceparent", "tracestate"] {
        // The propagator writes `tracestate` even when empty: only an entry counts here.
        if let Some(value) = headers.get(name).filter(|value| !value.is_empty()) {
            let value = value.to_str().unwrap_or_default();
            received.push(match name {
                "traceparent" => value.to_owned(),
                _ => format!("{name}: {value}"),
            });
        }
    }
    "4242 is the number of this test."
}

#[test]
fn a_misspelled_sampler_stops_the_start_with_one_line_naming_it() {
    let folder = tempfile::tempdir().unwrap();
    for (variable, value) in [
        ("OTEL_TRACES_SAMPLER", "sometimes"),
        ("OTEL_TRACES_SAMPLER_ARG", "2"),
    ] {
        let output = server_command(DEBUG_BINARY, folder.path())
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
            .env("OTEL_TRACES_SAMPLER", "traceidratio")
            .env(variable, value)
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!("error: invalid {variable}: ")),
            "{stderr}"
        );
    }
}
