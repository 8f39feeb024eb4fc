//! `/api/comments/{id}/events`: a post's new comments as server-sent events, as the Next.js
//! anchor's `pages/api/comments/[id]/events.js`, but across instances and resumable: `id:` is the
//! comment's id, so a reconnect (`Last-Event-ID`, or `?after=`) gets what it missed from the
//! database (src/live/; docs/live-comments.md). Every refusal is problem+json before the stream.

use std::time::Duration;

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{
        IntoResponse, Response,
        sse::{KeepAlive, Sse},
    },
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{QueryParams, Segment, optional_from_str};
use crate::{
    db::Visibility,
    live::{Live, Refused},
    model::{CommentId, PostId},
    problem::{
        ApiError, problem,
        responses::{BadRequest, Internal, NotFound, NotImplemented, Unavailable},
    },
    state::AppState,
};

/// How often a comment line (`:`) keeps a quiet stream open through proxies that close idle ones.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(comment_events))
}

/// `?after=`: the id of the last comment the client has.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct After {
    /// Start after this comment id, `0` for the post's first comment (the `Last-Event-ID` header
    /// wins when both are sent).
    #[serde(default, deserialize_with = "optional_from_str")]
    #[param(value_type = Option<i64>, minimum = 0)]
    after: Option<AfterId>,
}

/// A comment id, or `0`: a page without comments starts its stream after none.
struct AfterId(CommentId);

impl std::str::FromStr for AfterId {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if text == "0" {
            return Ok(Self(CommentId(0)));
        }
        text.parse()
            .map(Self)
            .map_err(|error| format!("after: {error}"))
    }
}

/// One event of the stream, by its fields (the `retry:` that opens the stream and the `:` comment
/// lines carry no data, so are no events).
#[derive(ToSchema)]
#[allow(dead_code)] // A description for the OpenAPI document: the events are written by axum's `Sse`.
struct CommentEvent {
    /// `comment`.
    #[schema(pattern = "^comment$")]
    event: String,
    /// The comment's id, what `Last-Event-ID` sends back.
    #[schema(pattern = "^[1-9][0-9]*$")]
    id: String,
    /// The comment as `GET /api/comments/{id}` lists it (a `Comment`, as JSON text).
    data: String,
}

/// `GET /api/comments/{id}/events`: `text/event-stream`, one `comment` event per new comment.
#[utoipa::path(
    get,
    path = "/api/comments/{id}/events",
    summary = "Follow a post's new comments (server-sent events)",
    description = "A `text/event-stream` that stays open: `retry:` first, then for each new \
        comment, oldest first, an event `comment` with `id:` the comment's id and `data:` the \
        comment as `GET /api/comments/{id}` answers it; a comment line (`:`) every 15 seconds. \
        With `Last-Event-ID` (browsers send it when they reconnect) or `?after=`, the comments \
        after that id come first, from the database: none is missed or sent twice.",
    security((), ("preview_cookie" = [])),
    params(
        ("id" = PostId, Path, description = "The post's id"),
        // Optional, not nullable: a header is there or not, never `null`.
        ("Last-Event-ID" = Option<CommentId>, Header, nullable = false, description = "The id of \
            the last comment the client has (sent by `EventSource` when it reconnects)"),
        After,
    ),
    responses(
        (status = 200, description = "The stream of the post's new comments.",
            content_type = "text/event-stream", body = CommentEvent),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 500, response = Internal),
        (status = 501, response = NotImplemented),
        (status = 503, response = Unavailable),
    )
)]
#[tracing::instrument(skip(live, headers, query))]
async fn comment_events(
    State(live): State<Live>,
    visibility: Visibility,
    Segment(id): Segment<PostId>,
    headers: HeaderMap,
    QueryParams(query): QueryParams<After>,
) -> Result<Response, ApiError> {
    let after = match last_event_id(&headers)? {
        Some(after) => Some(after),
        None => query.after.map(|AfterId(id)| id),
    };
    match live.open(visibility, id, after).await {
        Ok(Some(reader)) => Ok(Sse::new(reader.events())
            .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
            .into_response()),
        Ok(None) => Err(ApiError::no_such_post(id)),
        Err(Refused::Database(error)) => Err(error.into()),
        Err(refused @ (Refused::NotStreaming | Refused::Off)) => Ok(problem(
            StatusCode::NOT_IMPLEMENTED,
            refused.to_string(),
            None,
        )),
        Err(refused @ (Refused::Full(_) | Refused::ShuttingDown)) => {
            Err(ApiError::Unavailable(refused.to_string()))
        }
    }
}

/// `Last-Event-ID`, which only this server's events set: a comment id, or empty (none yet).
fn last_event_id(headers: &HeaderMap) -> Result<Option<CommentId>, ApiError> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::BadRequest("Last-Event-ID is not a comment id.".to_owned()))?
        .trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|error| ApiError::BadRequest(format!("Last-Event-ID: {error}.")))
}
