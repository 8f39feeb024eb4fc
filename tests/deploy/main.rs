//! Deployment targets, each tested the way it runs, with the tools that start it in production:
//! `systemd` (socket activation, `sd_notify`, a restart that loses no connection, the units),
//! `healthcheck`, `one_file` (`pack`, the release alone in an empty folder), `container` (buildah)
//! and `lambda` (against the stand-in Runtime API of `runtime_api`, on PostgreSQL).
//!
//! `cargo test --features ssr` runs them against the debug binary; those that need the release are
//! `#[ignore]`d, and `scripts/test.sh` runs them after `scripts/release.sh`:
//! `RELEASE_BINARY=target/dist/leptos-api-routes cargo test --features ssr --test deploy -- --ignored`.

#[path = "../support/mod.rs"]
mod support;

mod runtime_api;

mod container;
mod healthcheck;
mod lambda;
mod one_file;
mod systemd;
