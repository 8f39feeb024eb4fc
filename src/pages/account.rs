//! `/signup` and `/signin`: the account forms (`components/account_form.rs`), working with
//! JavaScript off. Query: `username` and `error`, a refused no-JavaScript submission sent back.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::account_form::{SignInForm, SignUpForm},
    model::{PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX, USERNAME_MIN},
};

#[component]
pub fn SignUpPage() -> impl IntoView {
    view! {
        <Title text="Sign up" />
        <h1>"Sign up"</h1>
        <p class="lede">
            {format!(
                "A username of {USERNAME_MIN} to {USERNAME_MAX} letters (A to Z), digits, _ and -, \
                 and a password of {PASSWORD_MIN} to {PASSWORD_MAX} characters: a long passphrase \
                 is best.",
            )}
        </p>
        <SignUpForm />
        <p>"Have an account? " <a href="/signin">"Sign in"</a></p>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    view! {
        <Title text="Sign in" />
        <h1>"Sign in"</h1>
        <SignInForm />
        <p>"No account yet? " <a href="/signup">"Sign up"</a></p>
    }
}
