//! Unit tests of the library's public pieces, one file per room of `src/` (no server started): the
//! rules of the model, the parsers, the limits. What needs the running app is in `tests/api/`.
//! `private/` holds the tests of private items: each module includes its file with `#[path]`, so
//! they run inside it (with the library's own tests, `cargo test --lib`) yet stay out of `src/`.

mod api;
mod components;
mod config;
mod db;
mod middleware;
mod model;
mod page_reads;
mod preview;
mod qvalue;
mod runtime;
mod site;
mod trivia;
