//! Rate limit of writes (unsafe methods; reads never) per client address: `RATE_LIMIT_PER_MINUTE`,
//! `0` for none; over it 429 problem+json with `Retry-After`. A burst of `limit`, then one per
//! interval (GCRA, `db/write_limit.rs`), counted where every instance sees it (memory on SQLite, the
//! database on PostgreSQL; 503 at once if it does not answer). The address is the TCP peer's (or a
//! Lambda event's `sourceIp`), never `X-Forwarded-For`, which any client writes: behind a reverse
//! proxy all clients share its address (raise the limit, or limit at the proxy).

use std::{
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    time::Duration,
};

use axum::{
    extract::{ConnectInfo, Request},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{
    db::{self, Db, WriteAllowance, WriteLimit},
    problem::{ApiError, problem},
    telemetry,
};

/// Writes allowed per address; cheap to clone.
#[derive(Clone)]
pub struct RateLimiter {
    limit: WriteLimit,
    db: Db,
}

impl RateLimiter {
    pub fn per_minute(limit: NonZeroU32, db: Db) -> Self {
        Self {
            limit: WriteLimit::per_minute(limit),
            db,
        }
    }

    /// Counts a write from `address`: the 429 when it is over the limit (or the 503 when the count
    /// cannot be kept), else `None`.
    pub async fn check(&self, address: IpAddr) -> Option<Response> {
        match db::count_write(&self.db, address, self.limit).await {
            Ok(WriteAllowance::Allowed) => None,
            Ok(WriteAllowance::RetryAfter(wait)) => {
                metrics::counter!(telemetry::metrics::RATE_LIMITED).increment(1);
                Some(too_many_requests(wait))
            }
            Err(error) => Some(ApiError::from(error).into_response()),
        }
    }
}

/// The client address a request counts against, if it is a write. Without a peer address (a router
/// driven in-process) there is no client to count.
pub fn writer_address(request: &Request) -> Option<IpAddr> {
    if request.method().is_safe() {
        return None;
    }
    let ConnectInfo(peer) = request.extensions().get::<ConnectInfo<SocketAddr>>()?;
    Some(peer.ip())
}

fn too_many_requests(wait: Duration) -> Response {
    // Whole seconds, rounded up: a client that waits exactly this long is allowed.
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut response = problem(
        StatusCode::TOO_MANY_REQUESTS,
        format!("Too many writes from your address; try again in {seconds} s."),
        None,
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}
