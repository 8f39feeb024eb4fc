//! `RENDER_LIMIT`: at most that many pages render at once (default four per core); the rest wait,
//! first come first served. A page holds its render from first line to last chunk and waits for the
//! database midway: unbounded, memory grows with the connections for no more throughput. The cost:
//! a page waiting on something slow (`/?number=…`, a silent trivia upstream) keeps its turn. With
//! metrics on, the pages waiting for a turn are a gauge ([`Queued`]: tower's limit does not say).

use std::{
    num::NonZeroUsize,
    task::{Context, Poll},
};

use tower::{
    Layer, Service,
    limit::{ConcurrencyLimit, GlobalConcurrencyLimitLayer},
};

use crate::telemetry::metrics as telemetry;

/// One permit per page being rendered, shared by every page route and the fallback.
pub fn layer(limit: NonZeroUsize) -> RenderLimitLayer {
    let metered = telemetry::on();
    if metered {
        metrics::gauge!(telemetry::RENDER_LIMIT).set(limit.get() as f64);
    }
    RenderLimitLayer {
        limit: GlobalConcurrencyLimitLayer::new(limit.get()),
        metered,
    }
}

#[derive(Clone)]
pub struct RenderLimitLayer {
    limit: GlobalConcurrencyLimitLayer,
    metered: bool,
}

impl<S> Layer<S> for RenderLimitLayer {
    type Service = Queued<ConcurrencyLimit<S>>;

    fn layer(&self, inner: S) -> Self::Service {
        Queued {
            inner: self.limit.layer(inner),
            metered: self.metered,
            waiting: false,
        }
    }
}

/// The limit, counting in [`telemetry::RENDER_WAITING`] each request it keeps waiting for a permit
/// (a request is a clone of the service, readied then called once).
pub struct Queued<S> {
    inner: S,
    metered: bool,
    waiting: bool,
}

impl<S: Clone> Clone for Queued<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            metered: self.metered,
            waiting: false,
        }
    }
}

impl<S, R> Service<R> for Queued<S>
where
    S: Service<R>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        let ready = self.inner.poll_ready(cx);
        if self.metered && ready.is_pending() != self.waiting {
            self.waiting = ready.is_pending();
            let gauge = metrics::gauge!(telemetry::RENDER_WAITING);
            match self.waiting {
                true => gauge.increment(1.0),
                false => gauge.decrement(1.0),
            }
        }
        ready
    }

    fn call(&mut self, request: R) -> Self::Future {
        self.inner.call(request)
    }
}

impl<S> Drop for Queued<S> {
    /// A client that gave up while waiting.
    fn drop(&mut self) {
        if self.waiting {
            metrics::gauge!(telemetry::RENDER_WAITING).decrement(1.0);
        }
    }
}
