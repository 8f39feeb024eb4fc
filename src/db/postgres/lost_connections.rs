//! Connections the server dropped (a restart, a failover), found before they fail requests. Once a
//! statement finds its connection lost, every connection idle since before then is checked before
//! it is lent, and a read runs once more. Writes never run twice (the loss may follow the commit).

use std::{
    future::Future,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

/// Checked before lending when idle this long; a busy pool skips that round trip.
pub const CHECK_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct LostConnections {
    started: Instant,
    /// Milliseconds from `started` to the last loss, plus one; 0: no loss yet.
    last_loss: AtomicU64,
}

impl LostConnections {
    #[expect(
        clippy::new_without_default,
        reason = "it starts a clock: not a neutral value"
    )]
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            last_loss: AtomicU64::new(0),
        }
    }

    pub fn must_check(&self, idle_for: Duration) -> bool {
        if idle_for >= CHECK_WHEN_IDLE_FOR {
            return true;
        }
        match self.last_loss.load(Ordering::Relaxed) {
            0 => false,
            // Whole milliseconds: one more covers the rounding down of both instants.
            last_loss => {
                let idle_since = self.started.elapsed().saturating_sub(idle_for);
                millis(idle_since) <= last_loss
            }
        }
    }

    pub fn noting<T>(&self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        if let Err(error) = &result
            && connection_lost(error)
        {
            self.note();
        }
        result
    }

    pub async fn read<T, Read>(&self, read: impl Fn() -> Read) -> Result<T, sqlx::Error>
    where
        Read: Future<Output = Result<T, sqlx::Error>>,
    {
        match read().await {
            Err(error) if connection_lost(&error) => {
                self.note();
                tracing::info!(%error, "a pooled connection was lost; reading once more");
                self.noting(read().await)
            }
            result => result,
        }
    }

    fn note(&self) {
        self.last_loss
            .fetch_max(millis(self.started.elapsed()) + 1, Ordering::Relaxed);
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX - 1)
}

/// Not a pool timeout: the pool already waited that out, and trying again would only wait again.
fn connection_lost(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) => true,
        // Class 08, admin_shutdown, crash_shutdown: the server ended the session.
        sqlx::Error::Database(error) => error
            .code()
            .is_some_and(|code| code.starts_with("08") || code == "57P01" || code == "57P02"),
        _ => false,
    }
}
