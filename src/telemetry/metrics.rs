//! The Prometheus metrics: their names (after the OpenTelemetry HTTP semantic conventions, in
//! Prometheus's spelling), the recorder, and the request's part of them. Other rooms emit theirs
//! through the `metrics` macros with the names here; with no recorder installed (no
//! `METRICS_ADDR`) those are no-ops, and the request's part is skipped after one atomic load.

use std::{
    cell::RefCell,
    collections::HashMap,
    sync::{
        OnceLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Instant,
};

use axum::http::{Method, StatusCode};
use metrics::{Gauge, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const REQUEST_DURATION: &str = "http_server_request_duration_seconds";
pub const ACTIVE_REQUESTS: &str = "http_server_active_requests";
pub const BUILD_INFO: &str = "build_info";
pub const DB_POOL_SIZE: &str = "app_db_pool_connections";
pub const DB_POOL_IDLE: &str = "app_db_pool_idle_connections";
pub const DB_POOL_WAITS: &str = "app_db_pool_waits_total";
pub const DB_POOL_ACQUIRE: &str = "app_db_pool_acquire_duration_seconds";
pub const RATE_LIMITED: &str = "app_rate_limit_refusals_total";
pub const RENDER_WAITING: &str = "app_render_queue_waiting";
pub const RENDER_LIMIT: &str = "app_render_limit";
pub const TRIVIA_UPSTREAM: &str = "app_trivia_upstream_requests_total";

/// The `http_route` of every request no route matched (static files, 404s, refusals before the
/// router): one value, so unknown paths cannot grow the label set.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The OpenTelemetry defaults, which span a 5 ms answer to a 10 s timeout.
const SECONDS_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Waiting for a connection is much shorter than a request when all goes well.
const ACQUIRE_BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
];

static ON: AtomicBool = AtomicBool::new(false);

/// The methods of [`method_label`], in the order of its answers' indexes.
const METHODS: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "_OTHER",
];

/// [`ACTIVE_REQUESTS`] per method, registered once: a request adjusts a handle, no lookup.
static ACTIVE: OnceLock<[Gauge; METHODS.len()]> = OnceLock::new();

/// A route's [`REQUEST_DURATION`] handles, by method (index in [`METHODS`]) and status.
type RouteDurations = Vec<(usize, StatusCode, Histogram)>;

thread_local! {
    /// [`REQUEST_DURATION`]'s handles met so far on this thread, per route then method and status:
    /// registering a labelled metric builds and hashes its key, several allocations per request.
    /// Bounded as the labels are (routes are templates, methods and statuses few).
    static DURATIONS: RefCell<HashMap<Box<str>, RouteDurations>> = RefCell::new(HashMap::new());
}

/// Whether a recorder is installed, so the request's metrics are kept.
pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Installs the process's recorder once (a second server in the same process, as in the tests,
/// shares it) and returns the handle that renders the text.
pub fn install() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    let handle = HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.into()), &SECONDS_BUCKETS)
            .and_then(|builder| {
                builder
                    .set_buckets_for_metric(Matcher::Full(DB_POOL_ACQUIRE.into()), &ACQUIRE_BUCKETS)
            })
            .expect("the bucket lists are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder is installed, which this program never does.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed");
        }
        describe();
        metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        let _ = ACTIVE.set(
            METHODS.map(|method| metrics::gauge!(ACTIVE_REQUESTS, "http_request_method" => method)),
        );
        handle
    });
    ON.store(true, Ordering::Relaxed);
    handle.clone()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "Duration of HTTP server requests."
    );
    describe_gauge!(ACTIVE_REQUESTS, "Number of HTTP server requests in flight.");
    describe_gauge!(BUILD_INFO, "1, labelled with the running version.");
    describe_gauge!(DB_POOL_SIZE, "Open database connections, per pool.");
    describe_gauge!(
        DB_POOL_IDLE,
        "Open database connections not in use, per pool."
    );
    describe_counter!(
        DB_POOL_WAITS,
        "Acquisitions that found no connection free, per pool."
    );
    describe_histogram!(
        DB_POOL_ACQUIRE,
        Unit::Seconds,
        "Time to get a database connection."
    );
    describe_counter!(
        RATE_LIMITED,
        "Writes refused with 429 by RATE_LIMIT_PER_MINUTE."
    );
    describe_gauge!(
        RENDER_WAITING,
        "Pages waiting for a turn to render (RENDER_LIMIT)."
    );
    describe_gauge!(
        RENDER_LIMIT,
        "Pages allowed to render at once (RENDER_LIMIT)."
    );
    describe_counter!(TRIVIA_UPSTREAM, "Calls to TRIVIA_API_URL, by outcome.");
    describe_counter!("app_signins_total", "Sign-in attempts, by outcome.");
    describe_gauge!("app_event_streams_open", "Live-comment event streams open.");
}

/// One request in flight: counted in [`ACTIVE_REQUESTS`] until dropped (answered, or abandoned by
/// its client), timed into [`REQUEST_DURATION`] by [`InFlight::answered`].
pub struct InFlight {
    /// Its index in [`METHODS`].
    method: usize,
    started: Instant,
}

/// `Some` when metrics are on.
pub fn request_started(method: &Method, started: Instant) -> Option<InFlight> {
    let active = ACTIVE.get().filter(|_| on())?;
    let method = method_label(method);
    active[method].increment(1.0);
    Some(InFlight { method, started })
}

impl InFlight {
    /// `route`: the matched route's template, `None` when none matched.
    pub fn answered(self, route: Option<&str>, status: StatusCode) {
        let route = route.unwrap_or(UNMATCHED_ROUTE);
        let seconds = self.started.elapsed().as_secs_f64();
        let record = |handles: &mut RouteDurations| match handles
            .iter()
            .find(|(method, code, _)| *method == self.method && *code == status)
        {
            Some((_, _, histogram)) => histogram.record(seconds),
            None => {
                let labels = [
                    ("http_request_method", METHODS[self.method].to_owned()),
                    ("http_route", route.to_owned()),
                    ("http_response_status_code", status.as_str().to_owned()),
                ];
                let histogram = metrics::histogram!(REQUEST_DURATION, &labels);
                histogram.record(seconds);
                handles.push((self.method, status, histogram));
            }
        };
        DURATIONS.with_borrow_mut(|durations| {
            // Looked up by `&str`: the owned key is made once per route and thread, not per request.
            match durations.get_mut(route) {
                Some(handles) => record(handles),
                None => record(durations.entry(route.into()).or_default()),
            }
        });
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(active) = ACTIVE.get() {
            active[self.method].decrement(1.0);
        }
    }
}

/// The semantic conventions' methods, anything else `_OTHER`: a client cannot add label values.
fn method_label(method: &Method) -> usize {
    match *method {
        Method::GET => 0,
        Method::HEAD => 1,
        Method::POST => 2,
        Method::PUT => 3,
        Method::DELETE => 4,
        Method::PATCH => 5,
        Method::OPTIONS => 6,
        Method::CONNECT => 7,
        Method::TRACE => 8,
        _ => 9,
    }
}
