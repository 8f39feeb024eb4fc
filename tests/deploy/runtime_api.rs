//! A stand-in for AWS Lambda's Runtime API (version `2018-06-01`), small enough to read: on
//! 127.0.0.1, port 0, it hands out the events a test queues (`GET …/runtime/invocation/next`, with
//! the `Lambda-Runtime-*` headers Lambda sends) and records what the function sends back
//! (`…/invocation/{id}/response`, `…/{id}/error`, `…/init/error`), each call with the moment it
//! arrived, so a test can time a cold start.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::IntoResponse,
    routing::{get, post},
};
use serde_json::Value;
use tokio::sync::{Mutex, mpsc};

use crate::support::PATIENCE;

/// What the function did, as the stand-in saw it.
#[derive(Debug)]
pub enum Call {
    /// It asked for the next invocation.
    Next { at: Instant },
    /// It answered invocation `id`.
    Response {
        id: String,
        payload: Value,
        at: Instant,
    },
    /// It reported that invocation `id` failed.
    InvocationError { id: String, payload: Value },
    /// It reported that it could not start.
    InitError { error_type: String, payload: Value },
}

pub struct RuntimeApi {
    pub addr: SocketAddr,
    events: mpsc::UnboundedSender<String>,
    calls: mpsc::UnboundedReceiver<Call>,
    /// Events queued so far: the next one's number (its request id's last part).
    queued: u64,
    server: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct Shared {
    events: Arc<Mutex<mpsc::UnboundedReceiver<String>>>,
    calls: mpsc::UnboundedSender<Call>,
    invocations: Arc<AtomicU64>,
}

impl RuntimeApi {
    pub async fn start() -> Self {
        let (events, queued) = mpsc::unbounded_channel();
        let (calls_sender, calls) = mpsc::unbounded_channel();
        let shared = Shared {
            events: Arc::new(Mutex::new(queued)),
            calls: calls_sender,
            invocations: Arc::default(),
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route(
                "/2018-06-01/runtime/invocation/{id}/error",
                post(invocation_error),
            )
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let addr = listener.local_addr().expect("an address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            addr,
            events,
            calls,
            queued: 0,
            server,
        }
    }

    /// Queues an invocation with `event` (JSON text); returns its request id.
    pub fn invoke(&mut self, event: String) -> String {
        let id = request_id(self.queued);
        self.queued += 1;
        self.events.send(event).expect("the stand-in runs");
        id
    }

    /// The next call the function made, waited for at most [`PATIENCE`].
    pub async fn next_call(&mut self) -> Call {
        tokio::time::timeout(PATIENCE, self.calls.recv())
            .await
            .unwrap_or_else(|_| panic!("the function calls the Runtime API within {PATIENCE:?}"))
            .expect("the stand-in runs")
    }

    /// The next response or error the function sent, skipping its requests for more work.
    pub async fn next_outcome(&mut self) -> Call {
        loop {
            match self.next_call().await {
                Call::Next { .. } => continue,
                outcome => return outcome,
            }
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(shared): State<Shared>) -> impl IntoResponse {
    let _ = shared.calls.send(Call::Next { at: Instant::now() });
    let Some(event) = shared.events.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let number = shared.invocations.fetch_add(1, Ordering::SeqCst);
    let deadline = SystemTime::now() + Duration::from_secs(30);
    let deadline_ms = deadline
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_millis();
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, HeaderValue::from_str(&value).expect("a header value"));
    };
    set("lambda-runtime-aws-request-id", request_id(number));
    set("lambda-runtime-deadline-ms", deadline_ms.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-2:123456789012:function:leptos-api-routes".to_owned(),
    );
    set(
        "lambda-runtime-trace-id",
        format!("Root=1-6740a4c0-{number:024x};Sampled=0"),
    );
    set("content-type", "application/json".to_owned());
    (headers, event).into_response()
}

/// The request id of the `number`th invocation (from 0), handed out in the order events were queued.
fn request_id(number: u64) -> String {
    format!("8476a536-e9f4-11e8-9739-{number:012x}")
}

fn json(body: &Bytes) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

async fn response(State(shared): State<Shared>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let _ = shared.calls.send(Call::Response {
        id,
        payload: json(&body),
        at: Instant::now(),
    });
    StatusCode::ACCEPTED
}

async fn invocation_error(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let _ = shared.calls.send(Call::InvocationError {
        id,
        payload: json(&body),
    });
    StatusCode::ACCEPTED
}

async fn init_error(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let error_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let _ = shared.calls.send(Call::InitError {
        error_type,
        payload: json(&body),
    });
    StatusCode::ACCEPTED
}
