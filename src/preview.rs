//! Preview (draft) mode, the counterpart of Next.js's preview mode: a request that carries a valid
//! preview cookie sees draft posts, on pages and in the API alike.
//!
//! `/api/preview` (in `api/preview.rs`) hands the cookie out to whoever knows `PREVIEW_SECRET`. The
//! cookie is stateless, so any number of server instances accept it: its value is its expiry time
//! and an HMAC-SHA256 of that time keyed by the secret. A changed, forged or expired cookie is
//! ignored (the request is simply not in preview mode); changing the secret ends every preview.

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{HeaderMap, HeaderValue, header, request::Parts},
};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{config::Secret, db::Visibility};

/// The cookie's name.
pub const COOKIE: &str = "preview";
/// How long a preview lasts before the cookie is refused (and the browser drops it).
pub const LIFETIME: Duration = Duration::from_secs(60 * 60);

/// Preview mode's secret, shared by every request; off when `PREVIEW_SECRET` is unset.
#[derive(Clone)]
pub struct PreviewMode {
    secret: Option<Arc<Secret>>,
}

impl PreviewMode {
    pub fn new(secret: Option<Secret>) -> Self {
        Self {
            secret: secret.map(Arc::new),
        }
    }

    /// Whether `given` is the preview secret, compared in constant time: both sides are hashed
    /// first, so neither the content nor the length of the secret shows in the timing.
    pub fn accepts_secret(&self, given: &str) -> bool {
        let Some(secret) = &self.secret else {
            return false;
        };
        let expected = Sha256::digest(secret.expose());
        let given = Sha256::digest(given.as_bytes());
        expected.ct_eq(&given).into()
    }

    /// The `Set-Cookie` value that turns preview mode on for [`LIFETIME`]; `None` when it is off.
    /// `secure`: the site is served over https, so the cookie must never travel over http.
    pub fn cookie(&self, secure: bool) -> Option<HeaderValue> {
        let expires = now_seconds().saturating_add(LIFETIME.as_secs());
        let signature = hex::encode(self.mac(expires)?.finalize().into_bytes());
        let max_age = LIFETIME.as_secs();
        let secure = if secure { "; Secure" } else { "" };
        let cookie = format!(
            "{COOKIE}={expires}.{signature}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
        );
        HeaderValue::from_str(&cookie).ok()
    }

    /// The `Set-Cookie` value that ends preview mode.
    pub fn clear_cookie(secure: bool) -> HeaderValue {
        let secure = if secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}"
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("preview=; Path=/; Max-Age=0"))
    }

    /// What a request with these headers may see: drafts only with a valid, unexpired cookie.
    pub fn visibility(&self, headers: &HeaderMap) -> Visibility {
        if cookie_values(headers).any(|value| self.is_valid(value)) {
            Visibility::WithDrafts
        } else {
            Visibility::Published
        }
    }

    fn is_valid(&self, value: &str) -> bool {
        let Some((expires, signature)) = value.split_once('.') else {
            return false;
        };
        let (Ok(expires), Ok(signature)) = (expires.parse::<u64>(), hex::decode(signature)) else {
            return false;
        };
        // `verify_slice` compares in constant time.
        let signed = self
            .mac(expires)
            .is_some_and(|mac| mac.verify_slice(&signature).is_ok());
        signed && expires > now_seconds()
    }

    /// The HMAC of the cookie's expiry time, keyed by the secret.
    fn mac(&self, expires: u64) -> Option<Hmac<Sha256>> {
        let secret = self.secret.as_ref()?;
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose()).ok()?;
        mac.update(b"preview-until:");
        mac.update(expires.to_string().as_bytes());
        Some(mac)
    }
}

/// The values of every `preview` cookie the request carries.
fn cookie_values(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::COOKIE)
        .into_iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// Whether the client reached the site over https, so that cookies are marked `Secure`. The server
/// itself speaks plain http: https ends at a proxy in front of it, which says so in
/// `X-Forwarded-Proto`. (A client that sends the header itself only makes its own cookie stricter.)
pub fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// API handlers take `visibility: Visibility` to learn whether the request is in preview mode.
impl<S> FromRequestParts<S> for Visibility
where
    S: Send + Sync,
    PreviewMode: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(PreviewMode::from_ref(state).visibility(&parts.headers))
    }
}

/// What a page being rendered on the server may see: the router puts [`PreviewMode`] in the context
/// of every page, and leptos_axum puts the request there.
pub fn visibility_in_page() -> Visibility {
    use leptos::prelude::use_context;
    match (use_context::<PreviewMode>(), use_context::<Parts>()) {
        (Some(preview), Some(request)) => preview.visibility(&request.headers),
        _ => Visibility::Published,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preview_mode() -> PreviewMode {
        PreviewMode::new(Some("a-preview-secret".parse().unwrap()))
    }

    fn headers_with_cookie(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        headers
    }

    /// The `name=value` part of a `Set-Cookie` value.
    fn pair(set_cookie: &HeaderValue) -> String {
        let text = set_cookie.to_str().unwrap();
        text.split(';').next().unwrap().to_owned()
    }

    #[test]
    fn its_own_cookie_turns_preview_on() {
        let preview = preview_mode();
        let cookie = pair(&preview.cookie(false).unwrap());
        let headers = headers_with_cookie(&format!("theme=dark; {cookie}"));
        assert_eq!(preview.visibility(&headers), Visibility::WithDrafts);
    }

    #[test]
    fn a_cookie_signed_with_another_secret_is_ignored() {
        let other = PreviewMode::new(Some("another-secret".parse().unwrap()));
        let cookie = pair(&other.cookie(false).unwrap());
        let headers = headers_with_cookie(&cookie);
        assert_eq!(preview_mode().visibility(&headers), Visibility::Published);
    }

    #[test]
    fn an_expired_cookie_is_ignored_even_when_signed() {
        let preview = preview_mode();
        let past = now_seconds() - 1;
        let signature = hex::encode(preview.mac(past).unwrap().finalize().into_bytes());
        let headers = headers_with_cookie(&format!("{COOKIE}={past}.{signature}"));
        assert_eq!(preview.visibility(&headers), Visibility::Published);
    }

    #[test]
    fn the_secret_must_match_exactly() {
        let preview = preview_mode();
        assert!(preview.accepts_secret("a-preview-secret"));
        for wrong in [
            "",
            "a-preview-secre",
            "a-preview-secret ",
            "A-PREVIEW-SECRET",
        ] {
            assert!(!preview.accepts_secret(wrong), "{wrong:?} is refused");
        }
        assert!(!PreviewMode::new(None).accepts_secret(""));
    }
}
