//! What every form shares: the state of a submission (field errors, sending, outcome), the messages
//! beside a field, the button with the line that reports how sending went, and bringing the part of
//! the page a saved form changed up to date.

use leptos::{either::EitherOf3, prelude::*, task::spawn_local};

use super::{
    api_client::{self, SubmitError},
    page_url,
};
use crate::model::FieldErrors;

/// How the last submission went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Saved(String),
    Failed(String),
}

/// The state of one form, shared by its fields, its button and its status line.
#[derive(Clone, Copy)]
pub struct FormState {
    pub errors: RwSignal<FieldErrors>,
    sending: RwSignal<bool>,
    outcome: RwSignal<Option<Outcome>>,
}

impl FormState {
    /// `errors`: what the server sent back with a refused no-JavaScript submission, if anything.
    pub fn new(errors: FieldErrors) -> Self {
        Self {
            errors: RwSignal::new(errors),
            sending: RwSignal::new(false),
            outcome: RwSignal::new(None),
        }
    }

    /// The browser-side check, with the rules of `model.rs`: the valid value, or `None` with the
    /// messages shown beside their fields (and nothing sent).
    pub fn check<T>(self, checked: Result<T, FieldErrors>) -> Option<T> {
        self.outcome.set(None);
        match checked {
            Ok(valid) => {
                self.errors.set(FieldErrors::new());
                Some(valid)
            }
            Err(errors) => {
                self.errors.set(errors);
                None
            }
        }
    }

    /// Sends `request`, with the button disabled meanwhile. On success `on_saved` gets the answer and
    /// `saved_message` is shown; on failure the server's field errors or a readable message are,
    /// and what was typed stays in the form.
    pub fn send<T: 'static>(
        self,
        request: impl Future<Output = Result<T, SubmitError>> + 'static,
        saved_message: impl Fn(&T) -> String + 'static,
        on_saved: impl FnOnce(T) + 'static,
    ) {
        self.sending.set(true);
        spawn_local(async move {
            match request.await {
                Ok(saved) => {
                    self.outcome
                        .set(Some(Outcome::Saved(saved_message(&saved))));
                    on_saved(saved);
                }
                Err(SubmitError::Invalid { detail, errors }) => {
                    self.errors.set(errors);
                    self.outcome.set(Some(Outcome::Failed(detail)));
                }
                Err(SubmitError::Failed(message)) => {
                    self.outcome.set(Some(Outcome::Failed(message)));
                }
            }
            self.sending.set(false);
        });
    }

    /// `"true"` while `field` has a message: the value of its input's `aria-invalid`.
    pub fn is_invalid(self, field: &'static str) -> impl Fn() -> &'static str {
        move || {
            if self.errors.with(|errors| errors.contains_key(field)) {
                "true"
            } else {
                "false"
            }
        }
    }
}

/// Has the server render the page again and puts its element `id` in place of the page's own: how a
/// part of the page outside any island (the post list, the comments) comes to show what a form just
/// saved. On failure the part stays as it was: the form has already said that the save went through.
pub fn refresh_section(id: &'static str) {
    spawn_local(async move {
        if let Ok(section) = api_client::render_on_server(&page_url::in_address_bar(), id).await {
            api_client::put_in_place(&section);
        }
    });
}

/// The messages for one field, linked to its input by `aria-describedby="{field}-error"`.
#[component]
pub fn FieldErrorText(field: &'static str, form: FormState) -> impl IntoView {
    let messages = move || {
        form.errors
            .with(|errors| errors.get(field).map(|messages| messages.join(" ")))
            .unwrap_or_default()
    };
    view! {
        <p class="field-error" id=format!("{field}-error") aria-live="polite">
            {messages}
        </p>
    }
}

/// The submit button (disabled while sending) and the status line under it, announced to screen
/// readers.
#[component]
pub fn SubmitButton(
    form: FormState,
    label: &'static str,
    sending_label: &'static str,
) -> impl IntoView {
    view! {
        <button type="submit" disabled=move || form.sending.get()>
            {move || if form.sending.get() { sending_label } else { label }}
        </button>
        <p class="form-outcome" role="status" aria-live="polite">
            {move || match form.outcome.get() {
                Some(Outcome::Saved(text)) => EitherOf3::A(view! { <span class="saved">{text}</span> }),
                Some(Outcome::Failed(text)) => EitherOf3::B(view! { <span class="failed">{text}</span> }),
                None => EitherOf3::C(()),
            }}
        </p>
    }
}
