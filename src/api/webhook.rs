//! `/api/webhook`: the publishing webhook, reading its body raw (Next.js's `bodyParser: false`):
//! the HMAC-SHA256 of `{timestamp}.{delivery id}.{body}` is verified before anything parses it, as
//! Stripe and Slack sign theirs, so a captured delivery can be neither resent under a new
//! `X-Delivery-Id` nor replayed after [`TOLERANCE_SECONDS`]; a delivery id seen before changes
//! nothing (docs/api.md signs one with `curl`).

use std::time::{SystemTime, UNIX_EPOCH};

use axum::{
    Json,
    body::Bytes,
    extract::{State, rejection::BytesRejection},
    http::HeaderMap,
};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{body_limit::BodyLimit, extract::parse_json_object};
use crate::problem::{
    ApiError, ApiResult,
    responses::{
        BadRequest, InsufficientStorage, Internal, NotFound, PayloadTooLarge, TooManyRequests,
        Unauthorized, Unavailable, Unprocessable,
    },
};
use crate::{
    config::Secret,
    db::{self, DeliveryOutcome, PostChange},
    model::PostId,
    state::{AppState, WebhookKey},
};

/// Deliveries are a few dozen bytes; nothing near this is legitimate.
const BODY_LIMIT: usize = 64 * 1024;
/// The longest `X-Delivery-Id` kept (a UUID has 36 characters).
const DELIVERY_ID_MAX: usize = 128;
/// Stripe's and Slack's five minutes either way: room for retries in flight and clocks a little
/// apart.
const TOLERANCE_SECONDS: u64 = 5 * 60;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(receive_delivery))
        .layer(BodyLimit::max(BODY_LIMIT))
}

/// What a delivery asks for.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type")]
enum Delivery {
    /// Publish a draft.
    #[serde(rename = "post.published")]
    Published { id: PostId },
    /// Delete a post and its comments.
    #[serde(rename = "post.deleted")]
    Deleted { id: PostId },
}

/// The answer to a delivery.
#[derive(Serialize, ToSchema)]
struct Receipt {
    /// The `X-Delivery-Id` it answers.
    delivery: String,
    status: DeliveryStatus,
}

/// `applied`, or `replayed` when this delivery id was applied before (and nothing changed).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum DeliveryStatus {
    Applied,
    Replayed,
}

/// `POST /api/webhook`.
#[utoipa::path(
    post,
    path = "/api/webhook",
    summary = "Receive a signed publishing webhook delivery",
    security(("webhook_signature" = [])),
    request_body(content = Delivery, content_type = "application/json",
        description = "Signed: the HMAC covers these exact bytes."),
    params(
        ("x-delivery-id" = String, Header, min_length = 1, max_length = 128,
            pattern = r"^[\t\x20-\x7E]*[\x21-\x7E][\t\x20-\x7E]*$",
            description = "The delivery's id: 1–128 printable ASCII characters, signed; a replayed id changes nothing"),
        ("x-webhook-timestamp" = String, Header, pattern = r"^[0-9]+$",
            description = "When the delivery was signed, in Unix seconds (the signature covers it): more than 300 seconds from the server's clock, earlier or later, is a 401"),
    ),
    responses(
        (status = 200, description = "Applied, or replayed (nothing changed).", body = Receipt),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
        (status = 507, response = InsufficientStorage),
    )
)]
#[tracing::instrument(skip_all, fields(delivery))]
async fn receive_delivery(
    State(db): State<db::Db>,
    State(WebhookKey(key)): State<WebhookKey>,
    headers: HeaderMap,
    // Taken as a `Result` so a body over the limit gets the API's 413 problem, not axum's text.
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Receipt>> {
    let body = body?;
    let Some(key) = key else {
        return Err(ApiError::NotFound(
            "The publishing webhook is not enabled on this server.".to_owned(),
        ));
    };
    let delivery_id = delivery_id(&headers)?;
    tracing::Span::current().record("delivery", delivery_id);
    verify_signature(&key, &headers, delivery_id, &body)?;
    let (id, change) = match parse_json_object::<Delivery>(&body)? {
        Delivery::Published { id } => (id, PostChange::Publish),
        Delivery::Deleted { id } => (id, PostChange::Delete),
    };
    let status = match db::apply_delivery(&db, delivery_id, id, change).await? {
        DeliveryOutcome::Applied => DeliveryStatus::Applied,
        DeliveryOutcome::Replayed => DeliveryStatus::Replayed,
        DeliveryOutcome::NoSuchPost => return Err(ApiError::no_such_post(id)),
    };
    Ok(Json(Receipt {
        delivery: delivery_id.to_owned(),
        status,
    }))
}

/// Checks `X-Signature-256: sha256=<hex>` in constant time, then the timestamp's tolerance.
fn verify_signature(
    key: &Secret,
    headers: &HeaderMap,
    delivery_id: &str,
    body: &[u8],
) -> ApiResult<()> {
    let signature = headers
        .get("x-signature-256")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("sha256="))
        .and_then(|hex| hex::decode(hex).ok())
        .ok_or_else(|| {
            ApiError::Unauthorized(
                "A valid X-Signature-256: sha256=<hex> header is required.".to_owned(),
            )
        })?;
    // Digits only: no sign, no fraction, no exponent.
    let timestamp = headers
        .get("x-webhook-timestamp")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|text| !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()))
        .and_then(|text| Some((text, text.parse::<u64>().ok()?)))
        .ok_or_else(|| {
            ApiError::Unauthorized(
                "An X-Webhook-Timestamp header (Unix seconds) is required.".to_owned(),
            )
        })?;
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose())
        .map_err(|error| ApiError::Internal(error.into()))?;
    for part in [
        timestamp.0.as_bytes(),
        b".",
        delivery_id.as_bytes(),
        b".",
        body,
    ] {
        mac.update(part);
    }
    mac.verify_slice(&signature).map_err(|_| {
        ApiError::Unauthorized(
            "The signature does not match the timestamp, delivery id and body.".to_owned(),
        )
    })?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|error| ApiError::Internal(error.into()))?
        .as_secs();
    let skew = now.abs_diff(timestamp.1);
    if skew > TOLERANCE_SECONDS {
        return Err(ApiError::Unauthorized(format!(
            "The delivery's X-Webhook-Timestamp is {skew} seconds from the server's clock; more \
             than {TOLERANCE_SECONDS} are refused (a replayed delivery, or a clock that is wrong)."
        )));
    }
    Ok(())
}

/// `X-Delivery-Id`: required, printable ASCII, at most [`DELIVERY_ID_MAX`] characters.
fn delivery_id(headers: &HeaderMap) -> ApiResult<&str> {
    headers
        .get("x-delivery-id")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= DELIVERY_ID_MAX)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "An X-Delivery-Id header of 1 to {DELIVERY_ID_MAX} printable characters is required."
            ))
        })
}
