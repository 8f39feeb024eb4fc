//! The trivia box: a number in, a fact out, with where the fact came from.
//!
//! The number lives in the URL (`/?number=42`): without JavaScript the form is a plain GET and the
//! server renders the answer; once hydrated, submitting navigates client-side and the answer is
//! fetched from `/api/trivia/{number}`.

use leptos::{html, prelude::*};
use leptos_router::{
    NavigateOptions,
    hooks::{use_navigate, use_query_map},
};

use crate::{
    data,
    model::{Trivia, TriviaSource},
};

/// The message for a number that is not a 64-bit integer.
const NOT_A_NUMBER: &str = "Enter a whole number (up to 19 digits, may be negative).";

#[component]
pub fn TriviaBox() -> impl IntoView {
    let query = use_query_map();
    let asked = Memo::new(move |_| query.with(|query| query.get("number")));
    let answer = Resource::new(
        move || asked.get(),
        |asked| async move {
            let asked = asked?;
            Some(match asked.trim().parse::<i64>() {
                Ok(number) => data::trivia(number).await,
                Err(_) => Err(NOT_A_NUMBER.to_owned()),
            })
        },
    );
    let input = NodeRef::<html::Input>::new();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<&'static str>);

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(input) = input.get() else { return };
        match input.value().trim().parse::<i64>() {
            Ok(number) => {
                error.set(None);
                let options = NavigateOptions {
                    scroll: false,
                    ..Default::default()
                };
                navigate(&format!("/?number={number}"), options);
            }
            Err(_) => error.set(Some(NOT_A_NUMBER)),
        }
    };

    view! {
        <form class="trivia-form" method="get" action="/" novalidate on:submit=submit>
            <label for="number">"Number"</label>
            <div class="inline">
                <input
                    id="number"
                    name="number"
                    type="text"
                    inputmode="numeric"
                    autocomplete="off"
                    value=move || asked.get().unwrap_or_default()
                    node_ref=input
                    aria-describedby="number-error"
                />
                <button type="submit">"Tell me"</button>
            </div>
            <p class="field-error" id="number-error" aria-live="polite">
                {move || error.get()}
            </p>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Looking it up…"</p> }>
            {move || Suspend::new(async move {
                match answer.await {
                    None => ().into_any(),
                    Some(Ok(trivia)) => view! { <TriviaAnswer trivia /> }.into_any(),
                    Some(Err(message)) => view! { <p class="failed">{message}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TriviaAnswer(trivia: Trivia) -> impl IntoView {
    let source = match trivia.source {
        TriviaSource::Upstream => "from the trivia service",
        TriviaSource::Cache => "from the trivia service (cached)",
        TriviaSource::Builtin => "worked out by this server",
    };
    view! {
        <figure class="trivia-answer" data-source=format!("{:?}", trivia.source).to_lowercase()>
            <blockquote>{trivia.text}</blockquote>
            <figcaption>{trivia.number} " — " {source}</figcaption>
        </figure>
    }
}
