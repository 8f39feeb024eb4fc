//! Hand-written: sqlx's pool pings each SQLite connection when given back, a second round trip to
//! its thread per query that checks nothing for a local file and was most of the database routes'
//! CPU under load. So: a fixed set of connections, each behind an async lock.

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{ConnectOptions, SqliteConnection, sqlite::SqliteConnectOptions};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

/// Given back when dropped.
pub type Lease<'a> = MappedMutexGuard<'a, SqliteConnection>;

#[derive(Debug)]
pub struct Connections {
    /// `None` once closed.
    slots: Box<[Mutex<Option<SqliteConnection>>]>,
    /// Which busy connection the next waiter queues for, when none is free.
    next: AtomicUsize,
}

impl Connections {
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

    /// A free connection, else a first-come turn on the next busy one in rotation.
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

    pub async fn close(&self) {
        for slot in &self.slots {
            if let Some(connection) = slot.lock().await.take() {
                // A connection that fails to close cleanly has nothing left to lose.
                let _ = sqlx::Connection::close(connection).await;
            }
        }
    }
}
