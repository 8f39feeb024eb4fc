//! `/`: the post form, the newest posts with their comment counts, and the trivia box (the 503 page
//! while the database is not answering). Query: `cursor` pages back; `number` asks the trivia box;
//! `title`/`post`/`draft` are an invalid no-JavaScript submission sent back (the form reads them);
//! `saved_draft` says a draft was saved.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

use crate::{
    components::{
        post_form::{PostForm, draft_saved_message},
        post_list::{POSTS_SECTION, PostList},
        trivia_box::{TriviaAnswer, TriviaBox, parse_number},
    },
    model::{PostId, PostPage, Trivia},
    pages::reads::{self, LoadError},
    pages::unavailable::Unavailable,
};

#[component]
pub fn HomePage() -> impl IntoView {
    // Read once: the page is rendered on the server only, for one URL.
    let query = use_query_map().get_untracked();
    let cursor = query
        .get("cursor")
        .and_then(|cursor| cursor.parse::<PostId>().ok());
    let posts = OnceResource::new(reads::list_posts(cursor));
    let lookup = query
        .get("number")
        .map(|asked| parse_number(&asked).map(reads::trivia));
    let trivia = OnceResource::new(async move {
        Some(match lookup? {
            Ok(answer) => answer.await.map_err(|error| error.to_string()),
            Err(message) => Err(message.to_owned()),
        })
    });
    // Set by the API after a draft was posted with JavaScript off (a draft has no public page).
    let saved_draft = query
        .get("saved_draft")
        .and_then(|id| id.parse::<PostId>().ok());

    // The posts decide what the page is (503 or not); the trivia answer is looked up meanwhile.
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match posts.await {
                    Err(LoadError::Unavailable) => view! { <Unavailable /> }.into_any(),
                    posts => view! { <Home posts trivia saved_draft /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The home page's content, once its posts are read (or failed for a reason other than an outage).
#[component]
fn Home(
    posts: Result<PostPage, LoadError>,
    trivia: OnceResource<Option<Result<Trivia, String>>>,
    saved_draft: Option<PostId>,
) -> impl IntoView {
    let posts = match posts {
        Ok(page) => view! { <PostList page /> }.into_any(),
        Err(error) => view! { <p class="failed">{error.to_string()}</p> }.into_any(),
    };
    view! {
        <Title text="Home" />
        <Meta
            name="description"
            content="Write a post, read the newest ones and ask for number trivia: a Leptos app over Next.js-style API routes in Rust."
        />
        <h1>"Leptos API Routes"</h1>
        <p class="lede">
            "Pages rendered by Leptos on the server, with islands of interactivity (the forms) "
            "hydrated in your browser; the JSON API they use lives under " <code>"/api"</code> "."
        </p>
        <div class="columns">
            <section aria-labelledby="new-post" id="new-post-section">
                <h2 id="new-post">"New post"</h2>
                {saved_draft.map(|id| view! {
                    <p class="form-outcome" role="status">
                        <span class="saved">{draft_saved_message(id)}</span>
                    </p>
                })}
                <PostForm />
            </section>
            <section aria-labelledby="trivia">
                <h2 id="trivia">"Number trivia"</h2>
                <TriviaBox />
                <Suspense fallback=|| view! { <p class="muted">"Looking it up…"</p> }>
                    {move || Suspend::new(async move {
                        view! { <TriviaAnswer answer=trivia.await /> }
                    })}
                </Suspense>
            </section>
        </div>
        <section aria-labelledby="posts" id=POSTS_SECTION>
            <h2 id="posts">"Posts"</h2>
            {posts}
        </section>
    }
}
