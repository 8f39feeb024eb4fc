//! What kind of failure a database error is, for the status the client gets: the database not
//! answering (503: try again shortly), out of storage (507), or anything else (a bug: 500).
//!
//! `impl From<sqlx::Error> for ApiError` (src/api/error.rs) asks [`classify`]; so does anything else
//! that must tell an outage from a bug, for either backend.

/// The kinds of database failure a client can be told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The database cannot be reached or will not serve right now; the same request may work later.
    Unavailable,
    /// The database has no room left to write (a full disk).
    StorageFull,
    /// Anything else: a bug, or a failure retrying will not fix.
    Other,
}

/// SQLite's primary result codes (the low byte of an extended code) that mean "not now".
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
/// "database or disk is full".
const SQLITE_FULL: i32 = 13;

pub fn classify(error: &sqlx::Error) -> Failure {
    match error {
        // No connection within DATABASE_TIMEOUT_MS, the connection broke, TLS failed, or the pool is
        // shutting down: the server or the network is away.
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => Failure::Unavailable,
        sqlx::Error::Database(error) => {
            let code = error.code().unwrap_or_default();
            if error
                .try_downcast_ref::<sqlx::sqlite::SqliteError>()
                .is_some()
            {
                code.parse().map_or(Failure::Other, classify_sqlite)
            } else {
                classify_sqlstate(&code)
            }
        }
        _ => Failure::Other,
    }
}

/// A SQLite (extended) result code.
fn classify_sqlite(code: i32) -> Failure {
    match code & 0xff {
        SQLITE_BUSY | SQLITE_LOCKED => Failure::Unavailable,
        SQLITE_FULL => Failure::StorageFull,
        _ => Failure::Other,
    }
}

/// A PostgreSQL SQLSTATE.
fn classify_sqlstate(code: &str) -> Failure {
    match code {
        // disk_full
        "53100" => Failure::StorageFull,
        // Class 08, connection exceptions; admin_shutdown, crash_shutdown, cannot_connect_now (the
        // server is stopping or starting); too_many_connections; serialization_failure and
        // deadlock_detected (PostgreSQL asks the client to try again: CockroachDB says these often).
        _ if code.starts_with("08") => Failure::Unavailable,
        "57P01" | "57P02" | "57P03" | "53300" | "40001" | "40P01" => Failure::Unavailable,
        _ => Failure::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_connection_and_shutdown_codes_are_unavailable_and_disk_full_is_storage_full() {
        for code in ["08006", "08001", "57P01", "57P03", "53300", "40001"] {
            assert_eq!(classify_sqlstate(code), Failure::Unavailable, "{code}");
        }
        assert_eq!(classify_sqlstate("53100"), Failure::StorageFull);
        for code in ["23505", "42P01", "22001"] {
            assert_eq!(classify_sqlstate(code), Failure::Other, "{code}");
        }
    }

    #[test]
    fn sqlite_busy_is_unavailable_and_full_is_storage_full() {
        // SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT; SQLITE_FULL; SQLITE_CONSTRAINT, SQLITE_CONSTRAINT_UNIQUE.
        for (code, failure) in [
            (5, Failure::Unavailable),
            (517, Failure::Unavailable),
            (13, Failure::StorageFull),
            (19, Failure::Other),
            (2067, Failure::Other),
        ] {
            assert_eq!(classify_sqlite(code), failure, "{code}");
        }
    }

    #[test]
    fn a_pool_timeout_is_unavailable_and_a_missing_row_is_not() {
        assert_eq!(classify(&sqlx::Error::PoolTimedOut), Failure::Unavailable);
        assert_eq!(classify(&sqlx::Error::RowNotFound), Failure::Other);
    }
}
