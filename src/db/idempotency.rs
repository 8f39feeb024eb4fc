//! `Idempotency-Key` (IETF httpapi draft, as Stripe does): a create request with a key is stored
//! with the row it made, in the same transaction, so a retry after an unknown outcome (the
//! connection died during `COMMIT`) answers the first result instead of creating it twice. Each room
//! implements it (`sqlite/idempotent.rs`, `postgres/idempotent.rs`); docs/high-availability.md.

use sha2::{Digest, Sha256};

use crate::model::{PostId, UserId, ValidComment, ValidPost};

/// How long a key is remembered: a retry after that creates anew (Stripe keeps keys 24 hours).
pub const KEY_LIFETIME_SECONDS: i64 = 24 * 60 * 60;

/// Expired keys deleted by one sweep (at most one a minute per instance: `db/sweeps.rs`), so a
/// sweep after a quiet day is not one long delete.
pub const SWEEP_BATCH: i64 = 1000;

/// The most characters a key may have (Stripe's limit; a UUID has 36).
pub const MAX_KEY_LENGTH: usize = 255;

/// A key as the client sent it, taken as is (the draft's quotes, if sent, are part of it): 1 to
/// [`MAX_KEY_LENGTH`] visible ASCII characters: `^[!-~]{1,255}$`, the pattern the create routes'
/// OpenAPI documentation gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(value: &[u8]) -> Result<Self, String> {
        if value.is_empty() || value.len() > MAX_KEY_LENGTH {
            return Err(format!(
                "The Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} characters long."
            ));
        }
        match std::str::from_utf8(value) {
            Ok(key) if key.bytes().all(|byte| byte.is_ascii_graphic()) => Ok(Self(key.to_owned())),
            _ => Err(
                "The Idempotency-Key header may hold only visible ASCII characters (no spaces)."
                    .to_owned(),
            ),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a create with a key answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Once<T> {
    /// Made now, with the key stored.
    Created(T),
    /// Made by an earlier request with this key and the same values: its result.
    Replayed(T),
    /// The key was used for other values (422, as the draft says).
    KeyReused,
}

/// Which route a key belongs to: keys of different routes never meet.
pub const POST_SCOPE: &str = "post";
pub const COMMENT_SCOPE: &str = "comment";

/// The values a retry must repeat. Each field is length-prefixed, so no two requests share one.
/// The author is part of it: another user's retry with the same key is a different request, never
/// a replay of someone else's answer.
pub fn post_fingerprint(post: &ValidPost, author: Option<UserId>) -> Vec<u8> {
    fingerprint(&[
        post.title.as_bytes(),
        post.body.as_bytes(),
        &[u8::from(post.draft)],
        &author_bytes(author),
    ])
}

/// The post is part of it: the same key for a comment on another post is a different request.
pub fn comment_fingerprint(
    post: PostId,
    comment: &ValidComment,
    author: Option<UserId>,
) -> Vec<u8> {
    fingerprint(&[
        &post.0.to_be_bytes(),
        comment.body.as_bytes(),
        &author_bytes(author),
    ])
}

/// Anonymous is 0, which no user id is.
fn author_bytes(author: Option<UserId>) -> [u8; 8] {
    author.map_or(0, |author| author.0).to_be_bytes()
}

fn fingerprint(fields: &[&[u8]]) -> Vec<u8> {
    let mut hash = Sha256::new();
    for field in fields {
        hash.update((field.len() as u64).to_be_bytes());
        hash.update(field);
    }
    hash.finalize().to_vec()
}
