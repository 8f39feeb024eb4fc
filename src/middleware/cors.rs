//! CORS for `/api`: same-origin by default, as Next.js API routes (no `Access-Control-*` headers).
//! `CORS_ALLOWED_ORIGINS` opts origins into *reading* (GET, HEAD and their preflight). Writes stay
//! same-origin: a preflight for POST gets `Access-Control-Allow-Methods: GET,HEAD`, a refusal to
//! the browser, and the write would meet the cross-site check (`cross_site.rs`) anyway.

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
