//! `REQUEST_TIMEOUT_MS`: what the client gets when tower's `Timeout` drops a request: 503
//! problem+json (the server too slow, a temporary condition), or 408 closing the connection when the
//! handler waited for the rest of a body the client stopped sending. By hand: tower-http's
//! `TimeoutLayer` answers a bare status, with neither the problem body nor that difference.

use std::{
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::{Body, Bytes, HttpBody},
    extract::Request,
    http::StatusCode,
    response::Response,
};
use http_body::{Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::problem::{closing_connection, problem};

/// The answer to a request that ran out of time: 408 if the request's body was being waited for
/// (`body` from [`watch_body`]), else 503.
pub fn expired(timeout: Duration, body: Option<&BodyWait>) -> Response {
    if body.is_some_and(BodyWait::is_waiting) {
        return closing_connection(problem(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "The request's body did not arrive within {} ms.",
                timeout.as_millis()
            ),
            None,
        ));
    }
    tracing::warn!(timeout_ms = timeout.as_millis(), "request timed out");
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "The server could not answer within {} ms; try again later.",
            timeout.as_millis()
        ),
        None,
    )
}

/// Whether a request's body is being waited for: the handler asked for more of it, and the client
/// has not sent it yet.
#[derive(Clone, Default)]
pub struct BodyWait(Arc<AtomicBool>);

impl BodyWait {
    fn is_waiting(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Watches the body of `request`, if it has one, for [`expired`]. A request without a body (a GET)
/// costs nothing.
pub fn watch_body(request: &mut Request) -> Option<BodyWait> {
    if request.body().is_end_stream() {
        return None;
    }
    let wait = BodyWait::default();
    let body = std::mem::take(request.body_mut());
    *request.body_mut() = Body::new(WatchedBody {
        body,
        wait: wait.clone(),
    });
    Some(wait)
}

pin_project! {
    /// A request's body, telling its [`BodyWait`] whether its last read is waiting for the client.
    struct WatchedBody {
        #[pin]
        body: Body,
        wait: BodyWait,
    }
}

impl HttpBody for WatchedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.project();
        let polled = this.body.poll_frame(cx);
        this.wait.0.store(polled.is_pending(), Ordering::Release);
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
