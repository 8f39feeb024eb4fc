//! The sign-up and sign-in islands. Without JavaScript a plain form posting to `/api/auth/*`, which
//! answers 303 (home when signed in; back here with `?username=…&error=…` when not). Hydrated, it
//! checks the values with the `model` rules, sends JSON with `fetch`, shows the server's refusal in
//! place, and goes home once signed in. The typed username is kept; the password never leaves the
//! form but to the API.

use leptos::{html, prelude::*};

use super::{
    api_client,
    form::{FieldErrorText, FormState, SubmitButton},
    hydrated::hydrated,
    page_url,
};
use crate::model::{
    Credentials, FieldErrors, PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX, USERNAME_MIN,
    check_username,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    SignUp,
    SignIn,
}

#[island]
pub fn SignUpForm() -> impl IntoView {
    credentials_form(Kind::SignUp)
}

#[island]
pub fn SignInForm() -> impl IntoView {
    credentials_form(Kind::SignIn)
}

/// What the page says for the `error` a refused no-JavaScript submission came back with.
fn returned_errors(username: &str, error: Option<&str>) -> (FieldErrors, Option<&'static str>) {
    let mut errors = FieldErrors::new();
    let general = match error {
        Some("username") => {
            check_username(&mut errors, username);
            None
        }
        Some("password") => {
            errors.insert("password".to_owned(), vec![password_rule()]);
            None
        }
        Some("taken") => Some("That username is taken; choose another."),
        Some("credentials") => Some("Unknown username or wrong password."),
        Some("limited") => Some("Too many sign-in attempts; wait a minute and try again."),
        _ => None,
    };
    (errors, general)
}

fn password_rule() -> String {
    format!("password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters, without U+0000")
}

fn credentials_form(kind: Kind) -> impl IntoView {
    let typed = page_url::query_param("username").unwrap_or_default();
    let error = page_url::query_param("error");
    let (errors, general) = returned_errors(&typed, error.as_deref());
    let form = FormState::new(errors);
    let username_input = NodeRef::<html::Input>::new();
    let password_input = NodeRef::<html::Input>::new();
    let (action, label, sending, autocomplete) = match kind {
        Kind::SignUp => ("/api/auth/signup", "Sign up", "Signing up…", "new-password"),
        Kind::SignIn => (
            "/api/auth/signin",
            "Sign in",
            "Signing in…",
            "current-password",
        ),
    };

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let (Some(username), Some(password)) = (username_input.get(), password_input.get()) else {
            return;
        };
        let credentials = Credentials {
            username: username.value(),
            password: password.value(),
        };
        if form.check(credentials.validate()).is_none() {
            return;
        }
        form.send(
            async move { api_client::sign_in_or_up(action, &credentials).await },
            |_| "Signed in.".to_owned(),
            |_| _ = window().location().set_href("/"),
        );
    };

    view! {
        {general.map(|message| view! {
            <p class="form-outcome" role="alert"><span class="failed">{message}</span></p>
        })}
        <form
            class="stacked-form"
            method="post"
            action=action
            novalidate
            on:submit=submit
            data-hydrated=hydrated()
        >
            <label for="username">"Username"</label>
            <input
                id="username"
                name="username"
                type="text"
                autocomplete="username"
                autocapitalize="none"
                spellcheck="false"
                required
                minlength=USERNAME_MIN
                maxlength=USERNAME_MAX
                value=typed
                node_ref=username_input
                aria-describedby="username-error"
                aria-invalid=form.is_invalid("username")
            />
            <FieldErrorText field="username" form />

            <label for="password">"Password"</label>
            <input
                id="password"
                name="password"
                type="password"
                autocomplete=autocomplete
                required
                minlength=PASSWORD_MIN
                maxlength=PASSWORD_MAX
                node_ref=password_input
                aria-describedby="password-error"
                aria-invalid=form.is_invalid("password")
            />
            <FieldErrorText field="password" form />

            <SubmitButton form label sending_label=sending />
        </form>
    }
}
