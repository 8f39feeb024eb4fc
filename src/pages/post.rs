//! `/posts/{id}`: one post, its comments oldest first, and the comment form. An id that is not a
//! positive integer, or names no post, gets the 404 page (with status 404).
//!
//! Query parameter: `comment` carries a submission the API sent back as invalid (JavaScript off).

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    components::{
        comments::{CommentForm, CommentList},
        post_list::{DraftBadge, Timestamp},
    },
    data::{self, PostWithComments},
    model::{Comment, NewComment, PostId},
    pages::not_found::NotFound,
};

#[component]
pub fn PostPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|params| params.get("id")?.parse::<PostId>().ok()));
    let found = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => data::post_with_comments(id).await,
                None => Ok(None),
            }
        },
    );

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match found.await {
                    Ok(Some(found)) => view! { <PostView found /> }.into_any(),
                    Ok(None) => view! { <NotFound /> }.into_any(),
                    Err(message) => view! { <p class="failed">{message}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn PostView(found: PostWithComments) -> impl IntoView {
    let PostWithComments { post, comments } = found;
    let comments = RwSignal::new(comments);
    let on_added =
        Callback::new(move |comment: Comment| comments.update(|list| list.push(comment)));
    let returned = use_query_map()
        .with_untracked(|query| query.get("comment").map(|comment| NewComment { comment }));
    let description: String = post.body.chars().take(160).collect();

    view! {
        <Title text=post.title.clone() />
        <Meta name="description" content=description />
        <article class="post">
            <h1>{post.title} {post.draft.then_some(view! { <DraftBadge /> })}</h1>
            <p class="meta"><Timestamp utc=post.created_at /></p>
            <div class="post-body">{post.body}</div>
        </article>
        <section aria-labelledby="comments">
            <h2 id="comments">
                "Comments (" {move || comments.with(Vec::len)} ")"
            </h2>
            <CommentList comments />
        </section>
        <section aria-labelledby="new-comment" id="new-comment-section">
            <h2 id="new-comment">"Add a comment"</h2>
            <CommentForm post=post.id returned on_added />
        </section>
        <p><a href="/">"← All posts"</a></p>
    }
}
