//! Integration tests: each test starts the real server on a free port with a fresh SQLite file, then
//! talks to it over HTTP like any client would.
//!
//! Run with `cargo test --features ssr` (the README's test command runs them for you).

mod harness;

mod binary;
mod comments;
mod cors;
mod cross_site;
mod durability;
mod graphql;
mod health;
mod hello;
mod middleware;
mod openapi;
mod pages;
mod post;
mod preview;
mod rate_limit;
mod render_limit;
mod trivia;
mod unknown_routes;
mod webhook;
