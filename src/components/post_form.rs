//! The "new post" form.
//!
//! Without JavaScript it is a plain form that posts to `/api/post` and lands on the new post's page
//! (or back here with the errors when the server refuses it). Once hydrated it checks the values with
//! the rules of `model.rs`, sends JSON with `fetch`, and reports the outcome without leaving the page.

use leptos::{html, prelude::*, task::spawn_local};

use super::form::{FieldErrorText, Outcome, OutcomeLine, is_invalid};
use crate::{
    data::{self, SubmitError},
    model::{FieldErrors, NewPost, PostId},
};

#[component]
pub fn PostForm(
    /// The values of a submission the server sent back as invalid (JavaScript off), shown again with
    /// their errors so nothing typed is lost.
    returned: Option<NewPost>,
    /// Called with the new post's id once the API has saved it.
    on_created: Callback<PostId>,
) -> impl IntoView {
    let errors = RwSignal::new(
        returned
            .as_ref()
            .and_then(|post| post.validate().err())
            .unwrap_or_default(),
    );
    let initial = returned.unwrap_or_default();
    let outcome = RwSignal::new(None::<Outcome>);
    let sending = RwSignal::new(false);
    let title_input = NodeRef::<html::Input>::new();
    let post_input = NodeRef::<html::Textarea>::new();

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let (Some(title), Some(post)) = (title_input.get(), post_input.get()) else {
            return;
        };
        let new_post = NewPost {
            title: title.value(),
            post: post.value(),
        };
        outcome.set(None);
        if let Err(invalid) = new_post.validate() {
            errors.set(invalid);
            return;
        }
        errors.set(FieldErrors::new());
        sending.set(true);
        spawn_local(async move {
            match data::create_post(&new_post).await {
                Ok(created) => {
                    title.set_value("");
                    post.set_value("");
                    outcome.set(Some(Outcome::Saved(created.message)));
                    on_created.run(created.id);
                }
                Err(SubmitError::Invalid {
                    detail,
                    errors: invalid,
                }) => {
                    errors.set(invalid);
                    outcome.set(Some(Outcome::Failed(detail)));
                }
                Err(SubmitError::Failed(message)) => outcome.set(Some(Outcome::Failed(message))),
            }
            sending.set(false);
        });
    };

    view! {
        <form class="stacked-form" method="post" action="/api/post" novalidate on:submit=submit>
            <label for="title">"Title"</label>
            <input
                id="title"
                name="title"
                type="text"
                autocomplete="off"
                value=initial.title
                node_ref=title_input
                aria-describedby="title-error"
                aria-invalid=is_invalid(errors, "title")
            />
            <FieldErrorText field="title" errors />

            <label for="post">"Post"</label>
            <textarea
                id="post"
                name="post"
                rows="5"
                node_ref=post_input
                aria-describedby="post-error"
                aria-invalid=is_invalid(errors, "post")
            >
                {initial.post}
            </textarea>
            <FieldErrorText field="post" errors />

            <button type="submit" disabled=move || sending.get()>
                {move || if sending.get() { "Publishing…" } else { "Publish" }}
            </button>
            <OutcomeLine outcome />
        </form>
    }
}
