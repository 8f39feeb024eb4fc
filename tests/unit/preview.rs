//! Preview mode's cookie and secret, seen from outside: what turns drafts on and what does not.

use axum::http::{HeaderMap, HeaderValue, header};
use leptos_api_routes::{db::Visibility, preview::PreviewMode};

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
