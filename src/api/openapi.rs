//! `/api/openapi.json`: the API's contract as an OpenAPI 3.1 document — what Next.js users write by
//! hand next to `NextApiRequest`/`NextApiResponse<Data>`, generated here from the code itself.
//!
//! Each handler's `#[utoipa::path]` names its method, path, parameters, bodies and every status it
//! can answer; the types in `model.rs` give the schemas. `api::document()` collects the paths of the
//! routes `api::router()` mounts, and [`Document::new`] adds what is common to all of them.
//!
//! `curl http://127.0.0.1:3000/api/openapi.json`

use std::sync::Arc;

use axum::{Json, extract::State};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{
    Problem,
    responses::{
        BadRequest, Forbidden, Internal, NotFound, PayloadTooLarge, TooManyRequests, Unauthorized,
        Unavailable, Unprocessable, UnsupportedMediaType,
    },
};
use crate::server::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// Title, version and licence come from Cargo.toml; the error answers are shared components.
#[derive(OpenApi)]
#[openapi(
    info(
        description = "The JSON API of leptos-api-routes. Success bodies are `application/json`; \
        every error is RFC 9457 `application/problem+json` (the `Problem` schema). A method a path \
        does not list gets 405 with an `Allow` header; any path not listed here, a 404 problem."
    ),
    components(
        schemas(Problem),
        responses(
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            PayloadTooLarge,
            UnsupportedMediaType,
            Unprocessable,
            TooManyRequests,
            Internal,
            Unavailable
        )
    )
)]
struct ApiDoc;

/// The document `GET /api/openapi.json` serves, built once at start and kept in the app's state.
#[derive(Clone)]
pub struct Document(Arc<utoipa::openapi::OpenApi>);

impl Document {
    /// `paths`: what the API router mounts.
    pub fn new(paths: utoipa::openapi::OpenApi) -> Self {
        Self(Arc::new(ApiDoc::openapi().merge_from(paths)))
    }
}

/// `GET /api/openapi.json`.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    responses((status = 200, description = "This document (OpenAPI 3.1).", body = Object)),
)]
async fn openapi_json(
    State(Document(document)): State<Document>,
) -> Json<utoipa::openapi::OpenApi> {
    Json(document.as_ref().clone())
}
