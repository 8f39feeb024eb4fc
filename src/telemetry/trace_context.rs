//! The request's place in a trace, as an OpenTelemetry `Context` made current while its future runs
//! ([`RequestTrace`], kept by the middleware's `Answer`): the W3C `traceparent` it came with (its
//! trace id logged and put in problem+json, and passed on to the trivia upstream, even with no
//! exporter), or, when traces are exported, the request's own server span, started here directly
//! with the SDK (not through `tracing`: a `tracing` span costs a traced request its registry
//! lookups, attribute conversions and context switches on every poll). The handler's span comes
//! from `middleware/route.rs`, the queries' and the upstream call's from `tracing` spans that
//! declare `otel.kind` (`super::init`), children of whatever context is current.

use std::{
    future::Future,
    pin::Pin,
    task::{Context as TaskContext, Poll},
};

use axum::{
    extract::Request,
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode},
};
use opentelemetry::{
    Context, ContextGuard, KeyValue,
    propagation::{Extractor, Injector, TextMapPropagator},
    trace::{SpanKind, Status, TraceContextExt, Tracer},
};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use pin_project_lite::pin_project;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{tracer, traces_on};

pub const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// A trace id; displayed as 32 lowercase hex digits.
pub type TraceId = opentelemetry::trace::TraceId;

/// A request's trace: made current by [`RequestTrace::attach`] whenever its future runs.
pub struct RequestTrace(Context);

/// Joins the request to its trace: the incoming `traceparent`'s, or a new one when traces are
/// exported (then with the request's server span, named by its method until `route.rs` knows its
/// route). `None` for a request without `traceparent` when nothing is exported: nothing to do.
/// Records `trace_id` on the request's `span` (so every log line of the request carries it).
pub fn start_request(span: &Span, request: &Request) -> Option<RequestTrace> {
    let headers = request.headers();
    let incoming = headers.contains_key(TRACEPARENT).then(|| {
        // A malformed `traceparent` gives a context without a span: a new trace.
        TraceContextPropagator::new().extract(&HeaderReader(headers))
    });
    let context = match tracer() {
        Some(tracer) => {
            let parent = incoming.unwrap_or_default();
            let method = method_name(request.method());
            let attributes = vec![
                KeyValue::new("http.request.method", method),
                KeyValue::new("url.path", request.uri().path().to_owned()),
            ];
            let server = tracer
                .span_builder(method)
                .with_kind(SpanKind::Server)
                .with_attributes(attributes)
                .start_with_context(tracer, &parent);
            parent.with_span(server)
        }
        None => incoming.filter(|context| context.span().span_context().is_valid())?,
    };
    let trace_id = context.span().span_context().trace_id();
    if trace_id != TraceId::INVALID && !span.is_disabled() {
        span.record("trace_id", tracing::field::display(trace_id));
    }
    Some(RequestTrace(context))
}

impl RequestTrace {
    /// Makes the request's trace current on this thread until the guard is dropped.
    pub fn attach(&self) -> ContextGuard {
        self.0.clone().attach()
    }

    /// Ends the request's span (if it has one of its own) as its response's head leaves.
    pub fn answered(self, status: StatusCode) {
        let span = self.0.span();
        if span.is_recording() {
            span.set_attribute(KeyValue::new(
                "http.response.status_code",
                i64::from(status.as_u16()),
            ));
            if status.is_server_error() {
                span.set_status(Status::error(""));
            }
            span.end();
        }
    }
}

/// The trace id of the request being answered, if it has one.
pub fn current_trace_id() -> Option<TraceId> {
    Context::map_current(|context| {
        let span = context.span();
        let span_context = span.span_context();
        span_context.is_valid().then(|| span_context.trace_id())
    })
}

/// Writes the `traceparent` of the call `span` stands for into its headers: that span's own when
/// traces are exported; with no exporter, the incoming one, passed on as it came (this server
/// records no span of its own then). Nothing when the request is in no trace.
pub fn inject(span: &Span, headers: &mut HeaderMap) {
    let context = match traces_on() {
        true => span.context(),
        false => Context::current(),
    };
    if context.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&context, &mut HeaderWriter(headers));
    }
}

/// The semantic conventions' method names, anything else `_OTHER`.
pub fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "_OTHER",
    }
}

pin_project! {
    /// A future run with `context` current: the handler's (`route.rs`), or the one a page's read
    /// was made in ([`in_current_trace`]).
    pub struct InContext<F> {
        #[pin]
        future: F,
        context: Option<Context>,
    }
}

impl<F> InContext<F> {
    pub fn new(future: F, context: Context) -> Self {
        Self {
            future,
            context: Some(context),
        }
    }
}

/// `future`, run in the request's trace wherever it runs: a page's read is spawned as a task of
/// its own (a Leptos resource), outside the request's future, where its queries' spans would start
/// traces of their own. Nothing is kept when the request is in no trace.
pub fn in_current_trace<F: Future>(future: F) -> InContext<F> {
    let context =
        Context::map_current(|context| context.has_active_span().then(|| context.clone()));
    InContext { future, context }
}

impl<F: Future> Future for InContext<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _attached = this
            .context
            .as_ref()
            .map(|context| context.clone().attach());
        this.future.poll(cx)
    }
}

struct HeaderReader<'a>(&'a HeaderMap);

/// The longest `tracestate` taken from a request: W3C Trace Context §3.3.1.5 lets a vendor drop
/// one longer than 512 characters, and parsing a header of hundreds of KiB into entries would cost
/// every request that sends one many times its size.
const MAX_TRACESTATE: usize = 512;

impl Extractor for HeaderReader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        let value = self.0.get(key)?;
        if key.eq_ignore_ascii_case("tracestate") && value.len() > MAX_TRACESTATE {
            return None;
        }
        value.to_str().ok()
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

struct HeaderWriter<'a>(&'a mut HeaderMap);

impl Injector for HeaderWriter<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}
