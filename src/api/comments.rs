//! `/api/comments/{id}`: a post's comments (GET) and adding one (POST) — the dynamic route, like
//! Next.js's `pages/api/comments/[id].js`.
//!
//! ```sh
//! curl http://127.0.0.1:3000/api/comments/1
//! curl -i -X POST http://127.0.0.1:3000/api/comments/1 \
//!      -H 'Content-Type: application/json' -d '{"comment":"Nice post"}'
//! ```

use axum::{
    Json, Router, extract::DefaultBodyLimit, extract::State, response::Response, routing::get,
};
use sqlx::SqlitePool;

use super::{
    DEFAULT_BODY_LIMIT,
    error::{ApiError, ApiResult},
    extract::{Segment, Submitted},
};
use crate::{
    db::{self, Visibility},
    model::{CommentsForPost, NewComment, PostId},
    server::AppState,
};

/// The largest body this route reads (see `post.rs`).
const BODY_LIMIT: usize = DEFAULT_BODY_LIMIT;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/comments/{id}", get(list_comments).post(add_comment))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// `GET /api/comments/{id}`: oldest first; a draft's only in preview mode.
#[tracing::instrument(skip(pool))]
async fn list_comments(
    State(pool): State<SqlitePool>,
    visibility: Visibility,
    Segment(id): Segment<PostId>,
) -> ApiResult<Json<CommentsForPost>> {
    let comments = db::list_comments(&pool, visibility, id)
        .await?
        .ok_or_else(|| ApiError::no_such_post(id))?;
    Ok(Json(CommentsForPost { post: id, comments }))
}

/// `POST /api/comments/{id}` with `{"comment"}` (JSON or form-encoded).
#[tracing::instrument(skip(pool, submitted))]
async fn add_comment(
    State(pool): State<SqlitePool>,
    visibility: Visibility,
    Segment(id): Segment<PostId>,
    submitted: Submitted<NewComment>,
) -> ApiResult<Response> {
    let comment = match submitted.value().validate() {
        Ok(comment) => comment,
        Err(errors) => {
            return Ok(submitted.invalid(errors, &format!("/posts/{id}"), "new-comment"));
        }
    };
    let added = db::add_comment(&pool, visibility, id, &comment)
        .await?
        .ok_or_else(|| ApiError::no_such_post(id))?;
    Ok(submitted.created(&format!("/posts/{id}"), added))
}
