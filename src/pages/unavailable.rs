//! The 503 page, instead of a page's content while the database is not answering (away, or no
//! connection free within `DATABASE_TIMEOUT_MS`), so a browser, crawler or load balancer hears
//! "not now" rather than an empty success. `Cache-Control: no-store` keeps caches from serving it
//! once the database is back.

use axum::http::{HeaderValue, StatusCode, header};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};

use crate::pages::reads::LoadError;

/// About what a database server takes to restart or fail over.
pub const RETRY_AFTER_SECONDS: u32 = 5;

#[component]
pub fn Unavailable() -> impl IntoView {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(StatusCode::SERVICE_UNAVAILABLE);
        response.insert_header(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }

    view! {
        <Title text="Temporarily unavailable" />
        <Meta name="robots" content="noindex" />
        <h1>"Temporarily unavailable"</h1>
        <p class="failed">{LoadError::Unavailable.to_string()}</p>
        <p><a href="">"Try again"</a></p>
    }
}
