//! An OpenTelemetry collector in the test's process: OTLP over HTTP with protobuf on a free loopback
//! port, keeping every span it receives. Hand-written (an axum route decoding with
//! opentelemetry-proto): the OTLP receivers on crates.io speak gRPC, which the server does not.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{Router, body::Bytes, extract::State, routing::post};
use opentelemetry_proto::tonic::{
    collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse},
    trace::v1::Span,
};
use prost::Message;

use super::PATIENCE;

pub struct OtlpCollector {
    /// What `OTEL_EXPORTER_OTLP_ENDPOINT` is set to (`http://127.0.0.1:PORT`).
    pub endpoint: String,
    spans: Arc<Mutex<Vec<Span>>>,
}

impl OtlpCollector {
    pub async fn start() -> Self {
        let spans = Arc::new(Mutex::new(Vec::new()));
        let router = Router::new()
            .route("/v1/traces", post(collect))
            .with_state(Arc::clone(&spans));
        Self {
            endpoint: serve_for_the_test(router).await,
            spans,
        }
    }

    /// The spans received so far.
    pub fn spans(&self) -> Vec<Span> {
        self.spans.lock().expect("the spans").clone()
    }

    /// The spans once `done` accepts them, waited for at most [`PATIENCE`].
    pub async fn spans_once(&self, done: impl Fn(&[Span]) -> bool) -> Vec<Span> {
        let started = Instant::now();
        loop {
            let spans = self.spans();
            if done(&spans) {
                return spans;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "spans received: {:?}",
                span_names(&spans)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

pub fn span_names(spans: &[Span]) -> Vec<&str> {
    spans.iter().map(|span| span.name.as_str()).collect()
}

/// Serves `router` on a free loopback port for the rest of the test; returns its `http://` URL.
pub async fn serve_for_the_test(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

async fn collect(State(spans): State<Arc<Mutex<Vec<Span>>>>, body: Bytes) -> Vec<u8> {
    let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
    let mut spans = spans.lock().expect("the spans");
    for resource in request.resource_spans {
        for scope in resource.scope_spans {
            spans.extend(scope.spans);
        }
    }
    ExportTraceServiceResponse::default().encode_to_vec()
}
