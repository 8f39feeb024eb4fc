//! The write rate limit in the shared `write_allowances` table: one statement per write, an upsert
//! that moves the address's time on, or else reads the wait. Time is the database's `now()`, so
//! instances whose clocks disagree count alike. A passed row means what no row means: each instance
//! sweeps them at its first write, then once a minute (`db/sweeps.rs`).

use std::time::Duration;

use sqlx::PgPool;

use crate::db::{WriteAllowance, WriteLimit, sweeps::Sweeps};

/// `key`: a client address for writes, `signin:…` for sign-in attempts (`db/accounts.rs`).
pub async fn count(
    pool: &PgPool,
    sweeps: &Sweeps,
    key: &str,
    limit: WriteLimit,
) -> Result<WriteAllowance, sqlx::Error> {
    if sweeps.due(std::time::Instant::now()) {
        sqlx::query!("DELETE FROM write_allowances WHERE next_at < now()")
            .execute(pool)
            .await?;
    }
    // Refused: the outer query reads the address's time from the statement's snapshot. No row:
    // another instance's write committed meanwhile and refused this one (wait ≤ one interval).
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
        key,
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
