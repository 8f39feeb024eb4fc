//! `/api/post`: create a post (POST) and list posts (GET); `/api/post/{id}`: read one post (GET).
//! `curl` examples: docs/api.md.

use axum::{Json, extract::State, response::Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    DEFAULT_BODY_LIMIT,
    body_limit::BodyLimit,
    extract::{FormFields, QueryParams, Segment, Submitted, optional_from_str},
    idempotency::{self, OptionalKey},
};
use crate::problem::{
    ApiError, ApiResult,
    responses::{BadRequest, Internal, NotFound, Unavailable, WriteErrors},
};
use crate::{
    db::{self, Visibility},
    model::{NewPost, PAGE_SIZE_DEFAULT, Post, PostCreated, PostId, PostPage, page_size},
    state::AppState,
};

/// Next.js's `export const config = { api: { bodyParser: { sizeLimit } } }`, in the route's file.
const BODY_LIMIT: usize = DEFAULT_BODY_LIMIT;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_posts, create_post))
        .routes(routes!(get_post))
        .layer(BodyLimit::max(BODY_LIMIT))
}

/// `POST /api/post` with `{"title", "post"}` (JSON or form-encoded).
#[utoipa::path(
    post,
    path = "/api/post",
    summary = "Create a post",
    params(("Idempotency-Key" = Option<String>, Header, description = idempotency::DESCRIPTION,
        nullable = false, pattern = "^[!-~]{1,255}$")),
    request_body(content(
        (NewPost = "application/json"),
        (PostForm = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 201, description = "Created (JSON request).", body = PostCreated,
            headers(("location" = String, description = "`/posts/{id}`, the new post's page"))),
        (status = 303, description = "Form request: to `/posts/{id}` when created; back to `/` with \
            the typed values in the query when invalid.",
            headers(("location" = String, description = "Where the browser goes next"))),
        WriteErrors,
    )
)]
#[tracing::instrument(skip_all)]
async fn create_post(
    State(db): State<db::Db>,
    OptionalKey(key): OptionalKey,
    submitted: Submitted<NewPost>,
) -> ApiResult<Response> {
    let post = match submitted.value().validate() {
        Ok(post) => post,
        Err(errors) => return Ok(submitted.invalid(errors, "/", "new-post")),
    };
    let id = match key {
        None => db::create_post(&db, &post).await?,
        Some(key) => idempotency::first_result(db::create_post_once(&db, &post, &key).await?)?,
    };
    let created = PostCreated {
        id,
        message: "Post created successfully".to_owned(),
    };
    let response = if post.draft && submitted.is_form() {
        // A draft's page is a 404 outside preview mode: a plain form lands on `/`, which says so.
        submitted.created(&format!("/?saved_draft={id}#new-post"), created)
    } else {
        submitted.created(&format!("/posts/{id}"), created)
    };
    Ok(response)
}

/// What the no-JavaScript form posts. Any text at all: the route does not refuse invalid values
/// from a form, it sends them back to it (303 to `/` with the values in the query, where the page
/// shows their errors). Missing fields read as empty.
#[derive(Deserialize, ToSchema)]
pub struct PostForm {
    /// The title as typed.
    #[serde(default)]
    title: String,
    /// The post as typed.
    #[serde(default)]
    post: String,
    /// `true` when "Save as a draft" is ticked.
    #[serde(default)]
    draft: bool,
}

impl FormFields for NewPost {
    type Form = PostForm;
}

impl From<PostForm> for NewPost {
    fn from(PostForm { title, post, draft }: PostForm) -> Self {
        Self { title, post, draft }
    }
}

/// `?limit=` (1–100, default 20) and `?cursor=` (the `next_cursor` of the previous page).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListPosts {
    /// How many posts: 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "optional_from_str")]
    cursor: Option<PostId>,
}

/// `GET /api/post`: newest first, with comment counts; drafts too in preview mode.
#[utoipa::path(
    get,
    path = "/api/post",
    summary = "List posts, newest first",
    security((), ("preview_cookie" = [])),
    params(ListPosts),
    responses(
        (status = 200, description = "One page of posts, newest first.", body = PostPage),
        (status = 400, response = BadRequest),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
#[tracing::instrument(skip_all)]
async fn list_posts(
    State(db): State<db::Db>,
    visibility: Visibility,
    QueryParams(query): QueryParams<ListPosts>,
) -> ApiResult<Json<PostPage>> {
    let limit =
        page_size(query.limit.unwrap_or(PAGE_SIZE_DEFAULT).into()).map_err(ApiError::BadRequest)?;
    Ok(Json(
        db::list_posts(&db, visibility, limit, query.cursor).await?,
    ))
}

/// `GET /api/post/{id}`: a draft only in preview mode.
#[utoipa::path(
    get,
    path = "/api/post/{id}",
    summary = "Get one post",
    security((), ("preview_cookie" = [])),
    params(("id" = PostId, Path, description = "The post's id")),
    responses(
        (status = 200, description = "The post.", body = Post),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
#[tracing::instrument(skip(db))]
async fn get_post(
    State(db): State<db::Db>,
    visibility: Visibility,
    Segment(id): Segment<PostId>,
) -> ApiResult<Json<Post>> {
    let post = db::get_post(&db, visibility, id).await?;
    post.map(Json).ok_or_else(|| ApiError::no_such_post(id))
}
