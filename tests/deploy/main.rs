//! Deployment targets, each tested the way it runs: the binary as a process, with the tools that
//! start it in production.
//!
//! - `systemd`: socket activation (`systemd-socket-activate`), `sd_notify` readiness, a restart
//!   that loses no connection, and the units in `deploy/systemd/` checked by `systemd-analyze`.

mod process;

mod systemd;
