//! What every form shares: the messages beside a field, and the line that reports how sending went.

use leptos::prelude::*;

use crate::model::FieldErrors;

/// The messages for one field, linked to its input by `aria-describedby="{field}-error"`.
#[component]
pub fn FieldErrorText(field: &'static str, errors: RwSignal<FieldErrors>) -> impl IntoView {
    let messages = move || errors.with(|errors| errors.get(field).cloned().unwrap_or_default());
    view! {
        <p class="field-error" id=format!("{field}-error") aria-live="polite">
            {move || messages().join(" ")}
        </p>
    }
}

/// `"true"` while `field` has a message: the value of its input's `aria-invalid`.
pub fn is_invalid(errors: RwSignal<FieldErrors>, field: &'static str) -> impl Fn() -> &'static str {
    move || {
        if errors.with(|errors| errors.contains_key(field)) {
            "true"
        } else {
            "false"
        }
    }
}

/// How the last submission went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Saved(String),
    Failed(String),
}

/// The status line under a form's button, announced to screen readers.
#[component]
pub fn OutcomeLine(outcome: RwSignal<Option<Outcome>>) -> impl IntoView {
    view! {
        <p class="form-outcome" role="status" aria-live="polite">
            {move || match outcome.get() {
                Some(Outcome::Saved(text)) => view! { <span class="saved">{text}</span> }.into_any(),
                Some(Outcome::Failed(text)) => view! { <span class="failed">{text}</span> }.into_any(),
                None => ().into_any(),
            }}
        </p>
    }
}
