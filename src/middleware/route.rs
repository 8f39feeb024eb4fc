//! The matched route, for the metrics, the traces and the JSON log: axum knows it only inside the
//! router (`MatchedPath`), so this layer, on every route, names the request's spans after it (the
//! log's, and the exported one started in `telemetry::trace_context`), starts the handler's span
//! when traces are exported, and carries the route out on the response for the metrics (`mod.rs`'s
//! [`Answer`]).
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
use opentelemetry::{
    KeyValue,
    trace::{TraceContextExt, Tracer},
};
use tower::{Layer, Service};
use tracing::Span;

use crate::telemetry::{
    self,
    trace_context::{self, InContext},
};

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
        // Displayed, not debugged: no quotes around it in the text log.
        Span::current().record("http_route", tracing::field::display(route.as_str()));
        match telemetry::tracer() {
            Some(tracer) => {
                // The request's span, current since the outer middleware started it.
                let parent = opentelemetry::Context::current();
                let request_span = parent.span();
                if request_span.is_recording() {
                    let method = trace_context::method_name(request.method());
                    request_span.update_name(format!("{method} {}", route.as_str()));
                    request_span
                        .set_attribute(KeyValue::new("http.route", route.as_str().to_owned()));
                }
                let handler = tracer
                    .span_builder(route.as_str().to_owned())
                    .start_with_context(tracer, &parent);
                let context = parent.with_span(handler);
                let answer = {
                    let _attached = context.clone().attach();
                    self.inner.call(request)
                };
                Box::pin(async move {
                    let Ok(mut response) = InContext::new(answer, context.clone()).await;
                    context.span().end();
                    response.extensions_mut().insert(route);
                    Ok(response)
                })
            }
            None => {
                let answer = self.inner.call(request);
                Box::pin(async move {
                    let Ok(mut response) = answer.await;
                    response.extensions_mut().insert(route);
                    Ok(response)
                })
            }
        }
    }
}
