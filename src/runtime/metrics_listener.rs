//! `METRICS_ADDR`: `GET /metrics` in the Prometheus text format on a listener of its own, so the
//! metrics are never exposed where the site is, and a scrape never waits behind the site's
//! connection cap or timeouts. Served by axum on our own hyper rather than the exporter's listener,
//! which would bring its own HTTP stack. Not under AWS Lambda, where nothing can scrape an instance.

use std::{io, net::SocketAddr, time::Duration};

use axum::{
    Router,
    http::{HeaderValue, header},
    response::IntoResponse,
    routing::get,
};
use tokio::net::TcpListener;

use crate::{db::Db, telemetry};

/// The exposition format's media type (Prometheus text format 0.0.4).
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How often histograms are drained between scrapes, so rare scrapes do not let them grow.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the recorder and binds `addr`; the returned listener's address is where it answers.
pub async fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    telemetry::metrics::install();
    TcpListener::bind(addr).await
}

/// Serves `/metrics` on `listener` for as long as the process runs; the pools' gauges are read
/// from `db` at each scrape.
pub fn spawn(listener: TcpListener, db: Db) {
    let handle = telemetry::metrics::install();
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP_EVERY);
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let metrics = get(move || {
        let (handle, db) = (handle.clone(), db.clone());
        async move {
            db.record_pool_metrics();
            let content_type = HeaderValue::from_static(TEXT_FORMAT);
            ([(header::CONTENT_TYPE, content_type)], handle.render()).into_response()
        }
    });
    let app = Router::new().route("/metrics", metrics);
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "the metrics listener stopped");
        }
    });
}
