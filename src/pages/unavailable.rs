//! The 503 page: what a page answers instead of its content when the database is not answering (it
//! is away, or no connection came free within `DATABASE_TIMEOUT_MS`). As the API answers 503
//! problem+json then, a page answers 503 with this HTML, so that a browser, a crawler or a load
//! balancer is told "not now" rather than shown an empty page that claims success.
//!
//! `Retry-After` says when to try again; `Cache-Control: no-store` keeps every cache from serving
//! this answer once the database is back.

use axum::http::{HeaderValue, StatusCode, header};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};

use crate::pages::reads::LoadError;

/// Seconds a client is asked to wait before trying again: about what a database server takes to
/// restart or fail over.
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
