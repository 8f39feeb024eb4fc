//! `/`: the post form, the newest posts with their comment counts, and the trivia box.
//!
//! Query parameters: `cursor` pages back through older posts; `number` asks the trivia box;
//! `title`/`post` carry a form submission the API sent back as invalid (JavaScript off).

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

use crate::{
    components::{
        post_form::{PostForm, draft_saved_message},
        post_list::PostList,
        trivia_box::TriviaBox,
    },
    data,
    model::{NewPost, PostId},
};

#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map();
    let cursor = Memo::new(move |_| {
        query.with(|query| {
            query
                .get("cursor")
                .and_then(|cursor| cursor.parse::<PostId>().ok())
        })
    });
    // Bumped when the form saves a post, so the list is read again without a page reload.
    let saved_posts = RwSignal::new(0u32);
    let posts = Resource::new(
        move || (cursor.get(), saved_posts.get()),
        |(cursor, _)| data::list_posts(cursor),
    );
    let returned = query.with_untracked(|query| {
        (query.get("title").is_some() || query.get("post").is_some()).then(|| NewPost {
            title: query.get("title").unwrap_or_default(),
            post: query.get("post").unwrap_or_default(),
            draft: query.get("draft").is_some_and(|draft| draft == "true"),
        })
    });
    // Set by the API after a draft was posted with JavaScript off (a draft has no public page).
    let saved_draft = query.with_untracked(|query| {
        query
            .get("saved_draft")
            .and_then(|id| id.parse::<PostId>().ok())
    });
    let on_created = Callback::new(move |_: PostId| saved_posts.update(|count| *count += 1));

    view! {
        <Title text="Home" />
        <Meta
            name="description"
            content="Write a post, read the newest ones and ask for number trivia: a Leptos app over Next.js-style API routes in Rust."
        />
        <h1>"Leptos API Routes"</h1>
        <p class="lede">
            "Pages rendered by Leptos on the server, then hydrated in your browser; the JSON API they "
            "use lives under " <code>"/api"</code> "."
        </p>
        <div class="columns">
            <section aria-labelledby="new-post" id="new-post-section">
                <h2 id="new-post">"New post"</h2>
                {saved_draft.map(|id| view! {
                    <p class="form-outcome" role="status">
                        <span class="saved">{draft_saved_message(id)}</span>
                    </p>
                })}
                <PostForm returned on_created />
            </section>
            <section aria-labelledby="trivia">
                <h2 id="trivia">"Number trivia"</h2>
                <TriviaBox />
            </section>
        </div>
        <section aria-labelledby="posts">
            <h2 id="posts">"Posts"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading posts…"</p> }>
                {move || Suspend::new(async move {
                    match posts.await {
                        Ok(page) => view! { <PostList page /> }.into_any(),
                        Err(message) => view! { <p class="failed">{message}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
