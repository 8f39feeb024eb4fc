//! A fixed set of SQLite connections, each behind an async lock: what sqlx's pool does here, without
//! the pool's extra round trip on every query.
//!
//! sqlx (0.8) runs each SQLite connection on a thread of its own, and its pool pings a connection
//! every time one is given back, from a task it spawns for that (`PoolConnection::return_to_pool`):
//! for SQLite, a second round trip to the connection's thread after every query. For a local file
//! that ping checks nothing a query would not, and under load those thread switches were most of
//! the database routes' CPU time (bench/README.md). A lock is given back by dropping it.

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{ConnectOptions, SqliteConnection, sqlite::SqliteConnectOptions};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

/// One connection, lent out for one query or transaction; given back when dropped.
pub type Lease<'a> = MappedMutexGuard<'a, SqliteConnection>;

#[derive(Debug)]
pub struct Connections {
    /// `None` once closed.
    slots: Box<[Mutex<Option<SqliteConnection>>]>,
    /// Which busy connection the next waiter queues for, when none is free.
    next: AtomicUsize,
}

impl Connections {
    /// Opens `count` (at least one) connections with `options`.
    pub async fn open(options: &SqliteConnectOptions, count: usize) -> Result<Self, sqlx::Error> {
        let mut slots = Vec::with_capacity(count.max(1));
        for _ in 0..count.max(1) {
            slots.push(Mutex::new(Some(options.connect().await?)));
        }
        Ok(Self {
            slots: slots.into(),
            next: AtomicUsize::new(0),
        })
    }

    /// A free connection if there is one; else waits its turn (first come, first served) for the
    /// next busy one in rotation.
    pub async fn acquire(&self) -> Result<Lease<'_>, sqlx::Error> {
        let slot = match self.slots.iter().find_map(|slot| slot.try_lock().ok()) {
            Some(free) => free,
            None => {
                let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
                self.slots[turn].lock().await
            }
        };
        MutexGuard::try_map(slot, Option::as_mut).map_err(|_closed| sqlx::Error::PoolClosed)
    }

    /// Closes every connection once it is free; `acquire` fails from then on.
    pub async fn close(&self) {
        for slot in &self.slots {
            if let Some(connection) = slot.lock().await.take() {
                // A connection that fails to close cleanly has nothing left to lose.
                let _ = sqlx::Connection::close(connection).await;
            }
        }
    }
}
