//! leptos-api-routes: what Next.js calls API Routes, done with Leptos, axum and SQLite.
//!
//! The crate compiles twice: with `ssr` into the server (every page rendered on the server, the JSON
//! API under `/api`, the database), and with `hydrate` into the browser's wasm. Leptos runs in islands
//! mode: the pages and the layout (`app`, `pages`) exist on the server only and reach the browser as
//! plain HTML; only the `#[island]` components under `components` (the post form, the comment form,
//! the trivia box) are compiled into the wasm and come alive there. Modules marked `ssr` below never
//! reach the browser.

// The view types of the pages nest deeply: the server's release build needs more than the default
// 128 levels to compute their layout ("queries overflow the depth limit").
#![recursion_limit = "256"]

pub mod components;
pub mod model;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod app;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod db;
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
pub mod runtime;
#[cfg(feature = "ssr")]
pub mod site;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod trivia;

/// The browser's entry point, called by the script `<HydrationScripts islands=true/>` puts in the
/// page: it sets up Leptos's reactive runtime; that script then finds each `<leptos-island>` element
/// and calls the wasm function the `#[island]` macro exported for it, which takes over that element.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
