//! What the test targets share, one copy of each: the app started in this process (`app.rs`) or the
//! binary as a child process (`process.rs`; two of them over one PostgreSQL: `two_instances.rs`),
//! a fresh database per test (`database.rs`, on a
//! PostgreSQL cluster of its own if need be: `postgres_cluster.rs`), the checks on answers, signed
//! webhook deliveries, Lambda events, writers that outlive a killed server, and an OTLP collector.
//!
//! Each target includes it with `#[path = "../support/mod.rs"] mod support;`.

// Each test target uses a part of it.
#![allow(dead_code, unused_imports)]

mod accounts;
mod answers;
mod app;
mod database;
mod events;
mod ha_cluster;
pub mod lambda_events;
mod otlp_collector;
mod pgbouncer;
mod postgres_cluster;
mod process;
mod two_instances;
mod webhook_signature;
mod writers;

pub use accounts::{PASSWORD, me_at, session_cookie, shown_name_at, sign_in_at, sign_up_at};
pub use answers::{JSON, allowed_methods, assert_problem, content_type, detail, header, location};
pub use app::{TestApp, silent_trivia_upstream, test_config, test_http_config, with_headers};
pub use database::TestDatabase;
pub use events::{EventReader, SseEvent, add_comment, create_post, stream};
pub use ha_cluster::HaCluster;
pub use otlp_collector::{OtlpCollector, serve_for_the_test, span_names};
pub use pgbouncer::{PgBouncer, PoolMode};
pub use pgbouncer::{
    binary as pgbouncer_binary, transaction_capable as transaction_pooling_pgbouncer,
};
pub use postgres_cluster::{PgCluster, hand_to_server};
pub use process::{
    DEBUG_BINARY, PATIENCE, PREVIEW_SECRET, Process, ServerProcess, WEBHOOK_SECRET, children,
    finished, free_port, listening_address, release_binary, send_signal, server_command,
    until_healthy,
};
pub use two_instances::TwoInstances;
pub use webhook_signature::{
    signed_delivery_headers, signed_delivery_headers_at, unix_now, webhook_signature,
};
pub use writers::{lost_posts, post_until_the_server_is_gone, wait_for_confirmed};

/// A line for the test run's own output even when the test passes (libtest captures `println!`,
/// not writes to the stderr handle): a skipped part's reason, a measured timing.
pub fn report(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
