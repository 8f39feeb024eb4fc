//! What kind of failure a database error is, for the layers above that must answer it: a full disk
//! is not a bug (507, "out of storage"), a database that does not answer is not one either (503, "try
//! again"), and everything else is (500).
//!
//! Decided here, in the data layer, because only here are the backends' error codes known: SQLite's
//! result codes and PostgreSQL's SQLSTATEs are read as the code strings sqlx hands over, so no
//! backend's driver types leak upwards.

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
/// SQLite's "database is locked" (`SQLITE_BUSY`), once the busy timeout has run out.
const SQLITE_BUSY: i64 = 5;
/// How long a SQLSTATE is; SQLite's codes are shorter.
const SQLSTATE_LENGTH: usize = 5;
/// PostgreSQL's SQLSTATE `disk_full` (class 53, insufficient resources).
const POSTGRES_DISK_FULL: &str = "53100";
/// PostgreSQL's SQLSTATEs for a server that will not take the request now: too many connections,
/// shutting down, starting up.
const POSTGRES_UNAVAILABLE: [&str; 4] = ["53300", "57P01", "57P02", "57P03"];

/// Classifies `error`; see [`Failure`].
pub fn classify(error: &sqlx::Error) -> Failure {
    match error {
        sqlx::Error::Database(database) => {
            let code = database.code();
            classify_code(code.as_deref().unwrap_or_default(), database.message())
        }
        sqlx::Error::Io(io) => classify_io(io),
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
            Failure::Unavailable
        }
        _ => Failure::Other,
    }
}

/// A database's own error, by its code: PostgreSQL's SQLSTATE (always five characters, often all
/// digits) or SQLite's numeric result code (at most four digits).
fn classify_code(code: &str, message: &str) -> Failure {
    if code.len() == SQLSTATE_LENGTH {
        return classify_sqlstate(code);
    }
    match code.parse::<i64>() {
        Ok(sqlite_code) => match sqlite_code & 0xff {
            SQLITE_FULL => Failure::StorageFull,
            SQLITE_BUSY => Failure::Unavailable,
            // SQLite reports some failed writes of a full disk as I/O errors; its message says why.
            _ if message.contains("database or disk is full") => Failure::StorageFull,
            _ => Failure::Other,
        },
        Err(_) => Failure::Other,
    }
}

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

/// An I/O error on the way to the database: a full disk, or a connection that failed.
fn classify_io(error: &io::Error) -> Failure {
    match error.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Failure::StorageFull,
        io::ErrorKind::ConnectionRefused
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::NotConnected
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::TimedOut
        | io::ErrorKind::UnexpectedEof => Failure::Unavailable,
        _ => Failure::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_full_and_its_extended_codes_are_storage_full() {
        assert_eq!(
            classify_code("13", "database or disk is full"),
            Failure::StorageFull
        );
        assert_eq!(
            classify_code(&(13 | (1 << 8)).to_string(), ""),
            Failure::StorageFull
        );
    }

    #[test]
    fn a_sqlite_io_error_saying_the_disk_is_full_is_storage_full() {
        // SQLITE_IOERR_WRITE
        assert_eq!(
            classify_code("778", "database or disk is full"),
            Failure::StorageFull
        );
    }

    #[test]
    fn postgres_disk_full_is_storage_full() {
        assert_eq!(
            classify_code("53100", "could not extend file"),
            Failure::StorageFull
        );
    }

    #[test]
    fn a_locked_sqlite_database_and_a_postgres_outage_are_unavailable() {
        assert_eq!(
            classify_code("5", "database is locked"),
            Failure::Unavailable
        );
        assert_eq!(
            classify_code("08006", "connection failure"),
            Failure::Unavailable
        );
        assert_eq!(
            classify_code("57P01", "terminating connection"),
            Failure::Unavailable
        );
    }

    #[test]
    fn a_constraint_violation_is_another_failure() {
        // SQLITE_CONSTRAINT_UNIQUE, and PostgreSQL's unique_violation.
        assert_eq!(
            classify_code("2067", "UNIQUE constraint failed"),
            Failure::Other
        );
        assert_eq!(classify_code("23505", "duplicate key"), Failure::Other);
    }

    #[test]
    fn an_io_error_of_a_full_disk_is_storage_full() {
        let error = sqlx::Error::Io(io::Error::from_raw_os_error(28)); // ENOSPC
        assert_eq!(classify(&error), Failure::StorageFull);
    }

    #[test]
    fn a_refused_connection_or_a_closed_pool_is_unavailable() {
        let refused = sqlx::Error::Io(io::ErrorKind::ConnectionRefused.into());
        assert_eq!(classify(&refused), Failure::Unavailable);
        assert_eq!(classify(&sqlx::Error::PoolClosed), Failure::Unavailable);
    }

    #[test]
    fn a_row_that_does_not_decode_is_another_failure() {
        assert_eq!(classify(&sqlx::Error::RowNotFound), Failure::Other);
    }
}
