//! Signing a webhook delivery as its sender does: `X-Signature-256` over
//! `"{timestamp}.{delivery id}.{body}"`, with the timestamp and the delivery id beside it.

use std::{
    fmt::Display,
    time::{SystemTime, UNIX_EPOCH},
};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The clock now, in Unix seconds: a fresh delivery's `X-Webhook-Timestamp`.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

/// `sha256=<hex HMAC-SHA256 of "{timestamp}.{delivery}.{body}" keyed by secret>`.
pub fn webhook_signature(
    secret: &str,
    timestamp: impl Display,
    delivery: &str,
    body: &str,
) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key fits");
    mac.update(format!("{timestamp}.{delivery}.{body}").as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The headers of a delivery of `body` under `delivery`, signed now with `secret`.
pub fn signed_delivery_headers(
    secret: &str,
    delivery: &str,
    body: &str,
) -> [(&'static str, String); 3] {
    signed_delivery_headers_at(secret, unix_now(), delivery, body)
}

/// The headers of a delivery of `body` under `delivery`, signed with `secret` and stamped
/// `timestamp` (written as it is: a test may spell it wrongly).
pub fn signed_delivery_headers_at(
    secret: &str,
    timestamp: impl Display,
    delivery: &str,
    body: &str,
) -> [(&'static str, String); 3] {
    [
        (
            "x-signature-256",
            webhook_signature(secret, &timestamp, delivery, body),
        ),
        ("x-delivery-id", delivery.to_owned()),
        ("x-webhook-timestamp", timestamp.to_string()),
    ]
}
