//! Rate limiting of writes per client address: `RATE_LIMIT_PER_MINUTE` unsafe requests (POST, PUT,
//! PATCH, DELETE…) per minute and address, `0` for no limit. Reads are never limited. Over the limit:
//! 429 problem+json with `Retry-After` (seconds until the next write is allowed).
//!
//! The algorithm is GCRA, the token bucket written as one instant per address: each write moves the
//! address's "theoretical arrival time" one interval (a minute / the limit) later, and a write is
//! allowed while that time is less than a minute ahead. So a fresh address may write `limit` times
//! at once, then once per interval. An address whose time has passed is as good as unknown, which is
//! what bounds memory: such entries are swept out whenever the table has doubled since the last sweep.
//!
//! The address is the TCP peer's (`ConnectInfo`, see `Server::run`), never `X-Forwarded-For`, which any
//! client can write. Behind a reverse proxy every client shares the proxy's address: raise the limit,
//! or limit at the proxy.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, Request},
    http::{HeaderValue, StatusCode, header},
    response::Response,
};

use crate::api::error::problem;

/// The table is swept when it holds this many addresses at least (and twice as many as last time).
const MIN_SWEEP_SIZE: usize = 1024;

const WINDOW: Duration = Duration::from_secs(60);

/// Writes allowed per address; cheap to clone (one shared table).
#[derive(Clone)]
pub struct RateLimiter {
    interval: Duration,
    /// How far ahead of now an address's time may be and still write: the burst, less one interval.
    tolerance: Duration,
    table: Arc<Mutex<Table>>,
}

struct Table {
    next_allowed: HashMap<IpAddr, Instant>,
    sweep_at: usize,
}

impl RateLimiter {
    pub fn per_minute(limit: NonZeroU32) -> Self {
        let interval = WINDOW / limit.get();
        Self {
            interval,
            tolerance: WINDOW - interval,
            table: Arc::new(Mutex::new(Table {
                next_allowed: HashMap::new(),
                sweep_at: MIN_SWEEP_SIZE,
            })),
        }
    }

    /// Counts a write from `address` at `now`: `Ok` when allowed, else how long until it would be.
    fn count(&self, address: IpAddr, now: Instant) -> Result<(), Duration> {
        // A poisoned lock only means another request panicked mid-update; the table is still sound.
        let mut table = self
            .table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let arrival = table
            .next_allowed
            .get(&address)
            .map_or(now, |&time| time.max(now));
        let ahead = arrival - now;
        if ahead > self.tolerance {
            return Err(ahead - self.tolerance);
        }
        table.next_allowed.insert(address, arrival + self.interval);
        if table.next_allowed.len() >= table.sweep_at {
            table.next_allowed.retain(|_, time| *time > now);
            table.sweep_at = (2 * table.next_allowed.len()).max(MIN_SWEEP_SIZE);
        }
        Ok(())
    }

    #[cfg(test)]
    fn addresses(&self) -> usize {
        self.table
            .lock()
            .map(|table| table.next_allowed.len())
            .unwrap_or_default()
    }

    /// Counts the request if it is a write: the 429 when its address is over the limit, else `None`.
    pub fn check(&self, request: &Request) -> Option<Response> {
        if request.method().is_safe() {
            return None;
        }
        // Without a peer address (a router driven in-process) there is no client to count.
        let ConnectInfo(peer) = request.extensions().get::<ConnectInfo<SocketAddr>>()?;
        self.count(peer.ip(), Instant::now())
            .err()
            .map(too_many_requests)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(limit: u32) -> RateLimiter {
        RateLimiter::per_minute(NonZeroU32::new(limit).expect("a positive limit"))
    }

    #[test]
    fn an_address_may_write_the_limit_at_once_then_once_per_interval() {
        let limiter = limiter(3);
        let address = IpAddr::from([192, 0, 2, 1]);
        let start = Instant::now();

        for _ in 0..3 {
            assert_eq!(limiter.count(address, start), Ok(()));
        }
        assert_eq!(limiter.count(address, start), Err(Duration::from_secs(20)));
        assert_eq!(
            limiter.count(address, start + Duration::from_secs(20)),
            Ok(())
        );
        assert!(limiter.count(IpAddr::from([192, 0, 2, 2]), start).is_ok());
    }

    #[test]
    fn addresses_that_are_back_to_a_full_allowance_are_forgotten() {
        let limiter = limiter(60);
        let start = Instant::now();
        for host in 0..MIN_SWEEP_SIZE as u32 - 1 {
            let _ = limiter.count(IpAddr::from(host.to_be_bytes()), start);
        }
        let later = start + Duration::from_secs(2);

        let _ = limiter.count(IpAddr::from([198, 51, 100, 1]), later);

        assert_eq!(limiter.addresses(), 1);
    }
}
