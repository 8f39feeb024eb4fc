//! The data layer's one error: a full disk (507) and an absent database (503) are not bugs, the
//! rest is (500). Classified here, the only place that knows the backends' codes; the driver's
//! error travels inside, opaque, for the log. A missing row is `None`, not an error.

use std::{io, sync::Arc};

/// Why a database call failed. Cheap to clone: a failed batch of posts answers each of its posts.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Error {
    /// A retry may succeed.
    #[error(transparent)]
    Unavailable(Cause),
    /// Nothing was written.
    #[error(transparent)]
    StorageFull(Cause),
    #[error(transparent)]
    Other(Cause),
}

#[derive(Clone, Debug, thiserror::Error)]
#[error(transparent)]
pub struct Cause(pub(super) Arc<dyn std::error::Error + Send + Sync>);

impl From<sqlx::Error> for Cause {
    fn from(error: sqlx::Error) -> Self {
        Self(Arc::new(error))
    }
}

/// Extended result codes keep the primary code in their low 8 bits.
const SQLITE_FULL: i64 = 13;
/// Seen once the busy timeout has run out.
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
const POSTGRES_DISK_FULL: &str = "53100";
/// Too many connections, shutting down, starting up; serialization_failure and deadlock_detected
/// ask the client to retry (CockroachDB says these often). A failover adds read_only_sql_transaction
/// (a demoted leader, or a standby reached before the proxy noticed), cannot_connect_now and
/// idle_session_timeout; PgBouncer answers 08P01 or 57P01 when its server goes away.
const POSTGRES_UNAVAILABLE: [&str; 8] = [
    "53300", "57P01", "57P02", "57P03", "57P05", "40001", "40P01", "25006",
];

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        let kind = match &error {
            sqlx::Error::Database(database) => {
                let code = database.code();
                let code = code.as_deref().unwrap_or_default();
                if database
                    .try_downcast_ref::<sqlx::sqlite::SqliteError>()
                    .is_some()
                {
                    classify_sqlite(code, database.message())
                } else {
                    classify_sqlstate(code)
                }
            }
            sqlx::Error::Io(io) => classify_io(io),
            sqlx::Error::Protocol(message) => classify_protocol(message),
            // The server or the network is away.
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => Kind::Unavailable,
            _ => Kind::Other,
        };
        let cause = Cause::from(error);
        match kind {
            Kind::Unavailable => Self::Unavailable(cause),
            Kind::StorageFull => Self::StorageFull(cause),
            Kind::Other => Self::Other(cause),
        }
    }
}

/// What a driver error means to the caller, from the backend's own code.
#[derive(Debug, PartialEq, Eq)]
pub enum Kind {
    Unavailable,
    StorageFull,
    Other,
}

/// A SQLite (extended) result code and its message.
pub fn classify_sqlite(code: &str, message: &str) -> Kind {
    match code.parse::<i64>() {
        Ok(code) => match code & 0xff {
            SQLITE_FULL => Kind::StorageFull,
            SQLITE_BUSY | SQLITE_LOCKED => Kind::Unavailable,
            // SQLite reports some failed writes of a full disk as I/O errors; its message says why.
            _ if message.contains("database or disk is full") => Kind::StorageFull,
            _ => Kind::Other,
        },
        Err(_) => Kind::Other,
    }
}

/// A PostgreSQL SQLSTATE.
pub fn classify_sqlstate(sqlstate: &str) -> Kind {
    if sqlstate == POSTGRES_DISK_FULL {
        Kind::StorageFull
    } else if sqlstate.starts_with("08") || POSTGRES_UNAVAILABLE.contains(&sqlstate) {
        // Class 08: connection exceptions.
        Kind::Unavailable
    } else {
        Kind::Other
    }
}

/// Anything but a full disk is a failed connection, which a retry may get past.
fn classify_io(error: &io::Error) -> Kind {
    match error.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Kind::StorageFull,
        _ => Kind::Unavailable,
    }
}

/// sqlx's protocol errors that only mean the other end went away mid-conversation: a proxy with no
/// server behind it (HAProxy while no member is the leader) closes the socket, or answers nothing
/// sqlx expects, before the startup is done.
pub fn classify_protocol(message: &str) -> Kind {
    const SERVER_AWAY: [&str; 3] = [
        "unexpected response from SSLRequest",
        "unexpected end of file",
        "connection closed",
    ];
    if SERVER_AWAY.iter().any(|sign| message.contains(sign)) {
        Kind::Unavailable
    } else {
        Kind::Other
    }
}
