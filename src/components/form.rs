//! What every form shares: a submission's state, a field's messages, the button with its status
//! line, and bringing the part of the page a saved form changed up to date.

use leptos::{either::EitherOf3, prelude::*, task::spawn_local};

use super::{
    api_client::{self, SubmitError},
    page_url,
};
use crate::model::FieldErrors;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Saved(String),
    Failed(String),
}

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

    /// The browser-side check (`model` rules): the valid value, or `None` with the messages shown.
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

    /// Sends `request`, the button disabled meanwhile; on failure what was typed stays in the form.
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

/// How a part outside any island shows what a form saved: the server's fresh element `id` replaces
/// ours. On failure the part stays: the form already said the save went through.
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

/// The submit button and its status line, announced to screen readers.
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
