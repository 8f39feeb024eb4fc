//! Security headers on every response, pages and API alike: `X-Content-Type-Options: nosniff` (no
//! guessing a JSON body is HTML), `Referrer-Policy: strict-origin-when-cross-origin` (other sites see
//! where a visitor came from, never the full URL), `X-Frame-Options: DENY` and CSP `frame-ancestors
//! 'none'` (no framing, so no clickjacking), and a Content-Security-Policy.
//!
//! Pages get a policy their islands work under: scripts only from this origin or carrying the
//! request's nonce (Leptos's inline scripts: the one that hydrates the islands, resources, live
//! reload), wasm compiled with `'wasm-unsafe-eval'` (nothing else may `eval`), styles only from this
//! origin (no inline styles anywhere in the app), no plugins, no `<base>`, forms posting only here.
//! The nonce is made here ([`page_nonce`]), handed to the page renderer through the request's
//! extensions ([`provide_page_nonce`]) and written into the same response's header. API responses
//! are data, never a document, so they get the strictest policy there is.

use axum::{
    extract::Request,
    http::{HeaderValue, header, request::Parts},
    response::Response,
};
use leptos::{
    config::{Env, LeptosOptions},
    nonce::Nonce,
    prelude::{provide_context, use_context},
};

/// The policy of API responses: load nothing, be framed nowhere.
const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// The Content-Security-Policy of the pages.
#[derive(Clone, Debug)]
pub struct PagePolicy {
    /// `cargo leptos watch`'s live reload connects back to this port over a WebSocket.
    live_reload_port: Option<u32>,
}

impl PagePolicy {
    /// The WebSocket is allowed exactly when `<AutoReload/>` puts its script on the page: in
    /// development, under `cargo leptos watch` (which sets `LEPTOS_WATCH`).
    pub fn new(options: &LeptosOptions) -> Self {
        let watching = options.env == Env::DEV && std::env::var_os("LEPTOS_WATCH").is_some();
        Self {
            live_reload_port: watching
                .then(|| options.reload_external_port.unwrap_or(options.reload_port)),
        }
    }

    fn header(&self, nonce: &Nonce) -> String {
        // The reload script connects to the page's own host name on the reload port.
        let live_reload = self
            .live_reload_port
            .map(|port| format!(" ws://*:{port} wss://*:{port}"))
            .unwrap_or_default();
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self'; connect-src 'self'{live_reload}; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
    }
}

/// A new nonce for a page request, handed to the page renderer in the request's extensions; `None`
/// for an API request.
pub fn page_nonce(request: &mut Request) -> Option<Nonce> {
    if super::is_api(request.uri().path()) {
        return None;
    }
    let nonce = Nonce::new();
    request.extensions_mut().insert(nonce.clone());
    Some(nonce)
}

/// Adds the security headers to `response`: the page policy with the nonce its page was rendered
/// with ([`page_nonce`]), or the API's policy when there is none.
pub fn add(mut response: Response, policy: &PagePolicy, nonce: Option<&Nonce>) -> Response {
    let content_security_policy = match nonce {
        Some(nonce) => HeaderValue::from_str(&policy.header(nonce)),
        None => Ok(HeaderValue::from_static(API_POLICY)),
    };
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // A nonce is URL-safe base64 and the rest is fixed text, so the value is always a valid header.
    if let Ok(value) = content_security_policy {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// Gives the page being rendered the nonce that [`add`] puts in its CSP header. Called in the
/// pages' context (`server.rs`), after leptos_axum has provided the request and its own random
/// nonce, which this one replaces: Leptos adds the nonce in context to every inline script it writes.
pub fn provide_page_nonce() {
    if let Some(nonce) =
        use_context::<Parts>().and_then(|parts| parts.extensions.get::<Nonce>().cloned())
    {
        provide_context(nonce);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_allows_scripts_with_the_nonce_and_nothing_inline_otherwise() {
        let policy = PagePolicy {
            live_reload_port: None,
        };
        let nonce = Nonce::new();

        let header = policy.header(&nonce);

        assert!(header.contains(&format!(
            "script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval';"
        )));
        assert!(header.contains("style-src 'self';"));
        assert!(header.contains("connect-src 'self';"));
        assert!(!header.contains("unsafe-inline"));
    }

    #[test]
    fn the_page_policy_allows_the_live_reload_socket_under_cargo_leptos_watch() {
        let policy = PagePolicy {
            live_reload_port: Some(3001),
        };

        let header = policy.header(&Nonce::new());

        assert!(header.contains("connect-src 'self' ws://*:3001 wss://*:3001;"));
    }
}
