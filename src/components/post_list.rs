//! The list of posts on `/`, newest first, with comment counts. Server-rendered only: after a save
//! the post form has the server render it again.

use leptos::prelude::*;

use crate::model::{PostPage, PostSummary};

/// The id of the section the post form has rendered again after a save.
pub const POSTS_SECTION: &str = "posts-section";

#[component]
pub fn PostList(page: PostPage) -> impl IntoView {
    if page.posts.is_empty() {
        return view! { <p class="empty">"No posts yet. Write the first one above."</p> }
            .into_any();
    }
    view! {
        <ol class="post-list">
            {page.posts.into_iter().map(|post| view! { <PostItem post /> }).collect_view()}
        </ol>
        {page.next_cursor.map(|cursor| view! {
            <a class="older" href=format!("/?cursor={cursor}")>"Older posts →"</a>
        })}
    }
    .into_any()
}

#[component]
fn PostItem(post: PostSummary) -> impl IntoView {
    let comments = match post.comment_count {
        1 => "1 comment".to_owned(),
        count => format!("{count} comments"),
    };
    view! {
        <li>
            <a href=format!("/posts/{}", post.id)>{post.title}</a>
            {post.draft.then_some(view! { <DraftBadge /> })}
            <span class="meta">
                <Timestamp utc=post.created_at />
                <Byline author=post.author />
                " · "
                {comments}
            </span>
        </li>
    }
}

/// ` by {author}` for a signed-in writer, ` by anonymous` otherwise (text, so escaped).
#[component]
pub fn Byline(author: Option<String>) -> impl IntoView {
    match author {
        Some(author) => view! { " by " <span class="author">{author}</span> }.into_any(),
        None => view! { " by " <span class="author anonymous">"anonymous"</span> }.into_any(),
    }
}

/// Marks a draft, which only preview mode shows.
#[component]
pub fn DraftBadge() -> impl IntoView {
    view! { <span class="badge">"Draft"</span> }
}

/// A stored UTC timestamp, shown to the minute.
#[component]
pub fn Timestamp(utc: String) -> impl IntoView {
    let shown = shown_time(&utc);
    view! { <time datetime=utc>{shown} " UTC"</time> }
}

/// A stored UTC timestamp to the minute (`2026-12-07 18:00`), as [`Timestamp`] shows it.
pub fn shown_time(utc: &str) -> String {
    utc.get(..16)
        .map(|minutes| minutes.replace('T', " "))
        .unwrap_or_else(|| utc.to_owned())
}
