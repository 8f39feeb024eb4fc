//! A chore an instance does at most once a [`SWEEP_EVERY`]: deleting rows whose time has passed
//! (write allowances, expired idempotency keys). Counted in time, not writes, so short-lived
//! instances (a Lambda's) still sweep, and a busy one does not pay for it on every write.

use std::{
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

/// As long as a swept row can stay useful (the write rate limit's window).
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct Sweeps(Mutex<Option<Instant>>);

impl Sweeps {
    /// Whether to sweep at `now`: the first time, then once per [`SWEEP_EVERY`].
    pub fn due(&self, now: Instant) -> bool {
        let mut last = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match *last {
            Some(at) if now.saturating_duration_since(at) < SWEEP_EVERY => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }
}

#[cfg(test)]
#[path = "../../tests/unit/private/db_sweeps.rs"]
mod tests;
