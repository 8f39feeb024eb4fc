//! The middleware's layers, each around a handler written here (`src/middleware/`).

use std::{
    collections::VecDeque,
    convert::Infallible,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::{Body, Bytes, HttpBody},
    extract::Request,
    http::{StatusCode, header},
    response::Response,
};
use http_body::Frame;
use leptos_api_routes::{
    middleware::{
        catch_panic,
        http_cache::{self, HttpCache},
    },
    preview::PreviewMode,
};
use tower::{Layer, ServiceExt, service_fn};

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

/// A body of unknown length that sends its frames, then ends or, when `endless`, sends nothing
/// more without ever ending (an event stream).
struct Chunks {
    frames: VecDeque<Bytes>,
    endless: bool,
}

impl Chunks {
    fn of(frames: &[&'static str], endless: bool) -> Self {
        let frames = frames
            .iter()
            .copied()
            .map(|text| Bytes::from_static(text.as_bytes()))
            .collect();
        Self { frames, endless }
    }
}

impl HttpBody for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.frames.pop_front() {
            Some(data) => Poll::Ready(Some(Ok(Frame::data(data)))),
            None if self.endless => Poll::Pending,
            None => Poll::Ready(None),
        }
    }
}

/// The answer of the HTTP cache around a handler that answers a GET with `answer`.
async fn through_the_cache(answer: fn() -> Response) -> Response {
    let handler = service_fn(move |_: Request| async move { Ok::<_, Infallible>(answer()) });
    let request = Request::get("/api/events").body(Body::empty()).unwrap();
    let answer = HttpCache::new(handler, PreviewMode::new(None)).oneshot(request);
    tokio::time::timeout(Duration::from_secs(5), answer)
        .await
        .expect("an answer without waiting for its body to end")
        .unwrap()
}

#[tokio::test]
async fn a_streaming_answer_passes_through_the_cache_at_once_and_untagged() {
    let response =
        through_the_cache(|| Response::new(Body::new(Chunks::of(&["data: 1\n\n"], true)))).await;

    assert_eq!(response.headers().get(header::ETAG), None);
    assert_eq!(response.headers().get(header::CACHE_CONTROL), None);
    let mut body = response.into_body();
    let first = tokio::time::timeout(
        Duration::from_secs(5),
        std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)),
    )
    .await
    .expect("the first chunk while the stream goes on");
    let first = first.expect("a frame").expect("data").into_data().ok();
    assert_eq!(first.as_deref(), Some(b"data: 1\n\n".as_slice()));
}

#[tokio::test]
async fn a_whole_answer_gets_its_etag_from_the_cache() {
    let response = through_the_cache(|| Response::new(Body::from("{\"id\":1}"))).await;

    assert!(response.headers().contains_key(header::ETAG));
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
}

#[tokio::test]
async fn a_rendered_page_of_unknown_length_is_read_whole_and_tagged() {
    let response = through_the_cache(|| {
        let mut page = Response::new(Body::new(Chunks::of(&["<html>", "</html>"], false)));
        page.extensions_mut().insert(http_cache::Finite);
        page
    })
    .await;

    assert!(response.headers().contains_key(header::ETAG));
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await;
    assert_eq!(body.unwrap(), "<html></html>");
}

#[tokio::test]
async fn an_unmarked_body_of_unknown_length_is_not_tagged_even_when_it_ends() {
    let response = through_the_cache(|| Response::new(Body::new(Chunks::of(&["{}"], false)))).await;

    assert_eq!(response.headers().get(header::ETAG), None);
}

mod etags {
    use axum::http::HeaderValue;
    use leptos_api_routes::{
        db::Visibility,
        middleware::http_cache::{body_hash, matches},
    };

    fn value(text: &'static str) -> HeaderValue {
        HeaderValue::from_static(text)
    }

    #[test]
    fn if_none_match_matches_weakly_among_several_tags() {
        let etag = value("W/\"abc\"");
        assert!(matches(&value("\"abc\""), Some(&etag)));
        assert!(matches(&value("W/\"xyz\", W/\"abc\""), Some(&etag)));
        assert!(matches(&value("*"), Some(&etag)));
        assert!(!matches(&value("\"ab\""), Some(&etag)));
        assert!(!matches(&value("abc"), Some(&etag)));
        assert!(!matches(&value("\"abc\""), None));
    }

    #[test]
    fn the_nonce_does_not_change_the_hash() {
        let first = br#"<script nonce="n0nceA">go()</script>"#;
        let second = br#"<script nonce="n0nceB">go()</script>"#;

        assert_eq!(
            body_hash(first, Some("n0nceA"), Visibility::Published),
            body_hash(second, Some("n0nceB"), Visibility::Published),
        );
    }

    #[test]
    fn the_hash_leaves_out_every_copy_of_the_nonce_and_nothing_else() {
        let page = b"n0nce<a nonce=\"n0nce\"></a><b nonce=\"n0nce\">n0nce";

        assert_eq!(
            body_hash(page, Some("n0nce"), Visibility::Published),
            body_hash(
                b"<a nonce=\"\"></a><b nonce=\"\">",
                None,
                Visibility::Published
            ),
        );
        assert_ne!(
            body_hash(page, Some("n0nce"), Visibility::Published),
            body_hash(
                b"<a nonce=\"\"></a><b nonce=\"\">!",
                None,
                Visibility::Published
            ),
        );
    }

    #[test]
    fn a_preview_answer_never_shares_a_hash_with_the_public_one() {
        let body = br#"{"id":1}"#;

        assert_ne!(
            body_hash(body, None, Visibility::Published),
            body_hash(body, None, Visibility::WithDrafts),
        );
    }
}

mod hosts {
    use axum::{body::Body, extract::Request, http::header};
    use leptos_api_routes::{config::AllowedHosts, middleware::hosts::refusal};

    fn allowed(list: &str) -> AllowedHosts {
        list.parse().expect("a valid list")
    }

    fn request_to(host: &str) -> Request {
        Request::builder()
            .uri("/")
            .header(header::HOST, host)
            .body(Body::empty())
            .unwrap()
    }

    #[test]
    fn a_listed_host_passes_in_any_case_with_a_trailing_dot_and_any_port() {
        let list = allowed("example.com");
        for host in [
            "example.com",
            "EXAMPLE.com.",
            "example.com:8080",
            "example.com.:443",
        ] {
            assert_eq!(refusal(&request_to(host), &list), None, "{host}");
        }
    }

    #[test]
    fn an_entry_with_a_port_accepts_that_port_only() {
        let list = allowed("example.com:8443");
        assert_eq!(refusal(&request_to("example.com:8443"), &list), None);
        assert!(refusal(&request_to("example.com"), &list).is_some());
        assert!(refusal(&request_to("example.com:8080"), &list).is_some());
    }

    #[test]
    fn a_leading_dot_accepts_the_domain_and_its_subdomains_only() {
        let list = allowed(".example.com");
        for host in ["example.com", "www.example.com", "a.b.Example.COM:80"] {
            assert_eq!(refusal(&request_to(host), &list), None, "{host}");
        }
        for host in ["evilexample.com", "example.com.evil", "example.org"] {
            assert!(refusal(&request_to(host), &list).is_some(), "{host}");
        }
    }

    #[test]
    fn loopback_names_are_always_accepted_and_others_refused() {
        let list = allowed("example.com");
        for host in ["localhost:3000", "app.localhost", "127.0.0.1", "[::1]:3000"] {
            assert_eq!(refusal(&request_to(host), &list), None, "{host}");
        }
        for host in [
            "evil.example",
            "localhost.evil",
            "192.0.2.1",
            "[2001:db8::1]",
        ] {
            assert!(refusal(&request_to(host), &list).is_some(), "{host}");
        }
    }

    #[test]
    fn a_host_that_is_no_host_name_is_refused_even_when_any_is_allowed() {
        for host in [
            "",
            "user@example.com",
            "example.com:http",
            "[::1",
            "[nope]",
            "a b",
        ] {
            assert!(
                refusal(&request_to(host), &AllowedHosts::Any).is_some(),
                "{host:?}"
            );
        }
    }

    #[test]
    fn an_absolute_form_target_is_checked_instead_of_the_host_header() {
        let list = allowed("example.com");
        let request = |uri: &str| {
            Request::builder()
                .uri(uri)
                .header(header::HOST, "example.com")
                .body(Body::empty())
                .unwrap()
        };
        assert!(refusal(&request("http://evil.example/api/hello"), &list).is_some());
        assert_eq!(refusal(&request("http://example.com./"), &list), None);
    }

    #[test]
    fn an_http_1_1_request_without_a_host_is_refused_even_when_any_is_allowed() {
        let request = Request::builder().uri("/").body(Body::empty()).unwrap();
        assert!(refusal(&request, &AllowedHosts::Any).is_some());
    }
}

mod cross_site {
    use axum::http::{HeaderMap, HeaderValue, header};
    use leptos_api_routes::middleware::cross_site::refusal;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    header::HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    #[test]
    fn an_origin_matches_a_host_with_the_same_name_and_port() {
        let same = headers(&[("origin", "http://127.0.0.1:3000")]);
        assert_eq!(refusal(&same, Some("127.0.0.1:3000")), None);
        let default_port = headers(&[("origin", "https://Example.com")]);
        assert_eq!(refusal(&default_port, Some("example.com")), None);
    }

    #[test]
    fn an_origin_with_another_port_a_null_origin_or_no_host_is_refused() {
        let other_port = headers(&[("origin", "http://127.0.0.1:4000")]);
        assert!(refusal(&other_port, Some("127.0.0.1:3000")).is_some());
        let null = headers(&[("origin", "null")]);
        assert!(refusal(&null, Some("127.0.0.1:3000")).is_some());
        let same = headers(&[("origin", "http://127.0.0.1:3000")]);
        assert!(refusal(&same, None).is_some());
    }
}

mod request_form {
    use axum::{
        extract::Request,
        http::{Method, header},
    };
    use leptos_api_routes::middleware::request_form::refusal;

    fn request(method: Method, target: &str, codings: &[&str]) -> Request {
        let mut request = Request::builder().method(method).uri(target);
        for coding in codings {
            request = request.header(header::TRANSFER_ENCODING, *coding);
        }
        request.body(axum::body::Body::empty()).expect("a request")
    }

    fn status(request: &Request) -> Option<u16> {
        refusal(request).map(|response| response.status().as_u16())
    }

    #[test]
    fn targets_with_a_path_go_on_whatever_their_form() {
        assert_eq!(status(&request(Method::GET, "/api/hello", &[])), None);
        assert_eq!(
            status(&request(Method::GET, "http://host/api/hello", &[])),
            None
        );
        assert_eq!(status(&request(Method::OPTIONS, "/api/post", &[])), None);
    }

    #[test]
    fn path_less_targets_are_answered_by_method() {
        assert_eq!(
            status(&request(Method::CONNECT, "host:443", &[])),
            Some(405)
        );
        assert_eq!(
            status(&request(Method::CONNECT, "/api/hello", &[])),
            Some(405)
        );
        assert_eq!(status(&request(Method::OPTIONS, "*", &[])), Some(204));
        assert_eq!(status(&request(Method::GET, "*", &[])), Some(400));
        assert_eq!(status(&request(Method::GET, "host:443", &[])), Some(400));
    }

    #[test]
    fn chunked_alone_is_the_one_transfer_coding_read() {
        let post = |codings| status(&request(Method::POST, "/api/post", codings));
        assert_eq!(post(&["chunked"]), None);
        assert_eq!(post(&["CHUNKED"]), None);
        assert_eq!(post(&[" , chunked"]), None);
        assert_eq!(post(&["gzip, chunked"]), Some(501));
        assert_eq!(post(&["gzip", "chunked"]), Some(501));
        assert_eq!(post(&["chunked;ext=1"]), Some(501));
        assert_eq!(post(&["chunked, chunked"]), Some(400));
        assert_eq!(post(&["chunked", "chunked"]), Some(400));
    }
}

mod request_id {
    use axum::{extract::Request, http::HeaderValue};
    use leptos_api_routes::middleware::request_id::{MAX_LEN, REQUEST_ID, of};
    use uuid::Uuid;

    fn id_of(value: &[u8]) -> HeaderValue {
        let request = Request::builder()
            .header(REQUEST_ID, HeaderValue::from_bytes(value).unwrap())
            .body(axum::body::Body::empty())
            .unwrap();
        of(&request)
    }

    #[test]
    fn an_id_of_up_to_128_visible_ascii_characters_is_kept() {
        let longest = "a".repeat(MAX_LEN);
        for id in ["7", "log-test-7", "00-4bf92f35-01", "!~", longest.as_str()] {
            assert_eq!(id_of(id.as_bytes()), id);
        }
    }

    #[test]
    fn a_longer_id_or_one_with_spaces_or_other_bytes_is_replaced_by_a_uuid() {
        let too_long = "a".repeat(MAX_LEN + 1);
        for id in [
            too_long.as_bytes(),
            b"",
            b"a b",
            b"a\tb",
            b"caf\xc3\xa9",
            b"\xff",
        ] {
            let new = id_of(id);
            assert_ne!(new.as_bytes(), id);
            assert!(Uuid::parse_str(new.to_str().unwrap()).is_ok(), "{new:?}");
        }
    }
}
