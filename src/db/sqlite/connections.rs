//! Hand-written: sqlx's pool pings each SQLite connection when given back, a second round trip to
//! its thread per query that checks nothing for a local file and was most of the database routes'
//! CPU under load. So: a fixed set of connections, each behind an async lock. Each acquisition is
//! timed, and a wait for a busy one counted, in the metrics (no-ops without `METRICS_ADDR`).

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::Instant,
};

use sqlx::{ConnectOptions, SqliteConnection, sqlite::SqliteConnectOptions};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

use crate::telemetry::metrics as telemetry;

/// Given back when dropped.
pub type Lease<'a> = MappedMutexGuard<'a, SqliteConnection>;

#[derive(Debug)]
pub struct Connections {
    /// `None` once closed.
    slots: Box<[Mutex<Option<SqliteConnection>>]>,
    /// Which busy connection the next waiter queues for, when none is free.
    next: AtomicUsize,
    /// The `pool` label of its metrics.
    name: &'static str,
}

impl Connections {
    pub async fn open(
        name: &'static str,
        options: &SqliteConnectOptions,
        count: usize,
    ) -> Result<Self, sqlx::Error> {
        let mut slots = Vec::with_capacity(count.max(1));
        for _ in 0..count.max(1) {
            slots.push(Mutex::new(Some(options.connect().await?)));
        }
        Ok(Self {
            slots: slots.into(),
            next: AtomicUsize::new(0),
            name,
        })
    }

    /// A free connection, else a first-come turn on the next busy one in rotation.
    pub async fn acquire(&self) -> Result<Lease<'_>, sqlx::Error> {
        // Checked first: building a labelled key allocates even with no recorder to take it.
        let started = telemetry::on().then(Instant::now);
        let slot = match self.slots.iter().find_map(|slot| slot.try_lock().ok()) {
            Some(free) => free,
            None => {
                let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
                if started.is_some() {
                    metrics::counter!(telemetry::DB_POOL_WAITS, "pool" => self.name).increment(1);
                }
                self.slots[turn].lock().await
            }
        };
        if let Some(started) = started {
            metrics::histogram!(telemetry::DB_POOL_ACQUIRE, "pool" => self.name)
                .record(started.elapsed().as_secs_f64());
        }
        MutexGuard::try_map(slot, Option::as_mut).map_err(|_closed| sqlx::Error::PoolClosed)
    }

    /// Its size and how many are free right now (a free one is briefly locked to be counted).
    pub fn record_metrics(&self) {
        let idle = self
            .slots
            .iter()
            .filter(|slot| slot.try_lock().is_ok())
            .count();
        metrics::gauge!(telemetry::DB_POOL_SIZE, "pool" => self.name).set(self.slots.len() as f64);
        metrics::gauge!(telemetry::DB_POOL_IDLE, "pool" => self.name).set(idle as f64);
    }

    pub async fn close(&self) {
        for slot in &self.slots {
            if let Some(connection) = slot.lock().await.take() {
                // A connection that fails to close cleanly has nothing left to lose.
                let _ = sqlx::Connection::close(connection).await;
            }
        }
    }
}
