//! The write rate limit in memory: one process serves a SQLite database, so it sees every write.
//! Addresses whose time has passed are swept whenever the table has doubled since the last sweep.

use std::{collections::HashMap, hash::Hash, net::IpAddr, sync::Mutex, time::Instant};

use crate::db::{WriteAllowance, WriteLimit};

const MIN_SWEEP_SIZE: usize = 1024;

/// Keyed by address for writes; by `signin:…` text for sign-in attempts (`db/accounts.rs`).
#[derive(Debug)]
pub struct WriteTimes<K = IpAddr>(Mutex<Table<K>>);

#[derive(Debug)]
struct Table<K> {
    next_allowed: HashMap<K, Instant>,
    sweep_at: usize,
}

impl<K> Default for WriteTimes<K> {
    fn default() -> Self {
        Self(Mutex::new(Table {
            next_allowed: HashMap::new(),
            sweep_at: MIN_SWEEP_SIZE,
        }))
    }
}

impl<K: Hash + Eq> WriteTimes<K> {
    pub fn count(&self, address: K, limit: WriteLimit, now: Instant) -> WriteAllowance {
        // Poisoned only means another request panicked mid-update; the table is still sound.
        let mut table = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let arrival = table
            .next_allowed
            .get(&address)
            .map_or(now, |&time| time.max(now));
        let ahead = arrival - now;
        if ahead > limit.tolerance {
            return WriteAllowance::RetryAfter(ahead - limit.tolerance);
        }
        table.next_allowed.insert(address, arrival + limit.interval);
        if table.next_allowed.len() >= table.sweep_at {
            table.next_allowed.retain(|_, time| *time > now);
            table.sweep_at = (2 * table.next_allowed.len()).max(MIN_SWEEP_SIZE);
        }
        WriteAllowance::Allowed
    }

    #[cfg(test)]
    fn addresses(&self) -> usize {
        self.0
            .lock()
            .map(|table| table.next_allowed.len())
            .unwrap_or_default()
    }
}

#[cfg(test)]
#[path = "../../../tests/unit/private/db_sqlite_write_limit.rs"]
mod tests;
