//! What only PostgreSQL does: several instances over one database, the database going away and
//! coming back, moving a SQLite database up (`copy-db`), TLS, and migrations under concurrent starts.
//! These run whatever `TEST_DATABASE_URL` says: on its server when it names one, else each test
//! starts a cluster of its own (so they need PostgreSQL installed: scripts/setup.sh).

#[path = "../support/mod.rs"]
mod support;

/// Named `postgres::`, so that the SQLite pass of scripts/test.sh (`--skip postgres::`) leaves
/// them to the PostgreSQL pass. The files are next to this one.
#[path = "."]
mod postgres {
    mod accounts;
    mod copy_db;
    mod failover;
    mod live_comments;
    mod migrations;
    mod outage;
    mod pooler;
    mod several_instances;
    mod tls;
    mod write_allowances;
}
