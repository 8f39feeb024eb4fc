//! What islands read from the page's URL (the request on the server, the address bar in the
//! browser). Islands take no props: props travel as JSON, and serde_json would be a quarter of the
//! wasm, while what an island needs is in the URL anyway (the path, a form's values sent back as
//! invalid).

use leptos::prelude::*;

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
