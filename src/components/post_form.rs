//! The "new post" island. Without JavaScript a plain form posting to `/api/post`; hydrated, it
//! checks the values with the `model` rules, sends JSON with `fetch`, reports without leaving the
//! page, and puts the server's fresh rendering of the post list (no island) in place.

use leptos::{html, prelude::*};

use super::{
    api_client,
    form::{FieldErrorText, FormState, SubmitButton, refresh_section},
    hydrated::hydrated,
    page_url,
    post_list::POSTS_SECTION,
    raw_text::textarea_text,
};
use crate::model::{NewPost, PostId};

#[island]
pub fn PostForm() -> impl IntoView {
    // An invalid no-JavaScript submission comes back in the URL, so nothing typed is lost.
    let returned = (page_url::query_param("title").is_some()
        || page_url::query_param("post").is_some())
    .then(|| NewPost {
        title: page_url::query_param("title").unwrap_or_default(),
        post: page_url::query_param("post").unwrap_or_default(),
        draft: page_url::query_param("draft").is_some_and(|draft| draft == "true"),
    });
    let form = FormState::new(
        returned
            .as_ref()
            .and_then(|post| post.validate().err())
            .unwrap_or_default(),
    );
    let initial = returned.unwrap_or_default();
    let title_input = NodeRef::<html::Input>::new();
    let post_input = NodeRef::<html::Textarea>::new();
    let draft_input = NodeRef::<html::Input>::new();

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let (Some(title), Some(post), Some(draft)) =
            (title_input.get(), post_input.get(), draft_input.get())
        else {
            return;
        };
        let new_post = NewPost {
            title: title.value(),
            post: post.value(),
            draft: draft.checked(),
        };
        if form.check(new_post.validate()).is_none() {
            return;
        }
        let is_draft = new_post.draft;
        form.send(
            async move { api_client::create_post(&new_post).await },
            move |created| {
                if is_draft {
                    draft_saved_message(created.id)
                } else {
                    created.message.clone()
                }
            },
            move |_| {
                title.set_value("");
                post.set_value("");
                draft.set_checked(false);
                // Drafts too: preview mode lists them.
                refresh_section(POSTS_SECTION);
            },
        );
    };

    view! {
        <form
            class="stacked-form"
            method="post"
            action="/api/post"
            novalidate
            on:submit=submit
            data-hydrated=hydrated()
        >
            <label for="title">"Title"</label>
            <input
                id="title"
                name="title"
                type="text"
                autocomplete="off"
                value=initial.title
                node_ref=title_input
                aria-describedby="title-error"
                aria-invalid=form.is_invalid("title")
            />
            <FieldErrorText field="title" form />

            <label for="post">"Post"</label>
            <textarea
                id="post"
                name="post"
                rows="5"
                node_ref=post_input
                aria-describedby="post-error"
                aria-invalid=form.is_invalid("post")
            >
                {textarea_text(&initial.post)}
            </textarea>
            <FieldErrorText field="post" form />

            <label class="checkbox">
                <input
                    type="checkbox"
                    name="draft"
                    value="true"
                    checked=initial.draft
                    node_ref=draft_input
                />
                "Save as a draft (seen only in preview mode until published)"
            </label>

            <SubmitButton form label="Publish" sending_label="Publishing…" />
        </form>
    }
}

/// What the form says once a draft is saved: it will not show up in the list below.
pub fn draft_saved_message(id: PostId) -> String {
    format!("Draft {id} saved: it shows only in preview mode until it is published.")
}
