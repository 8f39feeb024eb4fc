//! The app as an AWS Lambda function, invoked in-process: events in the formats each front door
//! documents (`tests/support/lambda_events.rs`), read by `lambda_http` as the runtime reads them,
//! through `lambda::handler` over the app's router, and the answers as `lambda_http` hands them
//! back to Lambda (text, or binary to be base64-encoded). On the suite's database (SQLite, or
//! PostgreSQL with `TEST_DATABASE_URL`); `tests/deploy/lambda.rs` runs the built binary against a
//! stand-in of the Runtime API.

#[path = "../support/mod.rs"]
mod support;

use std::{io::Read, num::NonZeroU32, sync::Arc};

use axum::http::{HeaderMap, StatusCode, header};
use leptos_api_routes::{
    config::{Config, HttpConfig},
    middleware::App,
    router,
    runtime::lambda,
    site::{Site, pack},
    state::AppState,
};
use reqwest::Method;
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt;

use support::{
    TestDatabase,
    lambda_events::{ALL_FRONT_DOORS, Event, FrontDoor},
    test_config, test_http_config,
};

const PREVIEW_SECRET: &str = "preview-secret-for-lambda-tests";
const OUTPUT_NAME: &str = "leptos-api-routes";

/// The app as a function invokes it, on a fresh database, with a small site packed in memory as a
/// release binary carries it.
struct Function {
    app: App,
    database: TestDatabase,
    site: TempDir,
}

/// An answer as `lambda_http` hands it to the runtime: status, headers, and a body of text or of
/// bytes that go base64-encoded.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: lambda_http::Body,
}

impl Function {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let database = TestDatabase::fresh().await;
        let site = built_site();
        let mut config = test_config(&database);
        let embedded = Site::Embedded(Arc::new(
            pack::in_memory(site.path(), OUTPUT_NAME).expect("the site packs"),
        ));
        config.preview_secret = Some(PREVIEW_SECRET.parse().unwrap());
        configure(&mut config);
        let state = AppState::open(config, embedded)
            .await
            .expect("the app starts");
        Self {
            app: router::app(state),
            database,
            site,
        }
    }

    /// Invokes the function with `event`, as the runtime does once `lambda_http` has read it.
    async fn invoke(&self, event: &Event) -> Answer {
        let request = lambda_http::request::from_str(&event.to_json())
            .unwrap_or_else(|error| panic!("lambda_http reads the event: {error}"));
        let Ok(response) = lambda::handler(self.app.clone()).oneshot(request).await;
        let (parts, body) = lambda_http::IntoResponse::into_response(response)
            .await
            .into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// The file of the packed site at `name` (`pkg/leptos-api-routes.wasm`).
    fn built(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.site.path().join(name)).unwrap()
    }
}

impl Answer {
    fn header(&self, name: impl header::AsHeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    fn text(&self) -> &str {
        match &self.body {
            lambda_http::Body::Text(text) => text,
            lambda_http::Body::Empty => "",
            other => panic!("a text body, not {other:?}"),
        }
    }

    fn json(&self) -> Value {
        serde_json::from_str(self.text()).expect("a JSON body")
    }

    /// The bytes of a body sent base64-encoded.
    fn binary(&self) -> &[u8] {
        match &self.body {
            lambda_http::Body::Binary(bytes) => bytes,
            other => panic!("a binary body, not {other:?}"),
        }
    }

    /// Checks this is a `status` problem and returns its body.
    fn problem(&self, status: StatusCode) -> Value {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(
            self.header(header::CONTENT_TYPE),
            "application/problem+json"
        );
        let problem = self.json();
        assert_eq!(problem["status"], status.as_u16(), "{problem}");
        problem
    }
}

/// A site as `cargo leptos build` leaves it, whose wasm holds every byte value (text it is not).
fn built_site() -> TempDir {
    let root = tempfile::tempdir().expect("a temporary folder");
    let pkg = root.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let wasm: Vec<u8> = b"\0asm\x01\0\0\0"
        .iter()
        .copied()
        .chain((0..=255u8).cycle().take(64 * 1024))
        .collect();
    std::fs::write(pkg.join(format!("{OUTPUT_NAME}.wasm")), wasm).unwrap();
    std::fs::write(
        pkg.join(format!("{OUTPUT_NAME}.js")),
        "export function hydrate() {}\n".repeat(100),
    )
    .unwrap();
    std::fs::write(
        pkg.join(format!("{OUTPUT_NAME}.css")),
        "main { margin: 0 }\n",
    )
    .unwrap();
    root
}

fn unbrotli(compressed: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    brotli::Decompressor::new(compressed, 4096)
        .read_to_end(&mut plain)
        .expect("brotli");
    plain
}

/// The `/pkg/…` URL the home page links with `extension`.
async fn linked(function: &Function, extension: &str) -> String {
    let page = function
        .invoke(&Event::get(FrontDoor::FunctionUrl, "/"))
        .await;
    page.text()
        .split("\"/pkg/")
        .skip(1)
        .map(|rest| format!("/pkg/{}", rest.split('"').next().unwrap_or_default()))
        .find(|url| url.ends_with(extension))
        .unwrap_or_else(|| panic!("the page links a {extension} file"))
}

fn new_post(title: &str) -> Value {
    json!({ "title": title, "post": "Written through an event" })
}

// ---- the routes through each front door ----

#[tokio::test]
async fn a_page_comes_back_as_html_text_through_every_front_door() {
    let function = Function::start().await;
    for door in ALL_FRONT_DOORS {
        let answer = function
            .invoke(&Event::get(door, "/").header("accept", "text/html"))
            .await;

        assert_eq!(answer.status, StatusCode::OK, "{door:?}");
        assert!(answer.header(header::CONTENT_TYPE).starts_with("text/html"));
        assert!(answer.text().contains("<h1>Leptos API Routes"), "{door:?}");
    }
}

#[tokio::test]
async fn an_api_get_answers_json_through_every_front_door() {
    let function = Function::start().await;
    for door in ALL_FRONT_DOORS {
        let answer = function.invoke(&Event::get(door, "/api/hello")).await;

        assert_eq!(answer.status, StatusCode::OK, "{door:?}");
        assert_eq!(answer.header(header::CONTENT_TYPE), "application/json");
        assert_eq!(answer.json(), json!({ "name": "John Doe" }), "{door:?}");
    }
}

#[tokio::test]
async fn a_live_comments_stream_is_a_501_problem_through_every_front_door() {
    let function = Function::start().await;
    let post = function
        .invoke(&Event::post_json(
            ALL_FRONT_DOORS[0],
            "/api/post",
            &json!({ "title": "Live", "post": "Not on Lambda" }),
        ))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    for door in ALL_FRONT_DOORS {
        let path = format!("/api/comments/{post}/events");
        let answer = function.invoke(&Event::get(door, &path)).await;

        assert_eq!(answer.status, StatusCode::NOT_IMPLEMENTED, "{door:?}");
        assert_eq!(
            answer.header(header::CONTENT_TYPE),
            "application/problem+json"
        );
        assert!(answer.text().contains("Lambda"), "{}", answer.text());
    }
}

#[tokio::test]
async fn the_query_string_reaches_the_route_through_every_front_door() {
    let function = Function::start().await;
    for title in ["First", "Second"] {
        let created = function
            .invoke(&Event::post_json(
                FrontDoor::HttpApi,
                "/api/post",
                &new_post(title),
            ))
            .await;
        assert_eq!(created.status, StatusCode::CREATED);
    }
    for door in ALL_FRONT_DOORS {
        let answer = function
            // `%31` is "1": the raw query reaches the route, and is decoded there, once.
            .invoke(&Event::get(door, "/api/post?limit=%31"))
            .await;

        let posts = answer.json()["posts"].clone();
        assert_eq!(posts.as_array().map(Vec::len), Some(1), "{door:?}: {posts}");
        assert_eq!(posts[0]["title"], "Second", "{door:?}");
    }
}

#[tokio::test]
async fn a_json_post_creates_the_post_through_every_front_door() {
    let function = Function::start().await;
    for door in ALL_FRONT_DOORS {
        let answer = function
            .invoke(&Event::post_json(
                door,
                "/api/post",
                &new_post("From Lambda"),
            ))
            .await;

        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "{door:?}: {}",
            answer.text()
        );
        let id = answer.json()["id"].as_i64().expect("an id");
        assert_eq!(answer.header(header::LOCATION), format!("/posts/{id}"));
    }
    assert_eq!(function.database.count("posts").await, 3);
}

#[tokio::test]
async fn a_base64_encoded_form_post_is_decoded_and_answered_with_a_redirect() {
    let function = Function::start().await;
    let form = "title=Sent+without+JavaScript&post=%C3%A9t%C3%A9+%E2%98%83";
    let event = Event::with_body(
        FrontDoor::FunctionUrl,
        "POST",
        "/api/post",
        "application/x-www-form-urlencoded",
        form.as_bytes(),
    );
    assert!(event.to_json().contains("\"isBase64Encoded\":true"));

    let answer = function.invoke(&event).await;

    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text());
    let post = answer.header(header::LOCATION).to_owned();
    let page = function
        .invoke(&Event::get(FrontDoor::FunctionUrl, &post))
        .await;
    assert!(page.text().contains("été ☃"), "{}", page.text());
}

// ---- refusals ----

#[tokio::test]
async fn a_method_the_route_does_not_answer_is_a_405_problem_with_allow() {
    let function = Function::start().await;
    for door in ALL_FRONT_DOORS {
        let answer = function
            .invoke(&Event::new(door, Method::DELETE.as_str(), "/api/hello"))
            .await;

        answer.problem(StatusCode::METHOD_NOT_ALLOWED);
        let mut allowed: Vec<&str> = answer
            .header(header::ALLOW)
            .split(',')
            .map(str::trim)
            .collect();
        allowed.sort_unstable();
        assert_eq!(allowed, ["GET", "HEAD"], "{door:?}");
    }
}

#[tokio::test]
async fn a_body_over_the_routes_limit_is_a_413_problem_and_nothing_is_written() {
    let function = Function::start().await;
    let post = json!({ "title": "Too long", "post": "x".repeat(1024 * 1024) });
    for door in ALL_FRONT_DOORS {
        // Base64, as a front door sends a body it does not take for text.
        let event = Event::post_json(door, "/api/post", &post).base64();

        let answer = function.invoke(&event).await;

        answer.problem(StatusCode::PAYLOAD_TOO_LARGE);
    }
    assert_eq!(function.database.count("posts").await, 0);
}

// ---- static files ----

#[tokio::test]
async fn the_wasm_comes_back_whole_as_a_binary_body() {
    let function = Function::start().await;
    let wasm = linked(&function, ".wasm").await;

    let answer = function
        .invoke(&Event::get(FrontDoor::HttpApi, &wasm))
        .await;

    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header(header::CONTENT_TYPE), "application/wasm");
    assert!(
        answer.binary() == function.built("pkg/leptos-api-routes.wasm"),
        "the wasm differs from the file as built ({} bytes)",
        answer.binary().len()
    );
}

#[tokio::test]
async fn the_brotli_wasm_comes_back_as_a_binary_body_that_decompresses_to_the_file() {
    let function = Function::start().await;
    let wasm = linked(&function, ".wasm").await;
    let event =
        Event::get(FrontDoor::FunctionUrl, &wasm).header("accept-encoding", "gzip, deflate, br");

    let answer = function.invoke(&event).await;

    assert_eq!(answer.header(header::CONTENT_ENCODING), "br");
    assert_eq!(
        answer.header(header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert!(unbrotli(answer.binary()) == function.built("pkg/leptos-api-routes.wasm"));
}

#[tokio::test]
async fn a_compressed_page_comes_back_as_a_binary_body() {
    let function = Function::start().await;
    let event = Event::get(FrontDoor::HttpApi, "/").header("accept-encoding", "br");

    let answer = function.invoke(&event).await;

    assert_eq!(answer.header(header::CONTENT_ENCODING), "br");
    let page = String::from_utf8(unbrotli(answer.binary())).expect("UTF-8 HTML");
    assert!(page.contains("<h1>Leptos API Routes"));
}

// ---- preview mode: the cookie through the events ----

/// Enters preview mode for `slug` through `door`; returns the cookie as `name=value`.
async fn enter_preview(function: &Function, door: FrontDoor, slug: &str) -> String {
    let answer = function
        .invoke(&Event::get(
            door,
            &format!("/api/preview?secret={PREVIEW_SECRET}&slug={slug}"),
        ))
        .await;
    assert_eq!(
        answer.status,
        StatusCode::TEMPORARY_REDIRECT,
        "{}",
        answer.text()
    );
    let cookie = answer.header(header::SET_COOKIE);
    assert!(
        cookie.contains("; Secure"),
        "https through the front door: {cookie}"
    );
    cookie.split(';').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn the_preview_cookie_shows_a_draft_through_every_front_door_and_is_never_shared() {
    let function = Function::start().await;
    let created = function
        .invoke(&Event::post_json(
            FrontDoor::HttpApi,
            "/api/post",
            &json!({ "title": "Secret plans", "post": "Not yet", "draft": true }),
        ))
        .await;
    let draft = created.json()["id"].as_i64().expect("an id");
    let page = format!("/posts/{draft}");
    for door in ALL_FRONT_DOORS {
        let cookie = enter_preview(&function, door, &page).await;

        let seen = function
            .invoke(&Event::get(door, &page).cookie(&cookie))
            .await;
        let unseen = function.invoke(&Event::get(door, &page)).await;

        assert_eq!(seen.status, StatusCode::OK, "{door:?}");
        assert!(seen.text().contains("Secret plans"), "{door:?}");
        assert_eq!(seen.header(header::CACHE_CONTROL), "private, no-store");
        assert_eq!(unseen.status, StatusCode::NOT_FOUND, "{door:?}");
    }
}

// ---- the client's address, the stage ----

#[tokio::test]
async fn the_write_limit_counts_the_events_source_ip() {
    let function = Function::start_with(|config| {
        config.http = HttpConfig {
            rate_limit_per_minute: NonZeroU32::new(2),
            ..test_http_config()
        }
    })
    .await;
    let post =
        |ip: &str, door| Event::post_json(door, "/api/post", &new_post("Limited")).source_ip(ip);
    for door in [FrontDoor::HttpApi, FrontDoor::RestApi] {
        let answer = function.invoke(&post("198.51.100.1", door)).await;
        assert_eq!(answer.status, StatusCode::CREATED);
    }

    let third = function
        .invoke(&post("198.51.100.1", FrontDoor::FunctionUrl))
        .await;
    let other_client = function
        .invoke(&post("198.51.100.2", FrontDoor::FunctionUrl))
        .await;

    third.problem(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(other_client.status, StatusCode::CREATED);
}

#[tokio::test]
async fn the_stage_of_a_rest_api_is_not_part_of_the_apps_path() {
    let function = Function::start().await;

    let answer = function
        .invoke(&Event::get(FrontDoor::RestApi, "/api/hello").stage("prod"))
        .await;

    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json(), json!({ "name": "John Doe" }));
}

#[tokio::test]
async fn the_named_stage_of_an_http_api_is_not_part_of_the_apps_path() {
    let function = Function::start().await;

    let answer = function
        .invoke(&Event::get(FrontDoor::HttpApi, "/api/post?limit=1").stage("staging"))
        .await;

    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["posts"], json!([]));
}
