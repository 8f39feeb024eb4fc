//! `/`: the home page — the post form, the newest posts and the trivia box (placeholder for now).

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Home" />
        <h1>"Leptos API Routes"</h1>
        <p class="lede">
            "Next.js-style API routes in Rust: this page is rendered by Leptos on the server, "
            "then hydrated in your browser; the JSON API lives under " <code>"/api"</code> "."
        </p>
        <section aria-labelledby="new-post">
            <h2 id="new-post">"New post"</h2>
            <p class="placeholder">"The post form comes here."</p>
        </section>
        <HydrationCheck />
    }
}

/// Proves that the browser took over the page: the button only counts once the wasm has hydrated it,
/// and `data-hydrated` flips to `true` at the same moment (tests wait on it before clicking).
#[component]
fn HydrationCheck() -> impl IntoView {
    let hydrated = RwSignal::new(false);
    let clicks = RwSignal::new(0u32);
    Effect::new(move || hydrated.set(true));

    view! {
        <p class="hydration-check" data-hydrated=move || hydrated.get().to_string()>
            <button type="button" on:click=move |_| clicks.update(|count| *count += 1)>
                "Clicked " {move || clicks.get()} " times"
            </button>
            <span>{move || if hydrated.get() { " interactive" } else { " server-rendered" }}</span>
        </p>
    }
}
