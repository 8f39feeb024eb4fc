//! Security headers on every full answer (never a 304), added by the guard ([`add`]): `nosniff`,
//! `Referrer-Policy`, `X-Frame-Options: DENY`, `Cross-Origin-Resource-Policy: same-origin`; on pages
//! a CSP with its own nonce ([`page_nonce`], given to the renderer by [`provide_page_nonce`]), COOP
//! and `Permissions-Policy`; the API's strictest CSP; HSTS over https only; `Reporting-Endpoints`
//! with `CSP_REPORT_URI`. By hand, the fixed ones too: as four tower-http `SetResponseHeader` layers
//! they cost /api/hello measurably more (docs/performance.md).

use axum::{
    body::Bytes,
    extract::Request,
    http::{HeaderName, HeaderValue, header, request::Parts},
    response::Response,
};
use leptos::{
    config::{Env, LeptosOptions},
    nonce::Nonce,
    prelude::{provide_context, use_context},
};

use crate::config::CspReportUri;

/// The policy of API responses: load nothing, be framed nowhere.
const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";
/// The powerful features a page of this app never uses, off for it and anything it embeds. A
/// short list of features every current browser knows (an unknown one is a console warning).
const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";
/// Two years, subdomains included: what hstspreload.org asks for. Sent only over https, where a
/// browser heeds it.
const STRICT_TRANSPORT_SECURITY: &str = "max-age=63072000; includeSubDomains";
/// The name `report-to` gives the endpoint that `Reporting-Endpoints` defines.
const REPORT_TO: &str = "csp";
const REPORTING_ENDPOINTS: HeaderName = HeaderName::from_static("reporting-endpoints");

/// The Content-Security-Policy of the pages, worked out once but for the nonce.
#[derive(Clone, Debug)]
pub struct PagePolicy {
    before_nonce: Box<str>,
    after_nonce: Box<str>,
    /// `Reporting-Endpoints`, with `CSP_REPORT_URI`.
    reporting_endpoints: Option<HeaderValue>,
}

impl PagePolicy {
    /// The live-reload WebSocket is allowed exactly when `<AutoReload/>` puts its script on the
    /// page: in development, under `cargo leptos watch` (which sets `LEPTOS_WATCH`).
    pub fn new(options: &LeptosOptions, report_uri: Option<&CspReportUri>) -> Self {
        let watching = options.env == Env::DEV && std::env::var_os("LEPTOS_WATCH").is_some();
        Self::with(
            watching.then(|| options.reload_external_port.unwrap_or(options.reload_port)),
            report_uri,
        )
    }

    fn with(live_reload_port: Option<u32>, report_uri: Option<&CspReportUri>) -> Self {
        // The reload script connects to the page's own host name on the reload port.
        let live_reload = live_reload_port
            .map(|port| format!(" ws://*:{port} wss://*:{port}"))
            .unwrap_or_default();
        // `report-uri` for the browsers that do not know `report-to` yet, which others prefer.
        let report = report_uri
            .map(|uri| {
                format!(
                    "; report-uri {uri}; report-to {REPORT_TO}",
                    uri = uri.as_str()
                )
            })
            .unwrap_or_default();
        Self {
            before_nonce: "default-src 'self'; script-src 'self' 'nonce-".into(),
            after_nonce: format!(
                "' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'{live_reload}; \
                 object-src 'none'; base-uri 'none'; form-action 'self'; \
                 frame-ancestors 'none'{report}"
            )
            .into(),
            // The URI was checked at start to hold no `"`, so the quoted string is well formed.
            reporting_endpoints: report_uri.and_then(|uri| {
                HeaderValue::from_str(&format!("{REPORT_TO}=\"{}\"", uri.as_str())).ok()
            }),
        }
    }

    /// The policy with `nonce`: one allocation, handed to the header as it is.
    fn header(&self, nonce: &Nonce) -> Option<HeaderValue> {
        let mut policy =
            String::with_capacity(self.before_nonce.len() + nonce.len() + self.after_nonce.len());
        policy.push_str(&self.before_nonce);
        policy.push_str(nonce);
        policy.push_str(&self.after_nonce);
        HeaderValue::from_maybe_shared(Bytes::from(policy)).ok()
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

/// Adds the security headers to `response`: for a page, the page policy with the nonce it was
/// rendered with ([`page_nonce`]) and the pages' own headers; for the API (no nonce), the API's
/// policy. `https`: the request came over https ([`crate::preview::is_https`]).
pub fn add(
    mut response: Response,
    policy: &PagePolicy,
    nonce: Option<&Nonce>,
    https: bool,
) -> Response {
    let headers = response.headers_mut();
    match nonce {
        // A nonce is URL-safe base64 and the rest is fixed text, so the value is always valid.
        Some(nonce) => {
            if let Some(value) = policy.header(nonce) {
                headers.insert(header::CONTENT_SECURITY_POLICY, value);
            }
            if let Some(endpoints) = &policy.reporting_endpoints {
                headers.insert(REPORTING_ENDPOINTS, endpoints.clone());
            }
            headers.insert(
                HeaderName::from_static("cross-origin-opener-policy"),
                HeaderValue::from_static("same-origin"),
            );
            headers.insert(
                HeaderName::from_static("permissions-policy"),
                HeaderValue::from_static(PERMISSIONS_POLICY),
            );
        }
        None => {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(API_POLICY),
            );
        }
    }
    headers.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
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
#[path = "../../tests/unit/private/middleware_security_headers.rs"]
mod tests;
