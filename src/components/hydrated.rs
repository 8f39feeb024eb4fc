//! `data-hydrated` on an island's form: `"false"` from the server, `"true"` once the island runs.
//! Before that a click is a plain submission, so end-to-end tests wait until no form says
//! `"false"`.

use leptos::prelude::*;

pub fn hydrated() -> impl Fn() -> &'static str + Copy + 'static {
    let hydrated = RwSignal::new(false);
    // Effects run only in the browser, once the island has taken over its HTML.
    Effect::new(move || hydrated.set(true));
    move || if hydrated.get() { "true" } else { "false" }
}
