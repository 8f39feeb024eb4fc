//! A post's comments, a page at a time, oldest first (server-rendered, linked pages), and the form
//! that adds one: an island that posts to `/api/comments/{id}` without JavaScript, and once
//! hydrated sends JSON with `fetch`, then puts the server's fresh rendering of the comments in
//! place; it also follows the post's new comments (`live_comments.rs`).

use leptos::{html, prelude::*};

use super::{
    api_client,
    form::{FieldErrorText, FormState, SubmitButton, refresh_section},
    hydrated::hydrated,
    live_comments, page_url,
    post_list::{Byline, Timestamp},
    raw_text::textarea_text,
};
use crate::model::{COMMENT_PAGE_SIZE_DEFAULT, CommentsForPost, NewComment, PostId};

/// The id of the section [`CommentForm`] has rendered again after adding a comment.
pub const COMMENTS_SECTION: &str = "comments-section";

/// A heading with `count` (all pages), one page, links to the next and (`later_page`) the first.
#[component]
pub fn CommentList(page: CommentsForPost, count: i64, later_page: bool) -> impl IntoView {
    let CommentsForPost {
        post,
        comments,
        next_cursor,
    } = page;
    // On the post's last page of comments, while it has room, new ones go at the end of this list
    // (`live_comments.rs`): `data-after` the newest it shows, and `data-live` when the server
    // streams them.
    let last_page = next_cursor.is_none() && comments.len() < COMMENT_PAGE_SIZE_DEFAULT as usize;
    let last_shown = last_page.then(|| comments.last().map_or(0, |comment| comment.id.0));
    let live = (last_page && streaming()).then_some("");
    view! {
        <section
            aria-labelledby="comments"
            id=COMMENTS_SECTION
            data-after=last_shown
            data-live=live
        >
            <h2 id="comments">{format!("Comments ({count})")}</h2>
            {if comments.is_empty() {
                let empty = if count == 0 { "No comments yet." } else { "No more comments." };
                view! { <p class="empty">{empty}</p> }.into_any()
            } else {
                view! {
                    <ol class="comment-list">
                        {comments
                            .into_iter()
                            .map(|comment| view! {
                                <li data-comment-id=comment.id.0>
                                    <p class="comment-body">{comment.comment}</p>
                                    <Timestamp utc=comment.created_at />
                                    <Byline author=comment.author />
                                </li>
                            })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
            {later_page.then(|| view! {
                <a class="older" href=format!("/posts/{post}#comments")>"← First comments"</a>
                " "
            })}
            {next_cursor.map(|cursor| view! {
                <a class="older" href=format!("/posts/{post}?cursor={cursor}#comments")>
                    "Later comments →"
                </a>
            })}
        </section>
    }
}

/// Whether this server streams new comments: not with `SSE_MAX_STREAMS=0`, not on AWS Lambda.
fn streaming() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<crate::live::Live>().is_some_and(|live| live.streams())
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}

#[island]
pub fn CommentForm() -> impl IntoView {
    // The post from the path; a comment sent back as invalid (JavaScript off) from the query.
    let post = page_url::path()
        .strip_prefix("/posts/")
        .and_then(|id| id.parse::<PostId>().ok());
    let returned = page_url::query_param("comment").map(|comment| NewComment { comment });
    let form = FormState::new(
        returned
            .as_ref()
            .and_then(|comment| comment.validate().err())
            .unwrap_or_default(),
    );
    let initial = returned.unwrap_or_default();
    let comment_input = NodeRef::<html::Textarea>::new();
    // Effects run only in the browser: without JavaScript the page is as it was.
    Effect::new(move || {
        if let Some(post) = post {
            live_comments::follow(post, COMMENTS_SECTION);
        }
    });

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let (Some(post), Some(input)) = (post, comment_input.get()) else {
            return;
        };
        let new_comment = NewComment {
            comment: input.value(),
        };
        if form.check(new_comment.validate()).is_none() {
            return;
        }
        form.send(
            async move { api_client::add_comment(post, &new_comment).await },
            |_| "Comment added".to_owned(),
            move |saved| {
                input.set_value("");
                // In place, as a live comment comes (and once: the stream brings it too); where
                // the page does not show the last comments, the server renders the section again.
                if !live_comments::show_posted(COMMENTS_SECTION, &saved) {
                    refresh_section(COMMENTS_SECTION);
                }
            },
        );
    };

    view! {
        <form
            class="stacked-form"
            method="post"
            action=post.map(|post| format!("/api/comments/{post}"))
            novalidate
            on:submit=submit
            data-hydrated=hydrated()
        >
            <label for="comment">"Your comment"</label>
            <textarea
                id="comment"
                name="comment"
                rows="3"
                node_ref=comment_input
                aria-describedby="comment-error"
                aria-invalid=form.is_invalid("comment")
            >
                {textarea_text(&initial.comment)}
            </textarea>
            <FieldErrorText field="comment" form />
            <SubmitButton form label="Add comment" sending_label="Sending…" />
        </form>
    }
}
