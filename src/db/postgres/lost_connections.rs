//! Connections the database server dropped (a restart, a failover, `pg_terminate_backend`), found
//! before they fail requests where that is cheap. The pool checks a connection before lending it
//! only once it was idle for [`CHECK_WHEN_IDLE_FOR`]; so once a statement finds its connection lost,
//! every connection idle since before then is checked too ([`LostConnections::must_check`]), and a
//! read that found its connection lost runs once more ([`LostConnections::read`]). Writes never run
//! twice (the loss may have come after the commit); they only record it ([`LostConnections::noting`]).

use std::{
    future::Future,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

/// A pooled connection idle for this long is checked before it is lent out, so that one the server
/// dropped meanwhile is replaced instead of failing a request. A busy pool lends connections that
/// were just in use, and skips that round trip.
pub const CHECK_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// When a statement last found its connection lost.
#[derive(Debug)]
pub struct LostConnections {
    started: Instant,
    /// Milliseconds from `started` to the last loss, plus one; 0: no loss yet.
    last_loss: AtomicU64,
}

impl LostConnections {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            last_loss: AtomicU64::new(0),
        }
    }

    /// Whether a pooled connection idle for `idle_for` must be checked before it is lent out: it has
    /// been idle long enough to have been dropped unseen, or since before the last loss.
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

    /// `result`, after recording a lost connection if it says so.
    pub fn noting<T>(&self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        if let Err(error) = &result
            && connection_lost(error)
        {
            self.note();
        }
        result
    }

    /// Runs `read`, and once more if its connection was lost (see the module's comment).
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

/// Whether `error` says the connection itself is gone (not that no connection could be had, which
/// the pool already waited out for `DATABASE_TIMEOUT_MS`: trying again would only wait once more).
fn connection_lost(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) => true,
        // Class 08, connection exceptions; admin_shutdown and crash_shutdown: the server ended the
        // session (a restart, `pg_terminate_backend`).
        sqlx::Error::Database(error) => error
            .code()
            .is_some_and(|code| code.starts_with("08") || code == "57P01" || code == "57P02"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    fn lost() -> sqlx::Error {
        sqlx::Error::Io(io::Error::from(io::ErrorKind::ConnectionReset))
    }

    #[test]
    fn a_connection_idle_for_a_moment_is_lent_unchecked_while_nothing_was_lost() {
        let connections = LostConnections::new();
        assert!(!connections.must_check(Duration::ZERO));
        assert!(!connections.must_check(CHECK_WHEN_IDLE_FOR / 2));
        assert!(connections.must_check(CHECK_WHEN_IDLE_FOR));
    }

    #[test]
    fn after_a_loss_connections_idle_since_before_it_are_checked_and_later_ones_are_not() {
        let connections = LostConnections::new();
        std::thread::sleep(Duration::from_millis(20));
        let _ = connections.noting::<()>(Err(lost()));
        assert!(connections.must_check(Duration::from_millis(10)));
        std::thread::sleep(Duration::from_millis(20));
        assert!(!connections.must_check(Duration::from_millis(5)));
    }

    #[test]
    fn a_pool_timeout_or_a_refused_statement_is_not_a_lost_connection() {
        let connections = LostConnections::new();
        let _ = connections.noting::<()>(Err(sqlx::Error::PoolTimedOut));
        let _ = connections.noting::<()>(Err(sqlx::Error::RowNotFound));
        assert!(!connections.must_check(Duration::ZERO));
    }

    #[tokio::test]
    async fn a_read_whose_connection_was_lost_runs_once_more() {
        let connections = LostConnections::new();
        let tries = AtomicU64::new(0);
        let answer = connections
            .read(|| async {
                match tries.fetch_add(1, Ordering::Relaxed) {
                    0 => Err(lost()),
                    _ => Ok("read"),
                }
            })
            .await;
        assert_eq!(answer.ok(), Some("read"));
        assert_eq!(tries.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn a_read_that_failed_otherwise_is_not_run_again() {
        let connections = LostConnections::new();
        let tries = AtomicU64::new(0);
        let answer: Result<(), _> = connections
            .read(|| async {
                tries.fetch_add(1, Ordering::Relaxed);
                Err(sqlx::Error::PoolTimedOut)
            })
            .await;
        assert!(matches!(answer, Err(sqlx::Error::PoolTimedOut)));
        assert_eq!(tries.load(Ordering::Relaxed), 1);
    }
}
