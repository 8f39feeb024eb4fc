//! A post's comments, oldest first, and the form that adds one.
//!
//! Like the post form, the comment form posts to `/api/comments/{id}` without JavaScript (landing back
//! on the post's page) and sends JSON with `fetch` once hydrated, appending the new comment in place.

use leptos::{html, prelude::*};

use super::{
    form::{FieldErrorText, FormState, SubmitButton},
    post_list::Timestamp,
};
use crate::{
    data,
    model::{Comment, NewComment, PostId},
};

#[component]
pub fn CommentList(comments: RwSignal<Vec<Comment>>) -> impl IntoView {
    view! {
        <Show
            when=move || comments.with(|comments| !comments.is_empty())
            fallback=|| view! { <p class="empty">"No comments yet."</p> }
        >
            <ol class="comment-list">
                <For
                    each=move || comments.get()
                    key=|comment| comment.id
                    children=|comment| view! {
                        <li>
                            <p class="comment-body">{comment.comment}</p>
                            <Timestamp utc=comment.created_at />
                        </li>
                    }
                />
            </ol>
        </Show>
    }
}

#[component]
pub fn CommentForm(
    post: PostId,
    /// A submission the server sent back as invalid (JavaScript off), shown again with its errors.
    returned: Option<NewComment>,
    /// Called with the saved comment.
    on_added: Callback<Comment>,
) -> impl IntoView {
    let form = FormState::new(
        returned
            .as_ref()
            .and_then(|comment| comment.validate().err())
            .unwrap_or_default(),
    );
    let initial = returned.unwrap_or_default();
    let comment_input = NodeRef::<html::Textarea>::new();

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(input) = comment_input.get() else {
            return;
        };
        let new_comment = NewComment {
            comment: input.value(),
        };
        if form.check(new_comment.validate()).is_none() {
            return;
        }
        form.send(
            async move { data::add_comment(post, &new_comment).await },
            |_| "Comment added".to_owned(),
            move |comment| {
                input.set_value("");
                on_added.run(comment);
            },
        );
    };

    view! {
        <form
            class="stacked-form"
            method="post"
            action=format!("/api/comments/{post}")
            novalidate
            on:submit=submit
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
                {initial.comment}
            </textarea>
            <FieldErrorText field="comment" form />
            <SubmitButton form label="Add comment" sending_label="Sending…" />
        </form>
    }
}
