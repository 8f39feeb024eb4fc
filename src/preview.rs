//! Preview (draft) mode, as in Next.js: a request with a valid preview cookie sees drafts, on pages
//! and in the API. The cookie is stateless, so any instance accepts it: its expiry time and an
//! HMAC-SHA256 of it keyed by `PREVIEW_SECRET`. A forged or expired cookie is ignored; changing the
//! secret ends every preview.

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

pub const COOKIE: &str = "preview";
pub const LIFETIME: Duration = Duration::from_secs(60 * 60);

/// Off when `PREVIEW_SECRET` is unset.
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

    /// Both sides are hashed first, so neither the secret's content nor its length shows in timing.
    pub fn accepts_secret(&self, given: &str) -> bool {
        let Some(secret) = &self.secret else {
            return false;
        };
        let expected = Sha256::digest(secret.expose());
        let given = Sha256::digest(given.as_bytes());
        expected.ct_eq(&given).into()
    }

    /// `None` when preview mode is off. `secure`: served over https, so never sent over http.
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

    pub fn clear_cookie(secure: bool) -> HeaderValue {
        let secure = if secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}"
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("preview=; Path=/; Max-Age=0"))
    }

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

    fn mac(&self, expires: u64) -> Option<Hmac<Sha256>> {
        let secret = self.secret.as_ref()?;
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose()).ok()?;
        mac.update(b"preview-until:");
        mac.update(expires.to_string().as_bytes());
        Some(mac)
    }
}

fn cookie_values(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::COOKIE)
        .into_iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// https ends at a proxy, which says so in `X-Forwarded-Proto`; a client that sends the header
/// itself only makes its own cookie stricter.
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

/// The router puts [`PreviewMode`] in every page's context, and leptos_axum the request.
pub fn visibility_in_page() -> Visibility {
    use leptos::prelude::use_context;
    match (use_context::<PreviewMode>(), use_context::<Parts>()) {
        (Some(preview), Some(request)) => preview.visibility(&request.headers),
        _ => Visibility::Published,
    }
}

#[cfg(test)]
#[path = "../tests/unit/private/preview.rs"]
mod tests;
