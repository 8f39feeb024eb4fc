//! The write rate limit in the `write_allowances` table, shared by every instance: a client gets
//! `RATE_LIMIT_PER_MINUTE` writes however many instances its requests are spread over.
//!
//! One statement per write (GCRA, see `db/write_limit.rs`): an upsert moves the address's time on if
//! the write is allowed, and when it is not, the same statement reads how long the address must wait.
//! Time is the database's clock (`now()`), so instances whose clocks disagree still count alike.
//! Rows whose time has passed mean what no row means; one write in [`SWEEP_EVERY`] on each
//! instance deletes them, which keeps the table to the addresses that wrote within the last minute.

use std::{
    net::IpAddr,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use sqlx::PgPool;

use crate::db::{WriteAllowance, WriteLimit};

const SWEEP_EVERY: u64 = 1024;

pub async fn count(
    pool: &PgPool,
    writes_counted: &AtomicU64,
    address: IpAddr,
    limit: WriteLimit,
) -> Result<WriteAllowance, sqlx::Error> {
    if writes_counted.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
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
