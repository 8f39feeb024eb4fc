//! `<App/>`: the HTML shell, the page router and the shared layout. Server only: in islands mode
//! every page is a full load rendered here, plain HTML with the islands (`components/`) in it.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};

use crate::{
    components::raw_text::escape_text,
    pages::{
        account::{SignInPage, SignUpPage},
        home::HomePage,
        not_found::NotFound,
        post::PostPage,
        reads,
    },
    site::AssetUrls,
};

/// The document around the app; `assets` names the JS, wasm and CSS (hashed in a release).
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
                // `islands=true`: loads the wasm when idle and hydrates the islands only.
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
    // From the HttpOnly cookie scripts cannot read: the banner is server-rendered like the page.
    let preview = reads::in_preview_mode();
    let username = OnceResource::new(reads::signed_in_username());

    // `SsrMode::Async`: status and `<title>` known before the headers; no-JS gets a whole page.
    view! {
        // leptos_meta writes the title into the page unescaped (see `components/raw_text.rs`).
        <Title formatter=|page: String| escape_text(&format!("{page} · Leptos API Routes")) />
        <Router>
            <header class="site-header">
                <a href="/">"Leptos API Routes"</a>
                <Suspense>
                    {move || Suspend::new(async move {
                        view! { <AccountNav username=username.await /> }
                    })}
                </Suspense>
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
                    <Route path=StaticSegment("signup") view=SignUpPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("signin") view=SignInPage ssr=SsrMode::Async />
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

/// The header's account part: the signed-in name and a sign-out button (a form, so it works
/// without JavaScript), or the links to sign in and up.
#[component]
fn AccountNav(username: Option<String>) -> impl IntoView {
    match username {
        Some(username) => view! {
            <span class="account">
                <span class="signed-in-as">"Signed in as " <strong>{username}</strong></span>
                <form class="sign-out" method="post" action="/api/auth/signout">
                    <button type="submit">"Sign out"</button>
                </form>
            </span>
        }
        .into_any(),
        None => view! {
            <span class="account">
                <a href="/signin">"Sign in"</a>
                " · "
                <a href="/signup">"Sign up"</a>
            </span>
        }
        .into_any(),
    }
}
