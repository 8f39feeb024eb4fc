//! leptos-api-routes: what Next.js calls API Routes, done with Leptos, axum and SQLite.
//!
//! The crate compiles twice: with `ssr` into the server (pages rendered on the server, the JSON API
//! under `/api`, the database), and with `hydrate` into the browser's wasm, which takes over the
//! server-rendered page. Modules marked `ssr` below never reach the browser.

// The view types of the pages nest deeply; the release wasm build (opt-level z, LTO) needs more than
// the default 128 levels to resolve them ("queries overflow the depth limit").
#![recursion_limit = "256"]

pub mod app;
pub mod components;
pub mod data;
pub mod model;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod middleware;
#[cfg(feature = "ssr")]
pub mod preview;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod trivia;

/// The browser's entry point: attaches the app to the HTML the server rendered.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
