//! `/posts/{id}`: one post, its comments oldest first, and the comment form; the 404 page for a bad
//! or unknown id, the 503 page while the database is not answering. Query: `cursor` pages on
//! through newer comments; `comment` is an invalid no-JavaScript submission sent back (the form
//! reads it).

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    components::{
        comments::{CommentForm, CommentList},
        post_list::{DraftBadge, Timestamp},
    },
    model::{CommentId, PostId},
    pages::reads::{self, LoadError, PostWithComments},
    pages::{not_found::NotFound, unavailable::Unavailable},
};

#[component]
pub fn PostPage() -> impl IntoView {
    // Read once: the page is rendered on the server only, for one URL.
    let id = use_params_map().with_untracked(|params| params.get("id")?.parse::<PostId>().ok());
    // A cursor that does not parse starts from the first comment, as `/?cursor=` does for posts.
    let cursor =
        use_query_map().with_untracked(|query| query.get("cursor")?.parse::<CommentId>().ok());
    let lookup = id.map(|id| reads::post_with_comments(id, cursor));
    let found = OnceResource::new(async move {
        match lookup {
            Some(lookup) => lookup.await,
            None => Ok(None),
        }
    });

    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match found.await {
                    Ok(Some(found)) => {
                        view! { <PostView found later_page=cursor.is_some() /> }.into_any()
                    }
                    Ok(None) => view! { <NotFound /> }.into_any(),
                    Err(LoadError::Unavailable) => view! { <Unavailable /> }.into_any(),
                    Err(error) => view! { <p class="failed">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PostView(found: PostWithComments, later_page: bool) -> impl IntoView {
    let PostWithComments {
        post,
        comments,
        comment_count,
    } = found;
    let description: String = post.body.chars().take(160).collect();

    view! {
        <Title text=post.title.clone() />
        <Meta name="description" content=description />
        <article class="post">
            <h1>{post.title} {post.draft.then_some(view! { <DraftBadge /> })}</h1>
            <p class="meta"><Timestamp utc=post.created_at /></p>
            <div class="post-body">{post.body}</div>
        </article>
        <CommentList page=comments count=comment_count later_page />
        <section aria-labelledby="new-comment" id="new-comment-section">
            <h2 id="new-comment">"Add a comment"</h2>
            <CommentForm />
        </section>
        <p><a href="/">"← All posts"</a></p>
    }
}
