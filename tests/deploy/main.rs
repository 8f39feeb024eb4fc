//! Deployment targets, each tested the way it runs: the binary as a process, with the tools that
//! start it in production.
//!
//! - `systemd`: socket activation (`systemd-socket-activate`), `sd_notify` readiness, a restart
//!   that loses no connection, and the units in `deploy/systemd/` checked by `systemd-analyze`.
//! - `healthcheck`: the `healthcheck` command container health checks run.
//! - `one_file`: the `pack` command, and the one-file release copied alone into an empty folder.
//! - `container`: the image of `deploy/Containerfile`, built and started with buildah.
//! - `lambda`: the binary as an AWS Lambda function, against a stand-in of the Runtime API
//!   (`runtime_api`), on PostgreSQL.
//!
//! `cargo test --features ssr` runs them against the debug binary; the ones that need the release
//! build are `#[ignore]`d there, and `scripts/test.sh` runs them after `scripts/release.sh` with
//! `RELEASE_BINARY` naming the one-file release:
//! `RELEASE_BINARY=target/dist/leptos-api-routes cargo test --features ssr --test deploy -- --ignored`.

#[path = "../support/mod.rs"]
mod support;

mod runtime_api;

mod container;
mod healthcheck;
mod lambda;
mod one_file;
mod systemd;
