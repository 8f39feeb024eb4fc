//! The rule of the write rate limit (`RATE_LIMIT_PER_MINUTE`), which each room keeps where its
//! instances can all see it: SQLite in the memory of its one process, PostgreSQL in a table every
//! instance shares, so that N instances still give a client the limit once, not N times.
//!
//! The algorithm is GCRA, the token bucket written as one instant per address: each write moves the
//! address's "next on-schedule time" one interval (a minute / the limit) later, and a write is allowed
//! while that time is at most `tolerance` (a minute less one interval) ahead of now. So a fresh
//! address may write `limit` times at once, then once per interval. An address whose time has passed
//! is as good as unknown, so both rooms forget such addresses, which bounds what they keep.

use std::{num::NonZeroU32, time::Duration};

const WINDOW: Duration = Duration::from_secs(60);

/// `limit` writes per minute and address, as GCRA's two durations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteLimit {
    /// How much later each write moves the address's time.
    pub interval: Duration,
    /// How far ahead of now the address's time may be and still write: the burst, less one interval.
    pub tolerance: Duration,
}

impl WriteLimit {
    pub fn per_minute(limit: NonZeroU32) -> Self {
        let interval = WINDOW / limit.get();
        Self {
            interval,
            tolerance: WINDOW - interval,
        }
    }
}

/// Whether a write may go ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteAllowance {
    Allowed,
    /// Over the limit: the address may write again after this long.
    RetryAfter(Duration),
}
