//! What only PostgreSQL does: several instances over one database, the database going away and
//! coming back, moving a SQLite database up (`copy-db`), TLS, and migrations under concurrent starts.
//! These run whatever `TEST_DATABASE_URL` says: on its server when it names one, else each test
//! starts a cluster of its own (so they need PostgreSQL installed: scripts/setup.sh).

mod copy_db;
mod migrations;
mod outage;
mod several_instances;
mod tls;
mod write_allowances;
