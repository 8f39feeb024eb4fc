//! Warnings and errors logged while a traced request runs, as events of its current span (the
//! handler's, or the request's before routing); an error marks that span failed. Hand-written:
//! tracing-opentelemetry only adds events to spans it made itself, and the request's and the
//! handler's are made with the SDK (`trace_context.rs`).

use std::fmt;

use opentelemetry::{
    Context, KeyValue,
    trace::{Status, TraceContextExt},
};
use tracing::{Event, Level, Subscriber, field::Field};
use tracing_subscriber::{Layer, layer};

/// Filtered to `WARN` and above where it is installed (`super::init`).
pub struct SpanEvents;

impl<S: Subscriber> Layer<S> for SpanEvents {
    fn on_event(&self, event: &Event<'_>, _: layer::Context<'_, S>) {
        Context::map_current(|context| {
            let span = context.span();
            if !span.is_recording() {
                return;
            }
            let metadata = event.metadata();
            let mut fields = Fields {
                message: None,
                attributes: vec![
                    KeyValue::new("level", metadata.level().as_str()),
                    KeyValue::new("target", metadata.target()),
                ],
            };
            event.record(&mut fields);
            let name = fields.message.unwrap_or_else(|| metadata.name().to_owned());
            if *metadata.level() == Level::ERROR {
                span.set_status(Status::error(name.clone()));
            }
            span.add_event(name, fields.attributes);
        });
    }
}

/// An event's `message` (its name on the span) and its other fields, as text.
struct Fields {
    message: Option<String>,
    attributes: Vec<KeyValue>,
}

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = Some(value.to_owned()),
            name => self.attributes.push(KeyValue::new(name, value.to_owned())),
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "message" => self.message = Some(format!("{value:?}")),
            name => self
                .attributes
                .push(KeyValue::new(name, format!("{value:?}"))),
        }
    }
}
