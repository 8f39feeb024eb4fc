//! leptos-api-routes: what Next.js calls API Routes, done with Leptos, axum and SQLite. The crate
//! compiles twice: with `ssr` into the server (pages, the JSON API, the database), with `hydrate`
//! into the browser's wasm. In islands mode pages reach the browser as plain HTML; only the
//! `#[island]` components are in the wasm. Modules marked `ssr` below never reach the browser.

// The pages' view types nest deeper than the default 128 ("queries overflow the depth limit").
#![recursion_limit = "256"]

pub mod components;
pub mod model;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod app;
#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod live;
#[cfg(feature = "ssr")]
pub mod middleware;
#[cfg(feature = "ssr")]
pub mod pages;
#[cfg(feature = "ssr")]
pub mod preview;
#[cfg(feature = "ssr")]
pub mod problem;
#[cfg(feature = "ssr")]
pub mod qvalue;
#[cfg(feature = "ssr")]
pub mod router;
#[cfg(feature = "ssr")]
pub mod runtime;
#[cfg(feature = "ssr")]
pub mod site;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod telemetry;
#[cfg(feature = "ssr")]
pub mod trivia;

/// The browser's entry point, called by `<HydrationScripts islands=true/>`'s script, which then has
/// each `<leptos-island>` taken over by the function its `#[island]` macro exported.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
