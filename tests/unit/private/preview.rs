//! Tests of `preview` that need its private items: compiled inside it (`#[path]`), kept out of `src/`.

use super::*;

#[test]
fn an_expired_cookie_is_ignored_even_when_signed() {
    let preview = PreviewMode::new(Some("a-preview-secret".parse().unwrap()));
    let past = now_seconds() - 1;
    let signature = hex::encode(preview.mac(past).unwrap().finalize().into_bytes());
    let mut headers = HeaderMap::new();
    let cookie = format!("{COOKIE}={past}.{signature}");
    headers.insert(header::COOKIE, HeaderValue::from_str(&cookie).unwrap());
    assert_eq!(preview.visibility(&headers), Visibility::Published);
}
