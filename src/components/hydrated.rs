//! The `data-hydrated` attribute an island puts on its form: `"false"` in the HTML the server sends,
//! `"true"` once the island runs in the browser. Before that a click gets only the browser's default
//! (a plain form submission), so the end-to-end tests wait until no form on the page says `"false"`.

use leptos::prelude::*;

/// The value of `data-hydrated`, for the island that calls it.
pub fn hydrated() -> impl Fn() -> &'static str + Copy + 'static {
    let hydrated = RwSignal::new(false);
    // Effects run only in the browser, once the island has taken over its HTML.
    Effect::new(move || hydrated.set(true));
    move || if hydrated.get() { "true" } else { "false" }
}
