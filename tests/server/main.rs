//! The server itself rather than a route: the binary as a process (its settings, first start,
//! SIGTERM, its log), slow and idle connections and the connection cap, the open-file limit, a full
//! disk, and what a SIGKILL mid-stream leaves written. On SQLite, or on PostgreSQL with
//! `TEST_DATABASE_URL`, like `tests/api/`.

#[path = "../support/mod.rs"]
mod support;

mod binary;
mod connections;
mod durability;
mod full_disk;
mod live;
mod open_files;
