//! What kind of failure a database error is, for the layers above that must answer it: a full disk
//! is not a bug (507, "out of storage"), a database that does not answer is not one either (503, "try
//! again"), and everything else is (500).
//!
//! Decided here, in the data layer, because only here are the backends' error codes known: SQLite's
//! result codes and PostgreSQL's SQLSTATEs are read as the code strings sqlx hands over, so no
//! backend's driver types leak upwards. `impl From<sqlx::Error> for ApiError` (src/api/error.rs)
//! asks [`classify`]; so does anything else that must tell an outage from a bug.

use std::io;

/// The kinds of database failure the API answers differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The database cannot be reached or is not taking work right now; a retry may succeed.
    Unavailable,
    /// A write failed because the disk (or the database's storage) is full. Nothing was written.
    StorageFull,
    /// Anything else: a bug or an unexpected failure.
    Other,
}

/// SQLite's primary result code for "database or disk is full" (`SQLITE_FULL`). Extended result
/// codes keep the primary code in their low 8 bits.
const SQLITE_FULL: i64 = 13;
/// SQLite's "database is locked" (`SQLITE_BUSY`, `SQLITE_LOCKED`), once the busy timeout has run out.
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
/// PostgreSQL's SQLSTATE `disk_full` (class 53, insufficient resources).
const POSTGRES_DISK_FULL: &str = "53100";
/// PostgreSQL's SQLSTATEs for a server that will not take the request now: too many connections,
/// shutting down, starting up; and serialization_failure and deadlock_detected, where PostgreSQL
/// asks the client to try again (CockroachDB says these often).
const POSTGRES_UNAVAILABLE: [&str; 6] = ["53300", "57P01", "57P02", "57P03", "40001", "40P01"];

/// Classifies `error`; see [`Failure`].
pub fn classify(error: &sqlx::Error) -> Failure {
    match error {
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
        // No connection within DATABASE_TIMEOUT_MS, TLS failed, or the pool is shutting down: the
        // server or the network is away.
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => Failure::Unavailable,
        _ => Failure::Other,
    }
}

/// A SQLite (extended) result code, as text.
fn classify_sqlite(code: &str, message: &str) -> Failure {
    match code.parse::<i64>() {
        Ok(code) => match code & 0xff {
            SQLITE_FULL => Failure::StorageFull,
            SQLITE_BUSY | SQLITE_LOCKED => Failure::Unavailable,
            // SQLite reports some failed writes of a full disk as I/O errors; its message says why.
            _ if message.contains("database or disk is full") => Failure::StorageFull,
            _ => Failure::Other,
        },
        Err(_) => Failure::Other,
    }
}

/// A PostgreSQL SQLSTATE.
fn classify_sqlstate(sqlstate: &str) -> Failure {
    if sqlstate == POSTGRES_DISK_FULL {
        Failure::StorageFull
    } else if sqlstate.starts_with("08") || POSTGRES_UNAVAILABLE.contains(&sqlstate) {
        // Class 08: connection exceptions.
        Failure::Unavailable
    } else {
        Failure::Other
    }
}

/// An I/O error on the way to the database: a full disk, or else a connection that failed (refused,
/// reset, an unreachable host): an outage for the client, since a retry may succeed.
fn classify_io(error: &io::Error) -> Failure {
    match error.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Failure::StorageFull,
        _ => Failure::Unavailable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_full_and_its_extended_codes_are_storage_full() {
        assert_eq!(
            classify_sqlite("13", "database or disk is full"),
            Failure::StorageFull
        );
        assert_eq!(
            classify_sqlite(&(13 | (1 << 8)).to_string(), ""),
            Failure::StorageFull
        );
    }

    #[test]
    fn a_sqlite_io_error_saying_the_disk_is_full_is_storage_full() {
        // SQLITE_IOERR_WRITE
        assert_eq!(
            classify_sqlite("778", "database or disk is full"),
            Failure::StorageFull
        );
    }

    #[test]
    fn a_busy_or_locked_sqlite_database_is_unavailable() {
        // SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED.
        for code in ["5", "517", "6"] {
            assert_eq!(
                classify_sqlite(code, "database is locked"),
                Failure::Unavailable,
                "{code}"
            );
        }
    }

    #[test]
    fn postgres_disk_full_is_storage_full() {
        assert_eq!(classify_sqlstate("53100"), Failure::StorageFull);
    }

    #[test]
    fn postgres_connection_shutdown_and_retry_codes_are_unavailable() {
        for code in ["08006", "08001", "57P01", "57P03", "53300", "40001"] {
            assert_eq!(classify_sqlstate(code), Failure::Unavailable, "{code}");
        }
    }

    #[test]
    fn a_constraint_violation_is_another_failure() {
        // SQLITE_CONSTRAINT_UNIQUE, and PostgreSQL's unique_violation, undefined_table, string
        // too long.
        assert_eq!(
            classify_sqlite("2067", "UNIQUE constraint failed"),
            Failure::Other
        );
        for code in ["23505", "42P01", "22001"] {
            assert_eq!(classify_sqlstate(code), Failure::Other, "{code}");
        }
    }

    #[test]
    fn an_io_error_of_a_full_disk_is_storage_full() {
        let error = sqlx::Error::Io(io::Error::from_raw_os_error(28)); // ENOSPC
        assert_eq!(classify(&error), Failure::StorageFull);
    }

    #[test]
    fn a_refused_connection_a_pool_timeout_or_a_closed_pool_is_unavailable() {
        let refused = sqlx::Error::Io(io::ErrorKind::ConnectionRefused.into());
        assert_eq!(classify(&refused), Failure::Unavailable);
        assert_eq!(classify(&sqlx::Error::PoolTimedOut), Failure::Unavailable);
        assert_eq!(classify(&sqlx::Error::PoolClosed), Failure::Unavailable);
    }

    #[test]
    fn a_missing_row_is_another_failure() {
        assert_eq!(classify(&sqlx::Error::RowNotFound), Failure::Other);
    }
}
