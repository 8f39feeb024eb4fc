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
use crate::model::{CommentsForPost, NewComment, PostId};

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
    // Where the live comments' stream starts (`live_comments.rs`): after what this page shows.
    let last_shown = comments.last().map_or(0, |comment| comment.id.0);
    view! {
        <section aria-labelledby="comments" id=COMMENTS_SECTION data-after=last_shown>
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
                                <li>
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
            move |_| {
                input.set_value("");
                refresh_section(COMMENTS_SECTION);
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
