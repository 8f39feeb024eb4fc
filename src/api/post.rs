//! `/api/post`: create a post (POST) and list posts (GET); `/api/post/{id}`: read one post (GET),
//! which the browser uses when it navigates to a post's page.
//!
//! ```sh
//! curl -i -X POST http://127.0.0.1:3000/api/post \
//!      -H 'Content-Type: application/json' -d '{"title":"Hello","post":"First post"}'
//! curl 'http://127.0.0.1:3000/api/post?limit=10'
//! curl http://127.0.0.1:3000/api/post/1
//! ```

use axum::{
    Json, Router, extract::DefaultBodyLimit, extract::State, response::Response, routing::get,
};
use serde::Deserialize;
use sqlx::SqlitePool;

use super::{
    DEFAULT_BODY_LIMIT,
    error::{ApiError, ApiResult},
    extract::{QueryParams, Segment, Submitted},
};
use crate::{
    db::{self, Visibility},
    model::{NewPost, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, Post, PostCreated, PostId, PostPage},
    server::AppState,
};

/// The largest body this route reads: Next.js's `export const config = { api: { bodyParser:
/// { sizeLimit } } }`, set here in the route's own file.
const BODY_LIMIT: usize = DEFAULT_BODY_LIMIT;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/post", get(list_posts).post(create_post))
        .route("/post/{id}", get(get_post))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// `POST /api/post` with `{"title", "post"}` (JSON or form-encoded).
#[tracing::instrument(skip_all)]
async fn create_post(
    State(pool): State<SqlitePool>,
    submitted: Submitted<NewPost>,
) -> ApiResult<Response> {
    let post = match submitted.value().validate() {
        Ok(post) => post,
        Err(errors) => return Ok(submitted.invalid(errors, "/", "new-post")),
    };
    let id = db::create_post(&pool, &post).await?;
    let created = PostCreated {
        id,
        message: "Post created successfully".to_owned(),
    };
    let response = if post.draft && submitted.is_form() {
        // The draft's own page is a 404 outside preview mode: a plain form lands back on the home
        // page, which says the draft was saved.
        submitted.created(&format!("/?saved_draft={id}#new-post"), created)
    } else {
        submitted.created(&format!("/posts/{id}"), created)
    };
    Ok(response)
}

/// `?limit=` (1–100, default 20) and `?cursor=` (the `next_cursor` of the previous page).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListPosts {
    limit: Option<u32>,
    cursor: Option<PostId>,
}

/// `GET /api/post`: newest first, with comment counts; drafts too in preview mode.
#[tracing::instrument(skip_all)]
async fn list_posts(
    State(pool): State<SqlitePool>,
    visibility: Visibility,
    QueryParams(query): QueryParams<ListPosts>,
) -> ApiResult<Json<PostPage>> {
    let limit = query.limit.unwrap_or(PAGE_SIZE_DEFAULT);
    if !(1..=PAGE_SIZE_MAX).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {PAGE_SIZE_MAX}, not {limit}."
        )));
    }
    Ok(Json(
        db::list_posts(&pool, visibility, limit, query.cursor).await?,
    ))
}

/// `GET /api/post/{id}`: a draft only in preview mode.
#[tracing::instrument(skip(pool))]
async fn get_post(
    State(pool): State<SqlitePool>,
    visibility: Visibility,
    Segment(id): Segment<PostId>,
) -> ApiResult<Json<Post>> {
    let post = db::get_post(&pool, visibility, id).await?;
    post.map(Json).ok_or_else(|| ApiError::no_such_post(id))
}
