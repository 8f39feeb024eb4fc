//! The write rate limit in the `write_allowances` table, shared by every instance: a client gets
//! `RATE_LIMIT_PER_MINUTE` writes however many instances its requests are spread over.
//!
//! One statement per write (GCRA, see `db/write_limit.rs`): an upsert moves the address's time on if
//! the write is allowed, and when it is not, the same statement reads how long the address must wait.
//! Time is the database's clock (`now()`), so instances whose clocks disagree still count alike.
//! Rows whose time has passed mean what no row means: each instance deletes them at its first write,
//! then at most once per [`SWEEP_EVERY`] ([`Sweeps`]), which keeps the table to the addresses that
//! wrote within the last two minutes or so, however short-lived the instances are (a Lambda's).

use std::{
    net::IpAddr,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use sqlx::PgPool;

use crate::db::{WriteAllowance, WriteLimit};

/// How often an instance sweeps: as long as a row can stay useful (the rate limit's window).
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// When this instance last swept the table. Counted in time, not in writes: an instance that counts
/// few writes before it stops (a Lambda's, a test's) still sweeps, so rows cannot pile up over
/// many short lives.
#[derive(Debug, Default)]
pub struct Sweeps(Mutex<Option<Instant>>);

impl Sweeps {
    /// Whether a write at `now` sweeps; if so, it is noted as the last sweep.
    fn due(&self, now: Instant) -> bool {
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

pub async fn count(
    pool: &PgPool,
    sweeps: &Sweeps,
    address: IpAddr,
    limit: WriteLimit,
) -> Result<WriteAllowance, sqlx::Error> {
    if sweeps.due(Instant::now()) {
        sqlx::query!("DELETE FROM write_allowances WHERE next_at < now()")
            .execute(pool)
            .await?;
    }
    // `counted` has a row when the write is allowed. Otherwise the upsert changed nothing, and the
    // outer query reads the address's time as this statement found it (every part of one statement
    // sees the same snapshot). No row at all: another instance's write for this address committed
    // while this statement ran, and refused this one; the wait is then at most one interval.
    let answer = sqlx::query!(
        r#"WITH counted AS (
               INSERT INTO write_allowances AS a (address, next_at)
               VALUES ($1, now() + make_interval(secs => $2))
               ON CONFLICT (address) DO UPDATE
                   SET next_at = GREATEST(a.next_at, now()) + make_interval(secs => $2)
                   WHERE a.next_at <= now() + make_interval(secs => $3)
               RETURNING 1
           )
           SELECT true AS "allowed!", 0::float8 AS "wait_seconds!" FROM counted
           UNION ALL
           SELECT false, EXTRACT(EPOCH FROM a.next_at - now())::float8 - $3
           FROM write_allowances a
           WHERE a.address = $1 AND NOT EXISTS (SELECT FROM counted)"#,
        address.to_string(),
        limit.interval.as_secs_f64(),
        limit.tolerance.as_secs_f64(),
    )
    .fetch_optional(pool)
    .await?;
    Ok(match answer {
        Some(answer) if answer.allowed => WriteAllowance::Allowed,
        Some(refused) => WriteAllowance::RetryAfter(
            Duration::try_from_secs_f64(refused.wait_seconds)
                .unwrap_or(limit.interval)
                .max(Duration::from_millis(1)),
        ),
        None => WriteAllowance::RetryAfter(limit.interval),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_sweeps_at_its_first_write_then_once_per_interval() {
        let sweeps = Sweeps::default();
        let start = Instant::now();

        let first = sweeps.due(start);
        let soon_after = sweeps.due(start + Duration::from_secs(1));
        let just_before = sweeps.due(start + SWEEP_EVERY - Duration::from_millis(1));
        let a_minute_on = sweeps.due(start + SWEEP_EVERY);

        assert!(first);
        assert!(!soon_after && !just_before);
        assert!(a_minute_on);
    }
}
