//! Tests of `middleware::security_headers` that need its private items: compiled inside it (`#[path]`), kept out of `src/`.

use super::*;

#[test]
fn the_page_policy_allows_scripts_with_the_nonce_and_nothing_inline_otherwise() {
    let policy = PagePolicy::with(None, None);
    let nonce = Nonce::new();

    let header = page_header(&policy, &nonce);

    assert!(header.contains(&format!(
        "script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval';"
    )));
    assert!(header.contains("style-src 'self';"));
    assert!(header.contains("connect-src 'self';"));
    assert!(!header.contains("unsafe-inline"));
}

#[test]
fn the_page_policy_allows_the_live_reload_socket_under_cargo_leptos_watch() {
    let policy = PagePolicy::with(Some(3001), None);

    let header = page_header(&policy, &Nonce::new());

    assert!(header.contains("connect-src 'self' ws://*:3001 wss://*:3001;"));
}

#[test]
fn a_report_uri_adds_report_uri_and_report_to_with_its_endpoint() {
    let uri: CspReportUri = "https://reports.example/csp?site=1".parse().unwrap();
    let policy = PagePolicy::with(None, Some(&uri));

    let header = page_header(&policy, &Nonce::new());

    assert!(header.ends_with(
        "frame-ancestors 'none'; report-uri https://reports.example/csp?site=1; report-to csp"
    ));
    assert_eq!(
        policy.reporting_endpoints.unwrap(),
        "csp=\"https://reports.example/csp?site=1\""
    );
}

fn page_header(policy: &PagePolicy, nonce: &Nonce) -> String {
    let header = policy.header(nonce).expect("a valid header");
    header.to_str().unwrap().to_owned()
}
