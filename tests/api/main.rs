//! Integration tests: each test starts the real server on a free port with a fresh SQLite file, then
//! talks to it over HTTP like any client would.
//!
//! Run with `cargo test --features ssr` (the README's test command runs them for you).

mod harness;

mod binary;
mod comments;
mod durability;
mod health;
mod hello;
mod openapi;
mod pages;
mod post;
mod trivia;
mod unknown_routes;
