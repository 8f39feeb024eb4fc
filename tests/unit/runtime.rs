//! The runtime (src/runtime/): Lambda's response limit and request conversion, the connection
//! loop's limits, the healthcheck's address.

mod payload_limit {
    use axum::{
        body::Body,
        http::{
            HeaderValue, StatusCode,
            header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderName},
        },
        response::Response,
    };
    use leptos_api_routes::runtime::lambda::payload_limit::{
        LAMBDA_PAYLOAD_LIMIT, fit, json_string_len, sent_as_text,
    };

    fn response(headers: &[(HeaderName, &str)], body: Vec<u8>) -> Response {
        let mut response = Response::new(Body::from(body));
        for (name, value) in headers {
            response
                .headers_mut()
                .insert(name, HeaderValue::from_str(value).unwrap());
        }
        response
    }

    async fn body_of(response: Response) -> Vec<u8> {
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec()
    }

    #[test]
    fn a_json_string_is_counted_as_serde_json_writes_it() {
        let text = "quote \" backslash \\ newline \n tab \t bell \u{7} nul \0 é ☃ 🦀 \u{7f}";

        let counted = json_string_len(text.as_bytes());

        assert_eq!(counted, serde_json::to_string(text).unwrap().len());
    }

    #[tokio::test]
    async fn bodies_are_counted_as_text_or_base64_as_lambda_http_sends_them() {
        let cases: &[&[(HeaderName, &str)]] = &[
            &[],
            &[(CONTENT_TYPE, "text/html; charset=utf-8")],
            &[(CONTENT_TYPE, "application/json")],
            &[(CONTENT_TYPE, "application/problem+json")],
            &[(CONTENT_TYPE, "application/javascript")],
            &[(CONTENT_TYPE, "image/svg+xml")],
            &[(CONTENT_TYPE, "application/wasm")],
            &[(CONTENT_TYPE, "image/png")],
            &[(CONTENT_TYPE, "text/html"), (CONTENT_ENCODING, "br")],
            &[
                (CONTENT_TYPE, "application/json"),
                (CONTENT_ENCODING, "gzip"),
            ],
        ];
        for headers in cases {
            let response = response(headers, b"{}".to_vec());
            let expected_text = sent_as_text(response.headers());

            let converted = lambda_http::IntoResponse::into_response(response).await;

            let as_text = matches!(converted.body(), lambda_http::Body::Text(_));
            assert_eq!(as_text, expected_text, "{headers:?}");
        }
    }

    #[tokio::test]
    async fn an_answer_that_fits_passes_whole() {
        let body = vec![b'x'; LAMBDA_PAYLOAD_LIMIT - 4096];
        let answer = response(&[(CONTENT_TYPE, "text/plain")], body.clone());

        let fitted = fit(answer).await;

        assert_eq!(fitted.status(), StatusCode::OK);
        assert_eq!(body_of(fitted).await, body);
    }

    #[tokio::test]
    async fn a_text_answer_over_six_megabytes_becomes_a_500_problem_that_says_so() {
        let answer = response(
            &[
                (CONTENT_TYPE, "text/html"),
                (HeaderName::from_static("x-request-id"), "ticket-42"),
            ],
            vec![b'x'; LAMBDA_PAYLOAD_LIMIT + 1],
        );

        let fitted = fit(answer).await;

        assert_eq!(fitted.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(fitted.headers()[CONTENT_TYPE], "application/problem+json");
        assert_eq!(fitted.headers()["x-request-id"], "ticket-42");
        let problem: serde_json::Value = serde_json::from_slice(&body_of(fitted).await).unwrap();
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("larger than the 6291456 bytes AWS Lambda can return"),
            "{problem}"
        );
    }

    #[tokio::test]
    async fn a_binary_answer_that_base64_makes_too_large_is_refused_too() {
        // 4.8 MB of bytes: 6.4 MB once base64-encoded.
        let answer = response(
            &[(CONTENT_TYPE, "application/wasm")],
            vec![0; LAMBDA_PAYLOAD_LIMIT * 4 / 5],
        );

        let fitted = fit(answer).await;

        assert_eq!(fitted.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[tokio::test]
    async fn text_that_escaping_makes_too_large_is_refused_too() {
        // 3.5 MB of quotes: 7 MB as a JSON string.
        let answer = response(
            &[(CONTENT_TYPE, "application/json")],
            vec![b'"'; LAMBDA_PAYLOAD_LIMIT * 7 / 12],
        );

        let fitted = fit(answer).await;

        assert_eq!(fitted.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}

mod event {
    use leptos_api_routes::runtime::lambda::event::without_stage;

    fn stripped(uri: &str, stage: &str) -> Option<String> {
        without_stage(&uri.parse().unwrap(), stage).map(|uri| uri.to_string())
    }

    #[test]
    fn the_stage_is_taken_off_the_front_of_the_path_and_the_query_kept() {
        assert_eq!(
            stripped("https://example.com/prod/api/post?limit=2", "prod").as_deref(),
            Some("https://example.com/api/post?limit=2")
        );
    }

    #[test]
    fn the_stage_alone_is_the_root() {
        assert_eq!(
            stripped("https://example.com/prod", "prod").as_deref(),
            Some("https://example.com/")
        );
    }

    #[test]
    fn a_segment_that_only_begins_with_the_stage_name_is_kept() {
        assert_eq!(stripped("https://example.com/production/x", "prod"), None);
        assert_eq!(stripped("https://example.com/api/hello", "prod"), None);
    }
}

mod healthcheck {
    use std::net::SocketAddr;

    use leptos_api_routes::runtime::healthcheck::reachable;

    #[test]
    fn a_server_listening_on_every_address_is_asked_on_loopback() {
        assert_eq!(
            reachable("0.0.0.0:8080".parse().unwrap()),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert_eq!(
            reachable("[::]:8080".parse().unwrap()),
            "[::1]:8080".parse().unwrap()
        );
        assert_eq!(
            reachable("10.0.0.7:80".parse().unwrap()),
            "10.0.0.7:80".parse::<SocketAddr>().unwrap()
        );
    }
}

mod serve {
    use std::{io, num::NonZeroUsize};

    use leptos_api_routes::runtime::serve::{is_connection_error, max_connections};

    #[test]
    fn without_a_setting_the_cap_leaves_room_under_the_file_limit() {
        assert_eq!(max_connections(None, 20_000).ok(), Some(20_000 - 256));
        assert_eq!(max_connections(None, 1_024).ok(), Some(768));
        assert_eq!(max_connections(None, 100).ok(), Some(50));
    }

    #[test]
    fn a_setting_within_the_room_is_kept() {
        assert_eq!(
            max_connections(NonZeroUsize::new(500), 1_024).ok(),
            Some(500)
        );
    }

    #[test]
    fn a_setting_over_the_file_limit_names_the_variable() {
        let error = max_connections(NonZeroUsize::new(5_000), 1_024).expect_err("too many");
        assert_eq!(error.variable, "HTTP_MAX_CONNECTIONS");
        assert!(error.reason.contains("at most 768"), "{}", error.reason);
    }

    #[test]
    fn running_out_of_files_is_waited_out_and_a_reset_connection_skipped() {
        assert!(!is_connection_error(&io::Error::from_raw_os_error(24))); // EMFILE
        assert!(!is_connection_error(&io::Error::from_raw_os_error(23))); // ENFILE
        assert!(is_connection_error(
            &io::ErrorKind::ConnectionAborted.into()
        ));
    }
}
