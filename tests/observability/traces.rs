//! Traces over OTLP/HTTP: the binary exports to a collector in this test (an axum route decoding
//! the exporter's protobuf with opentelemetry-proto: hand-written, as the only OTLP receivers on
//! crates.io speak gRPC), and calls a trivia upstream stub that keeps the `traceparent` it got.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::get, routing::post};
use opentelemetry_proto::tonic::{
    collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse},
    trace::v1::Span,
};
use prost::Message;

use crate::support::{PATIENCE, ServerProcess, TestDatabase};

const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
const CALLER_SPAN: &str = "b7ad6b7169203331";

#[tokio::test]
async fn one_request_s_spans_reach_the_collector_as_children_of_its_traceparent() {
    let spans = Arc::new(Mutex::new(Vec::<Span>::new()));
    let collector = serve(
        Router::new()
            .route("/v1/traces", post(collect))
            .with_state(Arc::clone(&spans)),
    )
    .await;
    let received = Arc::new(Mutex::new(Vec::<String>::new()));
    let upstream = serve(
        Router::new()
            .route("/{number}", get(trivia_stub))
            .with_state(Arc::clone(&received)),
    )
    .await;
    let folder = tempfile::tempdir().unwrap();
    let database = TestDatabase::fresh().await;
    let server = ServerProcess::on_database(
        folder.path(),
        database.url(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.as_str()),
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

    let spans = wait_for(&spans, |spans| {
        spans
            .iter()
            .any(|span| span.name == "GET /api/trivia/{number}")
    })
    .await;
    let hex = hex::encode;
    let named = |name: &str| {
        spans
            .iter()
            .find(|span| span.name == name)
            .unwrap_or_else(|| panic!("a span {name:?} in {:?}", names(&spans)))
    };
    for span in &spans {
        assert_eq!(hex(&span.trace_id), TRACE_ID, "{}", span.name);
    }
    let request = named("GET /api/trivia/{number}");
    assert_eq!(hex(&request.parent_span_id), CALLER_SPAN);
    let handler = named("/api/trivia/{number}");
    assert_eq!(handler.parent_span_id, request.span_id);
    // The handler function's own span (`#[instrument]` in api/trivia.rs), then what it did.
    let handler_fn = named("trivia");
    assert_eq!(handler_fn.parent_span_id, handler.span_id);
    for query in ["db cached_trivia", "db cache_trivia"] {
        assert_eq!(named(query).parent_span_id, handler_fn.span_id, "{query}");
    }
    let upstream_call = named("GET trivia upstream");
    assert_eq!(upstream_call.parent_span_id, handler_fn.span_id);

    let received = received.lock().unwrap().clone();
    assert_eq!(
        received,
        [format!("00-{TRACE_ID}-{}-01", hex(&upstream_call.span_id))],
        "the traceparent the upstream received"
    );
}

fn names(spans: &[Span]) -> Vec<&str> {
    spans.iter().map(|span| span.name.as_str()).collect()
}

/// Serves `router` on a free loopback port for the rest of the test; returns its `http://` URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

async fn collect(State(spans): State<Arc<Mutex<Vec<Span>>>>, body: Bytes) -> Vec<u8> {
    let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
    let mut spans = spans.lock().unwrap();
    for resource in request.resource_spans {
        for scope in resource.scope_spans {
            spans.extend(scope.spans);
        }
    }
    ExportTraceServiceResponse::default().encode_to_vec()
}

async fn trivia_stub(
    State(received): State<Arc<Mutex<Vec<String>>>>,
    headers: HeaderMap,
) -> &'static str {
    if let Some(traceparent) = headers.get("traceparent") {
        received
            .lock()
            .unwrap()
            .push(traceparent.to_str().unwrap_or_default().to_owned());
    }
    "4242 is the number of this test."
}

/// The spans collected once `done` says they are all there, waited for at most [`PATIENCE`].
async fn wait_for(spans: &Mutex<Vec<Span>>, done: impl Fn(&[Span]) -> bool) -> Vec<Span> {
    let started = Instant::now();
    loop {
        let collected = spans.lock().unwrap().clone();
        if done(&collected) {
            // The rest of the batch, if the exporter split it.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return spans.lock().unwrap().clone();
        }
        assert!(
            started.elapsed() < PATIENCE,
            "spans collected: {:?}",
            names(&collected)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
