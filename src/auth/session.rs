//! The session cookie and the secrets of sessions and API tokens. A secret is 32 bytes from the
//! OS's generator; the database keeps only its SHA-256 (a leaked table signs no one in, and the
//! lookup by hash takes the same time whatever the guess). Over https the cookie is `Secure` and
//! named `__Host-session`, which the browser keeps to this host and path `/` (no subdomain can set
//! it); over http it is `session`.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use axum::http::{HeaderMap, HeaderValue, header};
use sha2::{Digest, Sha256};

use crate::preview::is_https;

pub const COOKIE: &str = "session";
pub const SECURE_COOKIE: &str = "__Host-session";
/// What an API token starts with: a secret scanner (GitHub's, a pre-commit hook) can find it.
pub const TOKEN_PREFIX: &str = "lar_";
/// The cookie outlives any idle expiry (the server decides when a session ends); 400 days is the
/// most browsers keep a cookie (RFC 6265bis).
const COOKIE_MAX_AGE: u64 = 400 * 24 * 60 * 60;

/// A new secret: 64 lowercase hex digits.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database keeps of a secret.
pub fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn cookie_name(https: bool) -> &'static str {
    if https { SECURE_COOKIE } else { COOKIE }
}

/// The session secret the request carries under the name its scheme uses. Only a well-formed
/// secret counts, so anything else costs no database lookup.
pub fn session_secret(headers: &HeaderMap) -> Option<&str> {
    let name = cookie_name(is_https(headers));
    headers
        .get_all(header::COOKIE)
        .into_iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().strip_prefix(name)?.strip_prefix('='))
        .find(|value| is_secret(value))
}

/// The `Authorization: Bearer` token, if the header is there: `Some(None)` for a header that holds
/// no well-formed token (refused, never read as "anonymous").
pub fn bearer_token(headers: &HeaderMap) -> Option<Option<&str>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let token = value
        .to_str()
        .ok()
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| token.strip_prefix(TOKEN_PREFIX).is_some_and(is_secret));
    Some(token)
}

fn is_secret(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

/// `Set-Cookie` for a new session.
pub fn set_cookie(secret: &str, headers: &HeaderMap) -> HeaderValue {
    let https = is_https(headers);
    let secure = if https { "; Secure" } else { "" };
    let cookie = format!(
        "{}={secret}; Path=/; Max-Age={COOKIE_MAX_AGE}; HttpOnly; SameSite=Lax{secure}",
        cookie_name(https)
    );
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| clear_cookie(headers))
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(headers: &HeaderMap) -> HeaderValue {
    if is_https(headers) {
        HeaderValue::from_static(
            "__Host-session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure",
        )
    } else {
        HeaderValue::from_static("session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
    }
}
