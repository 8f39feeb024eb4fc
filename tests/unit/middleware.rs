//! The middleware's layers, each around a handler written here (`src/middleware/`).

use std::convert::Infallible;

use axum::{
    body::Body,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    response::Response,
};
use leptos_api_routes::middleware::{
    catch_panic,
    request_id::{self, MAX_LEN, NewRequestId, REQUEST_ID},
};
use tower::{Layer, ServiceBuilder, ServiceExt, service_fn};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use uuid::Uuid;

/// The id the request-id layers answer a request carrying `value` with.
async fn id_of(value: &[u8]) -> HeaderValue {
    let request = Request::builder()
        .header(REQUEST_ID, HeaderValue::from_bytes(value).unwrap())
        .body(Body::empty())
        .unwrap();
    let echo = service_fn(|_: Request| async { Ok::<_, Infallible>(Response::new(Body::empty())) });
    let response = ServiceBuilder::new()
        .map_request(request_id::forget_unusable)
        .layer(SetRequestIdLayer::new(REQUEST_ID, NewRequestId))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .service(echo)
        .oneshot(request)
        .await
        .unwrap();
    response.headers()[REQUEST_ID].clone()
}

#[tokio::test]
async fn an_id_of_up_to_128_visible_ascii_characters_is_kept() {
    let longest = "a".repeat(MAX_LEN);
    for id in ["7", "log-test-7", "00-4bf92f35-01", "!~", longest.as_str()] {
        assert_eq!(id_of(id.as_bytes()).await, id);
    }
}

#[tokio::test]
async fn a_longer_id_or_one_with_spaces_or_other_bytes_is_replaced_by_a_uuid() {
    let too_long = "a".repeat(MAX_LEN + 1);
    for id in [
        too_long.as_bytes(),
        b"",
        b"a b",
        b"a\tb",
        b"caf\xc3\xa9",
        b"\xff",
    ] {
        let new = id_of(id).await;
        assert_ne!(new.as_bytes(), id);
        assert!(Uuid::parse_str(new.to_str().unwrap()).is_ok(), "{new:?}");
    }
}

#[tokio::test]
async fn a_panic_while_answering_is_a_500_problem() {
    let panicking = service_fn(|_: Request| async {
        panic!("a bug");
        #[allow(unreachable_code)]
        Ok::<Response, Infallible>(Response::default())
    });

    let response = catch_panic::layer()
        .layer(panicking)
        .oneshot(Request::new(Body::empty()))
        .await
        .expect("an answer");

    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
}
