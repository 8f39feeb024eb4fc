//! What a running server shows of itself (issue 24; docs/observability.md): the log, text or one
//! JSON object per line (`json_log.rs`); Prometheus metrics through the `metrics` facade
//! (`metrics.rs`, served by `runtime/metrics_listener.rs`); OpenTelemetry traces over OTLP/HTTP,
//! the W3C `traceparent` read from requests and written to the trivia upstream (`trace_context.rs`).
//! Each is off unless set, and off costs a relaxed atomic load per request: the hot path
//! (middleware/) asks [`traces_on`] and [`metrics::on`] before doing anything.

pub mod json_log;
pub mod metrics;
mod span_events;
pub mod trace_context;

use std::{
    io::IsTerminal,
    sync::{
        OnceLock,
        atomic::{AtomicBool, Ordering},
    },
};

use opentelemetry::{KeyValue, trace::TracerProvider as _};
use opentelemetry_sdk::{
    Resource,
    trace::{Sampler as SdkSampler, SdkTracer, SdkTracerProvider},
};
use tracing::Metadata;
use tracing_subscriber::{
    EnvFilter, Layer,
    filter::{self, LevelFilter},
    fmt::format::JsonFields,
    layer::SubscriberExt,
    util::SubscriberInitExt,
};

use crate::config::{LogFormat, Sampler, TelemetryConfig, TracesConfig};

/// The log's filter unless `RUST_LOG` says otherwise.
const DEFAULT_FILTER: &str = "info,tower_http=info,sqlx=warn";

static TRACES_ON: AtomicBool = AtomicBool::new(false);
static JSON_LOG: AtomicBool = AtomicBool::new(false);

/// The tracer provider, kept for [`flush`] (Lambda) and [`shutdown`].
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// The tracer of the spans started without `tracing` (the request's and the handler's).
static TRACER: OnceLock<SdkTracer> = OnceLock::new();

/// Whether spans are exported (`OTEL_EXPORTER_OTLP_ENDPOINT` set).
pub fn traces_on() -> bool {
    TRACES_ON.load(Ordering::Relaxed)
}

/// The tracer, when spans are exported.
pub(crate) fn tracer() -> Option<&'static SdkTracer> {
    if !traces_on() {
        return None;
    }
    TRACER.get()
}

/// The `tracing` spans exported: those that declare their OpenTelemetry kind (each query's, the
/// upstream call's). The request's and the handler's are started with the SDK directly
/// (`trace_context.rs`, `middleware/route.rs`), and a handler function's own span (`#[instrument]`)
/// stays in the log: it would repeat the handler's.
fn exported(metadata: &Metadata<'_>) -> bool {
    metadata.is_span() && metadata.fields().field("otel.kind").is_some()
}

/// Whether a request's matched route is wanted: by the metrics, the traces or the JSON log.
pub fn routes_wanted() -> bool {
    metrics::on() || traces_on() || JSON_LOG.load(Ordering::Relaxed)
}

/// Installs the log and, when configured, the trace exporter, for this process. Without traces the
/// log's subscriber is the very one of before issue 24 (text) or its JSON twin: nothing else runs.
pub fn init(config: &TelemetryConfig) -> Result<(), opentelemetry_otlp::ExporterBuildError> {
    let filter =
        || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    JSON_LOG.store(config.log_format == LogFormat::Json, Ordering::Relaxed);
    // Colours for a person at a terminal; plain text for files, journald and the tests reading it.
    let ansi = std::io::stdout().is_terminal();
    let Some(traces) = &config.traces else {
        match config.log_format {
            LogFormat::Text => tracing_subscriber::fmt()
                .with_ansi(ansi)
                .with_env_filter(filter())
                .init(),
            LogFormat::Json => tracing_subscriber::fmt()
                .fmt_fields(JsonFields::new())
                .event_format(json_log::JsonLines)
                .with_env_filter(filter())
                .init(),
        }
        return Ok(());
    };
    let provider = tracer_provider(traces)?;
    let tracer = provider.tracer(env!("CARGO_PKG_NAME"));
    let _ = TRACER.set(tracer.clone());
    // The log keeps its own filter; the traces take the spans [`exported`] says (at `debug`, which
    // the log leaves out by default), decided once per call site. None of tracing-opentelemetry's
    // extras: code locations, thread names, busy and idle times, switching the OpenTelemetry
    // context on every poll; each costs every span. Of the events, only warnings and errors
    // become span events (`span_events.rs`): each request's "finished" line would say again what
    // its span says.
    let otel = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_location(false)
        .with_threads(false)
        .with_target(false)
        .with_tracked_inactivity(false)
        .with_context_activation(false)
        .with_filter(filter::filter_fn(exported).with_max_level_hint(LevelFilter::DEBUG));
    let events = span_events::SpanEvents.with_filter(LevelFilter::WARN);
    let log = match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_ansi(ansi)
            .with_filter(filter())
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .fmt_fields(JsonFields::new())
            .event_format(json_log::JsonLines)
            .with_filter(filter())
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(log)
        .with(otel)
        .with(events)
        .init();
    opentelemetry::global::set_tracer_provider(provider.clone());
    let _ = PROVIDER.set(provider);
    TRACES_ON.store(true, Ordering::Relaxed);
    Ok(())
}

/// The exporter reads `OTEL_EXPORTER_OTLP_*` (endpoint, headers, timeout) itself; the resource
/// `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`, this crate's name when neither names it.
fn tracer_provider(
    traces: &TracesConfig,
) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()?;
    let mut resource = Resource::builder()
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    let named = |variable| std::env::var(variable).is_ok_and(|value| !value.is_empty());
    if !named("OTEL_SERVICE_NAME") && !named("OTEL_RESOURCE_ATTRIBUTES") {
        resource = resource.with_service_name(env!("CARGO_PKG_NAME"));
    }
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(sampler(traces.sampler))
        .with_resource(resource.build())
        .build())
}

fn sampler(sampler: Sampler) -> SdkSampler {
    let parent_based = |root| SdkSampler::ParentBased(Box::new(root));
    match sampler {
        Sampler::AlwaysOn => SdkSampler::AlwaysOn,
        Sampler::AlwaysOff => SdkSampler::AlwaysOff,
        Sampler::TraceIdRatio(ratio) => SdkSampler::TraceIdRatioBased(ratio),
        Sampler::ParentBasedAlwaysOn => parent_based(SdkSampler::AlwaysOn),
        Sampler::ParentBasedAlwaysOff => parent_based(SdkSampler::AlwaysOff),
        Sampler::ParentBasedTraceIdRatio(ratio) => {
            parent_based(SdkSampler::TraceIdRatioBased(ratio))
        }
    }
}

/// Sends the spans finished so far: a Lambda instance may be frozen as soon as it has answered.
pub async fn flush() {
    if let Some(provider) = PROVIDER.get() {
        let provider = provider.clone();
        // The batch processor's flush blocks until its thread has exported.
        let flushed = tokio::task::spawn_blocking(move || provider.force_flush()).await;
        if let Ok(Err(error)) = flushed {
            tracing::warn!(%error, "could not export the traces");
        }
    }
}

/// Exports what is left before the process ends.
pub async fn shutdown() {
    if let Some(provider) = PROVIDER.get() {
        let provider = provider.clone();
        let _ = tokio::task::spawn_blocking(move || provider.shutdown()).await;
    }
}
