//! The matched route, for the metrics, the traces and the JSON log: axum knows it only inside the
//! router (`MatchedPath`), so this layer, on every route, names the request's span after it, opens
//! the handler's span, and carries it out on the response for the metrics (`mod.rs`'s [`Answer`]).
//! Added only when something wants it (`telemetry::routes_wanted`): otherwise it does not exist.
//!
//! [`Answer`]: super::Answer

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use axum::{extract::MatchedPath, extract::Request, response::Response};
use opentelemetry::trace::TraceContextExt;
use tower::{Layer, Service};
use tracing::{Instrument, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::telemetry;

#[derive(Clone, Copy)]
pub struct RouteLayer;

impl<S> Layer<S> for RouteLayer {
    type Service = Routed<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Routed { inner }
    }
}

#[derive(Clone)]
pub struct Routed<S> {
    inner: S,
}

impl<S> Service<Request> for Routed<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let Some(route) = request.extensions().get::<MatchedPath>().cloned() else {
            return Box::pin(self.inner.call(request));
        };
        let request_span = Span::current();
        // Displayed, not debugged: no quotes around it in the text log.
        request_span.record("http_route", tracing::field::display(route.as_str()));
        let answer = if telemetry::traces_on() {
            // The exported span has started (its trace id was needed): renamed, not re-recorded.
            let name = format!("{} {}", request.method(), route.as_str());
            request_span.context().span().update_name(name);
            let handler = tracing::debug_span!("handler", otel.name = %route.as_str());
            let answer = handler.in_scope(|| self.inner.call(request));
            Box::pin(answer.instrument(handler)) as Self::Future
        } else {
            Box::pin(self.inner.call(request))
        };
        Box::pin(async move {
            let Ok(mut response) = answer.await;
            response.extensions_mut().insert(route);
            Ok(response)
        })
    }
}
