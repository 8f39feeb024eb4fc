//! `/api/preview`: turns preview (draft) mode on, as Next.js's `res.setPreviewData` does;
//! `/api/preview/exit` turns it off. The cookie: `preview.rs`; `curl` examples: docs/api.md.

use axum::{
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::QueryParams;
use crate::problem::{
    ApiError, ApiResult,
    responses::{BadRequest, Internal, Unauthorized, Unavailable},
};
use crate::{
    db::{self, Visibility},
    model::PostId,
    preview::{self, PreviewMode},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(enter_preview))
        .routes(routes!(exit_preview))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PreviewRequest {
    /// Must equal `PREVIEW_SECRET` (the document's `preview_secret` credential, so not a parameter).
    #[param(ignore)]
    secret: Option<String>,
    /// The page to preview: `/posts/{id}` of an existing post (draft or not).
    #[param(example = "/posts/1")]
    slug: Option<String>,
}

/// `GET /api/preview?secret=…&slug=/posts/{id}`: sets the preview cookie and redirects to the post.
///
/// The redirect goes to the path built from the post's id, never to `slug` itself: a link with
/// `slug=https://evil.example` cannot use this site to send people elsewhere.
#[utoipa::path(
    get,
    path = "/api/preview",
    summary = "Enter preview mode (drafts shown)",
    security(("preview_secret" = [])),
    params(PreviewRequest),
    responses(
        (status = 307, description = "Preview mode is on: to the post's page.",
            headers(
                ("set-cookie" = String, description = "The signed `preview` cookie (HttpOnly, SameSite=Lax, one hour)"),
                ("location" = String, description = "`/posts/{id}`"),
            )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
#[tracing::instrument(skip_all)]
async fn enter_preview(
    State(db): State<db::Db>,
    State(preview): State<PreviewMode>,
    headers: HeaderMap,
    QueryParams(query): QueryParams<PreviewRequest>,
) -> ApiResult<Response> {
    let secret = query.secret.unwrap_or_default();
    if !preview.accepts_secret(&secret) {
        return Err(ApiError::Unauthorized("Invalid token".to_owned()));
    }
    let invalid_slug = || ApiError::Unauthorized("Invalid slug".to_owned());
    let id = query
        .slug
        .as_deref()
        .and_then(|slug| slug.strip_prefix("/posts/"))
        .and_then(|id| id.parse::<PostId>().ok())
        .ok_or_else(invalid_slug)?;
    let post = db::get_post(&db, Visibility::WithDrafts, id)
        .await?
        .ok_or_else(invalid_slug)?;
    let cookie = preview
        .cookie(preview::is_https(&headers))
        .ok_or_else(|| ApiError::Internal("the preview cookie could not be built".into()))?;
    let location = format!("/posts/{}", post.id);
    Ok((
        [(header::SET_COOKIE, cookie)],
        Redirect::temporary(&location),
    )
        .into_response())
}

/// `GET /api/preview/exit`: clears the preview cookie and redirects to `/`.
#[utoipa::path(
    get,
    path = "/api/preview/exit",
    summary = "Leave preview mode",
    responses(
        (status = 307, description = "Preview mode is off: to `/`.",
            headers(
                ("set-cookie" = String, description = "The `preview` cookie, cleared"),
                ("location" = String, description = "`/`"),
            )),
    )
)]
#[tracing::instrument(skip_all)]
async fn exit_preview(headers: HeaderMap) -> Response {
    let cookie = PreviewMode::clear_cookie(preview::is_https(&headers));
    ([(header::SET_COOKIE, cookie)], Redirect::temporary("/")).into_response()
}
