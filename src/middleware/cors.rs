//! CORS for `/api`: same-origin by default, as Next.js API routes are — no `Access-Control-*`
//! headers, so browsers keep other sites' pages from reading the answers.
//!
//! `CORS_ALLOWED_ORIGINS` opts the listed origins into *reading*: GET and HEAD, and the OPTIONS
//! preflight for them. Writes stay same-origin: a preflight asking for POST is answered with
//! `Access-Control-Allow-Methods: GET,HEAD`, which the browser reads as a refusal, and the write
//! itself would meet the cross-site check (`cross_site.rs`) anyway.

use std::time::Duration;

use axum::http::Method;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::AllowedOrigins;

use super::request_id::REQUEST_ID;

/// `None` when no origin is allowed: then there is nothing to add to any response.
pub fn layer(origins: &AllowedOrigins) -> Option<CorsLayer> {
    (!origins.is_empty()).then(|| {
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins.as_slice().iter().cloned()))
            .allow_methods([Method::GET, Method::HEAD])
            .expose_headers([REQUEST_ID])
            // Browsers cap this (Chromium at 2 hours); an hour spares most repeat preflights.
            .max_age(Duration::from_secs(3600))
    })
}
