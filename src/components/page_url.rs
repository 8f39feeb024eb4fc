//! What islands read from the page's URL: on the server from the request being rendered, in the
//! browser from the address bar.
//!
//! Islands here take no props. Props travel in the page as JSON and are read back with serde_json,
//! whose parser and error messages would make up a good quarter of the browser's wasm; what an island
//! needs to know is in the URL anyway (the page's path, and the values a form sent back as invalid).

use leptos::prelude::*;

/// The value of `name` in the URL's query, if any.
pub fn query_param(name: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        leptos_router::hooks::use_query_map().with_untracked(|query| query.get(name))
    }
    #[cfg(not(feature = "ssr"))]
    {
        let search = window().location().search().ok()?;
        web_sys::UrlSearchParams::new_with_str(&search)
            .ok()?
            .get(name)
    }
}

/// The URL's path, such as `/posts/7`.
pub fn path() -> String {
    #[cfg(feature = "ssr")]
    {
        leptos_router::hooks::use_location()
            .pathname
            .get_untracked()
    }
    #[cfg(not(feature = "ssr"))]
    {
        window().location().pathname().unwrap_or_default()
    }
}

/// The whole URL in the address bar. Browser only: for event handlers, which never run on the server.
pub fn in_address_bar() -> String {
    window().location().href().unwrap_or_default()
}

/// Adds `url` to the browser's history and shows it in the address bar, without loading it.
pub fn push(url: &str) {
    if let Ok(history) = window().history() {
        _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url));
    }
}
