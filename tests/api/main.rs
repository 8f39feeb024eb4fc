//! The routes: each test starts the app on a free port with a fresh database, then talks to it over
//! HTTP like any client would — pages, the JSON API, GraphQL, the middleware around them, and
//! hostile requests byte for byte.
//!
//! Run with `cargo test --features ssr --test api`: on SQLite, or on PostgreSQL with
//! `TEST_DATABASE_URL=postgres://user@host:port/db` (each test then creates a database of its own on
//! that server and drops it afterwards). The server itself is tested in `tests/server/`.

#[path = "../support/mod.rs"]
mod support;

mod account_pages;
mod auth;
mod authors;
mod comment_events;
mod comments;
mod cors;
mod cross_site;
mod graphql;
mod health;
mod hello;
mod hostile;
mod hosts;
mod http_cache;
mod idempotency_key;
mod middleware;
mod openapi;
mod pages;
mod post;
mod preview;
mod rate_limit;
mod render_limit;
mod static_assets;
mod trivia;
mod unknown_routes;
mod webhook;
