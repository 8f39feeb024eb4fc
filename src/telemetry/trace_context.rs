//! The request's place in a trace: the W3C `traceparent` it came with (its trace id logged, even
//! with no exporter), the parent of its span when traces are exported, and the header passed on to
//! the trivia upstream. The trace id rides in the request span's extensions, where
//! [`current_trace_id`] finds it for problem+json.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::{
    propagation::{Extractor, Injector},
    trace::TraceContextExt,
};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{Registry, registry::LookupSpan};

use super::traces_on;

pub const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// A trace id as 32 lowercase hex digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceId(String);

impl TraceId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Joins the request's `span` to its trace: the incoming `traceparent`'s, or a new one when traces
/// are exported. Records `trace_id` on the span (so every log line of the request carries it).
pub fn start_request(span: &Span, headers: &HeaderMap) {
    let trace_id = if traces_on() {
        let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.extract(&HeaderReader(headers))
        });
        // Before `context()` starts the exported span: its kind cannot change after.
        span.record("otel.kind", "server");
        let _ = span.set_parent(parent);
        let context = span.context();
        let trace_id = context.span().span_context().trace_id();
        (trace_id != opentelemetry::trace::TraceId::INVALID).then(|| TraceId(trace_id.to_string()))
    } else {
        // No exporter: only a request that came with one has a trace id.
        headers.get(TRACEPARENT).and_then(trace_id_of)
    };
    if let Some(trace_id) = trace_id {
        span.record("trace_id", trace_id.as_str());
        span.with_subscriber(|(id, dispatch)| {
            if let Some(data) = dispatch
                .downcast_ref::<Registry>()
                .and_then(|registry| registry.span(id))
            {
                data.extensions_mut().insert(trace_id);
            }
        });
    }
}

/// The trace id of the request being answered, if it has one.
pub fn current_trace_id() -> Option<TraceId> {
    Span::current()
        .with_subscriber(|(id, dispatch)| {
            let registry = dispatch.downcast_ref::<Registry>()?;
            let span = registry.span(id)?;
            span.scope()
                .find_map(|span| span.extensions().get::<TraceId>().cloned())
        })
        .flatten()
}

/// `traceparent: 00-<trace id>-<parent id>-<flags>`'s trace id, if well formed and not all zeros
/// (W3C Trace Context, level 1: a later version may add fields after the flags).
pub fn trace_id_of(header: &HeaderValue) -> Option<TraceId> {
    let text = header.to_str().ok()?;
    let mut parts = text.split('-');
    let (version, trace_id, parent_id, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |part: &str, len| {
        part.len() == len
            && part
                .bytes()
                .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
    };
    let well_formed = hex(version, 2)
        && version != "ff"
        && hex(trace_id, 32)
        && hex(parent_id, 16)
        && hex(flags, 2)
        && (version != "00" || parts.next().is_none());
    let zero = |part: &str| part.bytes().all(|byte| byte == b'0');
    (well_formed && !zero(trace_id) && !zero(parent_id)).then(|| TraceId(trace_id.to_owned()))
}

/// Writes `span`'s `traceparent` into an outgoing request's headers, when traces are exported.
pub fn inject(span: &Span, headers: &mut HeaderMap) {
    if !traces_on() {
        return;
    }
    let context = span.context();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut HeaderWriter(headers))
    });
}

struct HeaderReader<'a>(&'a HeaderMap);

impl Extractor for HeaderReader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
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
