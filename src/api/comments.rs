//! `/api/comments/{id}`: a post's comments (GET) and adding one (POST) — the dynamic route, like
//! Next.js's `pages/api/comments/[id].js` (`curl` examples: docs/api.md).

use axum::{Json, extract::State, response::Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    DEFAULT_BODY_LIMIT,
    author::Author,
    body_limit::BodyLimit,
    extract::{FormFields, QueryParams, Segment, Submitted, optional_from_str},
    idempotency::{self, OptionalKey},
};
use crate::problem::{
    ApiError, ApiResult,
    responses::{BadRequest, Internal, NotFound, SignInFirst, Unavailable, WriteErrors},
};
use crate::{
    db::{self, Visibility},
    model::{
        COMMENT_PAGE_SIZE_DEFAULT, Comment, CommentId, CommentsForPost, NewComment, PostId,
        page_size,
    },
    state::AppState,
};

/// The largest body this route reads (see `post.rs`).
const BODY_LIMIT: usize = DEFAULT_BODY_LIMIT;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_comments, add_comment))
        .layer(BodyLimit::max(BODY_LIMIT))
}

/// `?limit=` (1–100, default 50) and `?cursor=` (the `next_cursor` of the previous page).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListComments {
    /// How many comments: 1–100, default 50.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "optional_from_str")]
    cursor: Option<CommentId>,
}

/// `GET /api/comments/{id}`: one page, oldest first; a draft's only in preview mode.
#[utoipa::path(
    get,
    path = "/api/comments/{id}",
    summary = "List a post's comments, oldest first",
    security((), ("preview_cookie" = [])),
    params(("id" = PostId, Path, description = "The post's id"), ListComments),
    responses(
        (status = 200, description = "One page of the post's comments, oldest first.", body = CommentsForPost),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
#[tracing::instrument(skip(db, query))]
async fn list_comments(
    State(db): State<db::Db>,
    visibility: Visibility,
    Segment(id): Segment<PostId>,
    QueryParams(query): QueryParams<ListComments>,
) -> ApiResult<Json<CommentsForPost>> {
    let limit = page_size(query.limit.unwrap_or(COMMENT_PAGE_SIZE_DEFAULT).into())
        .map_err(ApiError::BadRequest)?;
    let page = db::list_comments(&db, visibility, id, limit, query.cursor)
        .await?
        .ok_or_else(|| ApiError::no_such_post(id))?;
    Ok(Json(page))
}

/// What the no-JavaScript comment form posts: any text, sent back to the form when invalid (see
/// `PostForm` in `post.rs`).
#[derive(Deserialize, ToSchema)]
pub struct CommentForm {
    /// The comment as typed.
    #[serde(default)]
    comment: String,
}

impl FormFields for NewComment {
    type Form = CommentForm;
}

impl From<CommentForm> for NewComment {
    fn from(CommentForm { comment }: CommentForm) -> Self {
        Self { comment }
    }
}

/// `POST /api/comments/{id}` with `{"comment"}` (JSON or form-encoded).
#[utoipa::path(
    post,
    path = "/api/comments/{id}",
    summary = "Add a comment to a post",
    security((), ("preview_cookie" = [])),
    params(("id" = PostId, Path, description = "The post's id"),
        ("Idempotency-Key" = Option<String>, Header, description = idempotency::DESCRIPTION,
            nullable = false, pattern = "^[!-~]{1,255}$")),
    request_body(content(
        (NewComment = "application/json"),
        (CommentForm = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 201, description = "Added (JSON request).", body = Comment,
            headers(("location" = String, description = "`/posts/{id}`, the post's page"))),
        (status = 303, description = "Form request: to `/posts/{id}` (when its comments fill more \
            than a page, to the page that starts with the new one), with the typed value in the \
            query when invalid.",
            headers(("location" = String, description = "Where the browser goes next"))),
        (status = 401, response = SignInFirst),
        (status = 404, response = NotFound),
        WriteErrors,
    )
)]
#[tracing::instrument(skip(db, key, author, submitted))]
async fn add_comment(
    State(db): State<db::Db>,
    visibility: Visibility,
    Segment(id): Segment<PostId>,
    OptionalKey(key): OptionalKey,
    Author(author): Author,
    submitted: Submitted<NewComment>,
) -> ApiResult<Response> {
    let comment = match submitted.value().validate() {
        Ok(comment) => comment,
        Err(errors) => {
            return Ok(submitted.invalid(errors, &format!("/posts/{id}"), "new-comment"));
        }
    };
    let author = author.map(|author| author.id);
    let added = match key {
        None => db::add_comment(&db, visibility, id, &comment, author).await?,
        Some(key) => idempotency::first_result(
            db::add_comment_once(&db, visibility, id, &comment, author, &key).await?,
        )?,
    }
    .ok_or_else(|| ApiError::no_such_post(id))?;
    let location = if submitted.is_form() {
        page_showing(&db, id, &added).await?
    } else {
        format!("/posts/{id}")
    };
    Ok(submitted.created(&location, added))
}

/// Where a plain form lands: the post's page, or the page starting with `comment` when it would
/// not show on the first.
async fn page_showing(db: &db::Db, post: PostId, comment: &Comment) -> ApiResult<String> {
    if db::count_comments(db, post).await? <= i64::from(COMMENT_PAGE_SIZE_DEFAULT) {
        return Ok(format!("/posts/{post}"));
    }
    Ok(format!(
        "/posts/{post}?cursor={}#comments",
        comment.id.0 - 1
    ))
}
