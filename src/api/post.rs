//! `/api/post`: create a post (POST) and list posts (GET); `/api/post/{id}`: read one post (GET,
//! with its `ETag`), change it (PATCH) or delete it (DELETE) as its author with `If-Match`, and the
//! same two for the no-JavaScript forms of its page (POST, form-encoded). `curl`: docs/api.md.

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    DEFAULT_BODY_LIMIT,
    author::{Author, Editor},
    body_limit::BodyLimit,
    extract::{
        FormFields, IfMatch, QueryParams, Segment, Submitted, media_type, optional_from_str,
    },
    idempotency::{self, OptionalKey},
};
use crate::problem::{
    ApiError, ApiResult,
    responses::{
        AuthorWriteErrors, BadRequest, Internal, NotFound, SignInFirst, Unavailable, WriteErrors,
    },
};
use crate::{
    db::{self, EditCheck, Edited, Precondition, Visibility},
    model::{
        NewPost, PAGE_SIZE_DEFAULT, Post, PostCreated, PostId, PostPage, PostPatch, page_size,
    },
    state::AppState,
};

/// Next.js's `export const config = { api: { bodyParser: { sizeLimit } } }`, in the route's file.
const BODY_LIMIT: usize = DEFAULT_BODY_LIMIT;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_posts, create_post))
        .routes(routes!(get_post, update_post, delete_post, post_form))
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
            headers(("location" = String, description = "`/posts/{id}`, the new post's page")),
            links(
                ("UpdatePost" = (operation_id = "update_post", parameters(("id" = "$response.body#/id")))),
                ("DeletePost" = (operation_id = "delete_post", parameters(("id" = "$response.body#/id")))),
            )),
        (status = 303, description = "Form request: to `/posts/{id}` when created; back to `/` with \
            the typed values in the query when invalid.",
            headers(("location" = String, description = "Where the browser goes next"))),
        (status = 401, response = SignInFirst),
        WriteErrors,
    )
)]
#[tracing::instrument(skip_all)]
async fn create_post(
    State(db): State<db::Db>,
    OptionalKey(key): OptionalKey,
    Author(author): Author,
    submitted: Submitted<NewPost>,
) -> ApiResult<Response> {
    let post = match submitted.value().validate() {
        Ok(post) => post,
        Err(errors) => return Ok(submitted.invalid(errors, "/", "new-post")),
    };
    let author_id = author.as_ref().map(|author| author.id);
    let id = match key {
        None => db::create_post(&db, &post, author_id).await?,
        Some(key) => {
            idempotency::first_result(db::create_post_once(&db, &post, author_id, &key).await?)?
        }
    };
    let created = PostCreated {
        id,
        message: "Post created successfully".to_owned(),
        author: author.map(|author| author.username),
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

/// A form-encoded patch has the JSON one's fields and rules.
impl FormFields for PostPatch {
    type Form = PostPatch;
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
        (status = 200, description = "The post.", body = Post,
            headers(("etag" = String, description = "The post's version, a strong validator: \
                send it back in `If-Match` to change or delete the post"))),
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
) -> ApiResult<Response> {
    let post = db::get_post(&db, visibility, id).await?;
    let post = post.ok_or_else(|| ApiError::no_such_post(id))?;
    Ok(tagged(visibility, post))
}

/// The post with its strong `ETag`, and the caching headers the HTTP cache layer gives answers it
/// tags itself (it leaves an answer that has an ETag alone, and still answers 304 for it).
fn tagged(visibility: Visibility, post: Post) -> Response {
    let cache_control = match visibility {
        Visibility::Published => "no-cache",
        Visibility::WithDrafts => "private, no-store",
    };
    let mut response = Json(&post).into_response();
    let headers = response.headers_mut();
    put_etag(headers, &db::etag(&post, visibility));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    headers.append(header::VARY, HeaderValue::from_static("cookie"));
    response
}

fn put_etag(headers: &mut HeaderMap, etag: &str) {
    if let Ok(etag) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, etag);
    }
}

/// `PATCH /api/post/{id}` with `{"title"?, "post"?}`: the author changes the post.
#[utoipa::path(
    patch,
    path = "/api/post/{id}",
    summary = "Change a post (its author only)",
    security(("session_cookie" = []), ("bearer_token" = [])),
    params(
        ("id" = PostId, Path, description = "The post's id"),
        ("if-match" = Option<String>, Header, nullable = false, description = "The `ETag` of the version this \
            change was made from; another version answers 412 and changes nothing. Without it, \
            the change applies to whatever version is there.", pattern = r#"^[ \t]*(\*|(W/)?"[!#-~]*"([ \t]*,[ \t]*(W/)?"[!#-~]*")*)[ \t]*$"#),
    ),
    request_body(content(
        (PostPatch = "application/json"),
        (PostPatch = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Changed (or unchanged, for `{}`): the post as it is now.",
            body = Post,
            headers(("etag" = String, description = "The post's new version"))),
        AuthorWriteErrors,
    )
)]
#[tracing::instrument(skip(db, editor, submitted))]
async fn update_post(
    State(db): State<db::Db>,
    visibility: Visibility,
    Segment(id): Segment<PostId>,
    Editor(editor): Editor,
    IfMatch(precondition): IfMatch,
    submitted: Submitted<PostPatch>,
) -> Result<Response, Refused> {
    let patch = submitted.value().validate().map_err(ApiError::from)?;
    let check = EditCheck {
        editor: editor.id,
        precondition,
    };
    let post = refused(
        db::update_post(&db, visibility, id, &patch, &check).await?,
        id,
    )?;
    Ok(tagged(visibility, post))
}

/// `DELETE /api/post/{id}`: the author deletes the post and its comments.
#[utoipa::path(
    delete,
    path = "/api/post/{id}",
    summary = "Delete a post and its comments (its author only)",
    security(("session_cookie" = []), ("bearer_token" = [])),
    params(
        ("id" = PostId, Path, description = "The post's id"),
        ("if-match" = Option<String>, Header, nullable = false, description = "The `ETag` of the version the \
            client saw; another version answers 412 and deletes nothing.", pattern = r#"^[ \t]*(\*|(W/)?"[!#-~]*"([ \t]*,[ \t]*(W/)?"[!#-~]*")*)[ \t]*$"#),
    ),
    responses(
        (status = 204, description = "Deleted, with its comments."),
        AuthorWriteErrors,
    )
)]
#[tracing::instrument(skip(db, editor))]
async fn delete_post(
    State(db): State<db::Db>,
    visibility: Visibility,
    Segment(id): Segment<PostId>,
    Editor(editor): Editor,
    IfMatch(precondition): IfMatch,
) -> Result<StatusCode, Refused> {
    let check = EditCheck {
        editor: editor.id,
        precondition,
    };
    let deleted = db::delete_post(&db, visibility, id, &check);
    refused(deleted.await?, id)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A refused change as its problem; 412 names the current version in its `ETag`.
fn refused<T>(edited: Edited<T>, id: PostId) -> Result<T, Refused> {
    match edited {
        Edited::Done(value) => Ok(value),
        Edited::NoSuchPost => Err(ApiError::no_such_post(id).into()),
        Edited::NotAuthor => Err(ApiError::Forbidden(format!(
            "Only the author of post {id} may change it (a post written anonymously has none)."
        ))
        .into()),
        Edited::Stale { current } => Err(Refused::Stale { id, current }),
    }
}

/// A refusal from [`refused`]: an [`ApiError`], or a 412 with the current `ETag`.
enum Refused {
    Error(ApiError),
    Stale { id: PostId, current: String },
}

impl From<ApiError> for Refused {
    fn from(error: ApiError) -> Self {
        Self::Error(error)
    }
}

impl From<db::Error> for Refused {
    fn from(error: db::Error) -> Self {
        Self::Error(error.into())
    }
}

fn stale(id: PostId) -> ApiError {
    ApiError::PreconditionFailed(format!(
        "Post {id} has changed since that version (If-Match): read it again, then retry."
    ))
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Self::Error(error) => error.into_response(),
            Self::Stale { id, current } => {
                let mut response = stale(id).into_response();
                put_etag(response.headers_mut(), &current);
                response
            }
        }
    }
}

/// What the Edit and Delete forms of a post's page post (no JavaScript needed).
#[derive(Deserialize, Serialize, ToSchema)]
pub struct PostActionForm {
    /// `edit` or `delete`.
    action: PostAction,
    /// The new title as typed (`edit`).
    #[serde(default)]
    title: String,
    /// The new post as typed (`edit`).
    #[serde(default)]
    post: String,
    /// The `ETag` of the version the form was made from: another version changes nothing.
    #[serde(default)]
    etag: String,
}

#[derive(Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum PostAction {
    Edit,
    Delete,
}

/// `POST /api/post/{id}`, form-encoded: what a browser without JavaScript sends for PATCH and
/// DELETE, which HTML forms cannot. The same rules; answers are redirects to pages.
#[utoipa::path(
    post,
    path = "/api/post/{id}",
    summary = "Change or delete a post from its page's form (its author only)",
    // Anonymous forms are answered too: 303 to the sign-in page.
    security((), ("session_cookie" = []), ("bearer_token" = [])),
    params(("id" = PostId, Path, description = "The post's id")),
    request_body(content((PostActionForm = "application/x-www-form-urlencoded"))),
    responses(
        (status = 303, description = "Edited: to `/posts/{id}`; deleted: to `/`; invalid values or \
            a version that is no longer the current one: back to the post's edit form, with the \
            typed values in the query; anonymous: to `/signin`.",
            headers(("location" = String, description = "Where the browser goes next"))),
        AuthorWriteErrors,
    )
)]
#[tracing::instrument(skip_all)]
async fn post_form(
    State(db): State<db::Db>,
    visibility: Visibility,
    Segment(id): Segment<PostId>,
    Editor(editor): Editor,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    if media_type(&headers).as_deref() != Some("application/x-www-form-urlencoded") {
        return Err(ApiError::UnsupportedMediaType(
            "This route takes its page's forms: send application/x-www-form-urlencoded (or use \
             PATCH and DELETE with JSON)."
                .to_owned(),
        ));
    }
    let form: PostActionForm = serde_urlencoded::from_bytes(&body)
        .map_err(|error| ApiError::Unprocessable(format!("Invalid form data: {error}.")))?;
    let check = EditCheck {
        editor: editor.id,
        precondition: match form.etag.as_str() {
            "" => Precondition::None,
            etag => Precondition::OneOf(vec![etag.to_owned()]),
        },
    };
    let back = |problem: &str| back_to_editor(id, problem, &form);
    match form.action {
        PostAction::Edit => {
            let patch = PostPatch {
                title: Some(form.title.clone()),
                post: Some(form.post.clone()),
            };
            let Ok(patch) = patch.validate() else {
                return Ok(back("invalid"));
            };
            match refused(
                db::update_post(&db, visibility, id, &patch, &check).await?,
                id,
            ) {
                Ok(_) => Ok(Redirect::to(&format!("/posts/{id}")).into_response()),
                Err(Refused::Stale { .. }) => Ok(back("stale")),
                Err(Refused::Error(error)) => Err(error),
            }
        }
        PostAction::Delete => {
            match refused(db::delete_post(&db, visibility, id, &check).await?, id) {
                Ok(()) => Ok(Redirect::to(&format!("/?deleted={id}")).into_response()),
                Err(Refused::Stale { .. }) => Ok(back("stale")),
                Err(Refused::Error(error)) => Err(error),
            }
        }
    }
}

/// 303 to the post's edit form with what was typed, and why it came back (`invalid`, `stale`).
fn back_to_editor(id: PostId, problem: &str, form: &PostActionForm) -> Response {
    let typed = serde_urlencoded::to_string([
        ("edit", problem),
        ("title", &form.title),
        ("post", &form.post),
        ("etag", &form.etag),
    ])
    .ok()
    // Too long for a URL (see `Submitted::invalid`): the form comes back empty.
    .filter(|query| query.len() <= 32 * 1024)
    .unwrap_or_else(|| format!("edit={problem}"));
    Redirect::to(&format!("/posts/{id}?{typed}#edit")).into_response()
}
