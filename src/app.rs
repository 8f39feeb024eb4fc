//! `<App/>`: the HTML shell, the page router and the layout shared by every page.
//!
//! Server only: in islands mode every page is a full page load rendered here, and the browser gets
//! plain HTML with the islands (`components/`) in it. `<a>` links are ordinary links.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};

use crate::{
    components::raw_text::escape_text,
    pages::{home::HomePage, not_found::NotFound, post::PostPage, reads},
    site::AssetUrls,
};

/// The document around the app. `assets` names the JS, wasm and stylesheet: content-hashed in a
/// release, whose site is built into the binary (`site/`).
pub fn shell(options: LeptosOptions, assets: AssetUrls) -> impl IntoView {
    let hydration_options = assets.hydration_options(&options);
    let stylesheet = assets.stylesheet().to_owned();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                // `islands=true`: a script (carrying the CSP nonce) that loads the wasm when the
                // browser is idle and hydrates each island on the page, nothing else.
                <HydrationScripts options=hydration_options islands=true />
                // `id="leptos"`: the stylesheet `cargo leptos watch` swaps when the CSS changes.
                <link rel="stylesheet" id="leptos" href=stylesheet />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // From the request's cookie, which scripts cannot read (it is HttpOnly); pages are rendered on
    // the server only, so the banner is too.
    let preview = reads::in_preview_mode();

    // Pages wait for their data before the first byte (`SsrMode::Async`): the status (404 for an
    // unknown post) and the `<title>` must be known before the headers go out, and a browser without
    // JavaScript gets the complete page.
    view! {
        // leptos_meta writes the title into the page unescaped (see `components/raw_text.rs`).
        <Title formatter=|page: String| escape_text(&format!("{page} · Leptos API Routes")) />
        <Router>
            <header class="site-header">
                <a href="/">"Leptos API Routes"</a>
            </header>
            {preview.then_some(view! {
                <p class="preview-banner">
                    "Preview mode — drafts are shown. "
                    <a href="/api/preview/exit">"Exit preview"</a>
                </p>
            })}
            <main>
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("posts"), ParamSegment("id"))
                        view=PostPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        </Router>
    }
}
