//! Integration tests: each test starts the real server on a free port with a fresh database, then
//! talks to it over HTTP like any client would.
//!
//! Run with `cargo test --features ssr` (the README's test command runs them for you): on SQLite, or
//! on PostgreSQL with `TEST_DATABASE_URL=postgres://user@host:port/db` (each test then creates a
//! database of its own on that server and drops it afterwards). `postgres::` holds what only
//! PostgreSQL does; those tests start a cluster of their own when `TEST_DATABASE_URL` names none.

mod harness;

mod binary;
mod comments;
mod connections;
mod cors;
mod cross_site;
mod durability;
mod full_disk;
mod graphql;
mod health;
mod hello;
mod hostile;
mod hosts;
mod http_cache;
mod lambda;
mod middleware;
mod open_files;
mod openapi;
mod pages;
mod post;
mod postgres;
mod preview;
mod rate_limit;
mod render_limit;
mod static_assets;
mod trivia;
mod unknown_routes;
mod webhook;
