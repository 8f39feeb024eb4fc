//! This instance's cache of live sessions, for what a page shows and nothing else (the header's
//! name, the author's Edit and Delete forms): a signed-in page then costs no database read. Every
//! decision (a write, `/api/auth/me`, tokens, GraphQL's `me`) reads the database (`accounts.rs`), so
//! the cache can grant nothing. Bounded ([`CAPACITY`] entries, each kept [`TIME_TO_LIVE`] at most and
//! never past its session's `expires_at`), keyed by the SHA-256 the database keeps, never the secret.
//! This instance's sign-outs forget their entries at once; another instance's arrive as PostgreSQL's
//! `session_ended` notices (`postgres/listener.rs`). While those cannot arrive (the listener is down
//! or not started) the cache is off, and it starts empty when they can again (docs/accounts.md).

use std::{
    fmt,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use moka::sync::Cache;

use super::rows::SessionOwner;

/// Sessions kept at most: a few MiB, however many sessions an attacker opens.
pub const CAPACITY: u64 = 10_000;
/// How long an entry is kept after it was read from the database: the longest a name can outlive
/// a sign-out whose notice was lost without the listener noticing (a silent network failure).
pub const TIME_TO_LIVE: Duration = Duration::from_secs(60);

/// What the database keeps of a session's secret: its SHA-256.
pub type SessionKey = [u8; 32];

/// The live sessions this instance read lately. Cheap to clone (shared).
#[derive(Clone)]
pub struct SessionCache(Arc<Shared>);

struct Shared {
    entries: Cache<SessionKey, Entry>,
    /// Counts every forgetting; a fill whose lookup began before one is dropped ([`Ticket`]).
    generation: AtomicU64,
    /// Counts every clearing; an entry of an older epoch is not served.
    epoch: AtomicU64,
    /// Whether every sign-out reaches this cache (always on SQLite; on PostgreSQL while listening).
    live: AtomicBool,
    /// Held to fill and to forget, so a fill is either before a forgetting (and forgotten) or
    /// after it (and sees the new generation).
    changing: Mutex<()>,
}

#[derive(Clone)]
struct Entry {
    owner: SessionOwner,
    epoch: u64,
}

/// What the cache says of a session.
pub enum Lookup {
    /// Live, as it was when read from the database.
    Hit(SessionOwner),
    /// Not here: read the database, then [`SessionCache::fill`] with the ticket.
    Miss(Ticket),
    /// The cache is off: read the database, and keep nothing.
    Off,
}

/// Taken before the database is read: a fill is dropped if anything was forgotten since.
pub struct Ticket {
    generation: u64,
}

impl SessionCache {
    /// `live`: whether sign-outs reach it from the start (SQLite's one process).
    pub fn new(live: bool) -> Self {
        Self::with_bounds(CAPACITY, TIME_TO_LIVE, live)
    }

    pub fn with_bounds(capacity: u64, time_to_live: Duration, live: bool) -> Self {
        Self(Arc::new(Shared {
            entries: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(time_to_live)
                .build(),
            generation: AtomicU64::new(0),
            epoch: AtomicU64::new(0),
            live: AtomicBool::new(live),
            changing: Mutex::new(()),
        }))
    }

    /// The session `key` at `now` (Unix seconds).
    pub fn lookup(&self, key: &SessionKey, now: i64) -> Lookup {
        let shared = &self.0;
        if !shared.live.load(Ordering::Acquire) {
            return Lookup::Off;
        }
        let ticket = Ticket {
            generation: shared.generation.load(Ordering::Acquire),
        };
        match shared.entries.get(key) {
            Some(entry)
                if entry.epoch == shared.epoch.load(Ordering::Acquire)
                    && entry.owner.expires_at > now =>
            {
                Lookup::Hit(entry.owner)
            }
            _ => Lookup::Miss(ticket),
        }
    }

    /// Keeps what the database said of `key`, unless the cache is off or something was forgotten
    /// since `ticket` was taken (it may have been this session, signed out meanwhile).
    pub fn fill(&self, ticket: Ticket, key: SessionKey, owner: SessionOwner) {
        let shared = &self.0;
        let _changing = self.changing();
        if shared.live.load(Ordering::Acquire)
            && shared.generation.load(Ordering::Acquire) == ticket.generation
        {
            let epoch = shared.epoch.load(Ordering::Acquire);
            shared.entries.insert(key, Entry { owner, epoch });
        }
    }

    /// The session `key` ended (or changed): not served from here again.
    pub fn forget(&self, key: &SessionKey) {
        let _changing = self.changing();
        self.0.generation.fetch_add(1, Ordering::AcqRel);
        self.0.entries.invalidate(key);
    }

    /// Forgets every session: when the ones that ended are not known one by one (sign-out
    /// everywhere), or notices may have been missed.
    pub fn clear(&self) {
        let _changing = self.changing();
        self.forget_all();
    }

    /// Turns the cache on (every sign-out reaches it from now on) or off; either way it is emptied,
    /// since sign-outs may have been missed before.
    pub fn set_live(&self, live: bool) {
        let _changing = self.changing();
        self.0.live.store(live, Ordering::Release);
        self.forget_all();
    }

    pub fn is_live(&self) -> bool {
        self.0.live.load(Ordering::Acquire)
    }

    /// How many entries it holds once its pending evictions are done.
    pub fn len(&self) -> u64 {
        self.0.entries.run_pending_tasks();
        self.0.entries.entry_count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Under [`Shared::changing`]. The epoch keeps cleared entries from being served, however the
    /// cache's own clock orders `invalidate_all` against a fill a moment before.
    fn forget_all(&self) {
        self.0.generation.fetch_add(1, Ordering::AcqRel);
        self.0.epoch.fetch_add(1, Ordering::AcqRel);
        self.0.entries.invalidate_all();
    }

    fn changing(&self) -> std::sync::MutexGuard<'_, ()> {
        self.0
            .changing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for SessionCache {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SessionCache")
            .field("live", &self.is_live())
            .field("entries", &self.0.entries.entry_count())
            .finish()
    }
}
