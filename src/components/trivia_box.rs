//! The trivia box: a number in, a fact out, with its source. The number lives in the URL
//! (`/?number=42`) and the server renders the answer; without JavaScript the form is a plain GET.
//! Hydrated, the island refuses a non-number on the spot, else pushes the URL to the history and
//! puts the server's answer in place without a reload; back and forward do the same.

use leptos::{html, prelude::*, task::spawn_local};

use super::{api_client, hydrated::hydrated, page_url};
use crate::model::{Trivia, TriviaSource};

pub const NOT_A_NUMBER: &str = "Enter a whole number (up to 19 digits, may be negative).";

pub const TRIVIA_ANSWER: &str = "trivia-answer";

/// `asked`: the text of `?number=`, as a number.
pub fn parse_number(asked: &str) -> Result<i64, &'static str> {
    asked.trim().parse::<i64>().map_err(|_| NOT_A_NUMBER)
}

#[island]
pub fn TriviaBox() -> impl IntoView {
    let asked = page_url::query_param("number");
    let error = RwSignal::new(None::<String>);
    let input = NodeRef::<html::Input>::new();

    // The server's answer for the current URL, unless the URL changes again before it arrives.
    let show_answer = move || {
        let url = page_url::in_address_bar();
        spawn_local(async move {
            match api_client::render_on_server(&url, TRIVIA_ANSWER).await {
                Ok(answer) if page_url::in_address_bar() == url => {
                    api_client::put_in_place(&answer)
                }
                Ok(_) => {}
                Err(message) => error.set(Some(message)),
            }
        });
    };

    // Back and forward within the entries added below: the URL changed, the page did not.
    window_event_listener(leptos::ev::popstate, move |_| {
        error.set(None);
        if let Some(input) = input.get_untracked() {
            input.set_value(&page_url::query_param("number").unwrap_or_default());
        }
        show_answer();
    });

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(input) = input.get() else { return };
        match parse_number(&input.value()) {
            Ok(number) => {
                error.set(None);
                page_url::push(&format!("/?number={number}"));
                show_answer();
            }
            Err(message) => error.set(Some(message.to_owned())),
        }
    };

    view! {
        <form
            class="trivia-form"
            method="get"
            action="/"
            novalidate
            on:submit=submit
            data-hydrated=hydrated()
        >
            <label for="number">"Number"</label>
            <div class="inline">
                <input
                    id="number"
                    name="number"
                    type="text"
                    inputmode="numeric"
                    autocomplete="off"
                    value=asked
                    node_ref=input
                    aria-describedby="number-error"
                />
                <button type="submit">"Tell me"</button>
            </div>
            <p class="field-error" id="number-error" aria-live="polite">
                {move || error.get()}
            </p>
        </form>
    }
}

/// The answer to `?number=` (or why none), always rendered so the box has a place for the next.
#[component]
pub fn TriviaAnswer(answer: Option<Result<Trivia, String>>) -> impl IntoView {
    let answer = answer.map(|answer| match answer {
        Ok(trivia) => {
            let (source, from) = match trivia.source {
                TriviaSource::Upstream => ("upstream", "from the trivia service"),
                TriviaSource::Cache => ("cache", "from the trivia service (cached)"),
                TriviaSource::Builtin => ("builtin", "worked out by this server"),
            };
            view! {
                <figure class="trivia-answer" data-source=source>
                    <blockquote>{trivia.text}</blockquote>
                    <figcaption>{trivia.number} " — " {from}</figcaption>
                </figure>
            }
            .into_any()
        }
        Err(message) => view! { <p class="failed">{message}</p> }.into_any(),
    });
    view! { <div id=TRIVIA_ANSWER>{answer}</div> }
}
