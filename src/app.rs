//! `<App/>`: the HTML shell, the page router and the layout shared by every page.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{A, Route, Router, Routes},
};

use crate::{
    data,
    pages::{home::HomePage, not_found::NotFound, post::PostPage},
};

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The document title. leptos_meta (0.8.7) writes the title into the server's HTML as it is, so a
/// post titled `</title><script>…` would escape the element: on the server it is HTML-escaped here
/// (the browser decodes the entities back). In the browser it is set as text and must stay as is.
fn title_text(title: &str) -> String {
    if cfg!(feature = "ssr") {
        title
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    } else {
        title.to_owned()
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Flips to "true" once the browser has taken over the page; end-to-end tests wait on it, because
    // a click before hydration has nothing to handle it but the browser's default.
    let hydrated = RwSignal::new(false);
    Effect::new(move || hydrated.set(true));
    // Known on the server (from the request's cookie, which scripts cannot read: it is HttpOnly) and
    // sent along with the page, so the browser renders the same banner when it takes over.
    let preview = SharedValue::new(data::in_preview_mode).into_inner();

    // Pages wait for their data before the first byte (`SsrMode::Async`): the status (404 for an
    // unknown post) and the `<title>` must be known before the headers go out, and a browser without
    // JavaScript gets the complete page.
    view! {
        <Stylesheet id="leptos" href="/pkg/leptos-api-routes.css" />
        <Title formatter=|page: String| title_text(&format!("{page} · Leptos API Routes")) />
        <Router>
            <header class="site-header">
                <A href="/">"Leptos API Routes"</A>
            </header>
            {preview.then_some(view! {
                <p class="preview-banner">
                    "Preview mode — drafts are shown. "
                    // `rel="external"`: a full request to the API route, not a client-side route.
                    <a href="/api/preview/exit" rel="external">"Exit preview"</a>
                </p>
            })}
            <main data-hydrated=move || hydrated.get().to_string()>
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
