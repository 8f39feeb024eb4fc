//! `/api/trivia/{number}`: built-in facts without an upstream; with one (a stub server started by the
//! test on a loopback port), upstream answers, the cache, and the fallbacks when it fails or hangs.

use std::{
    net::SocketAddr,
    num::NonZeroU32,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router,
    extract::{Path, State},
    response::{IntoResponse, Response},
    routing::get,
};
use leptos_api_routes::{
    config::{Backend, TriviaConfig},
    trivia::facts,
};
use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::support::{TestApp, allowed_methods, assert_problem, content_type};

/// How the stub upstream answers `GET /{number}`.
#[derive(Clone, Copy)]
pub enum Behaviour {
    /// 200 with [`stub_text`].
    Answer,
    /// 500, as a service that is down.
    Fail,
    /// Nothing for far longer than any timeout under test.
    Hang,
    /// 200 with an empty body.
    AnswerNothing,
    /// 200 with 20 KiB of text, more than the server accepts.
    Ramble,
}

/// What the stub says about `number` when it answers.
fn stub_text(number: &str) -> String {
    format!("{number} is the stub's favourite number.")
}

/// A trivia service on 127.0.0.1 whose behaviour a test can change, counting the requests it gets.
/// It stops with the test's runtime.
pub struct StubUpstream {
    addr: SocketAddr,
    state: Arc<StubState>,
}

struct StubState {
    behaviour: Mutex<Behaviour>,
    requests: AtomicUsize,
}

impl StubUpstream {
    pub async fn start(behaviour: Behaviour) -> Self {
        let state = Arc::new(StubState {
            behaviour: Mutex::new(behaviour),
            requests: AtomicUsize::new(0),
        });
        let router = Router::new()
            .route("/{number}", get(stub_answer))
            .with_state(Arc::clone(&state));
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free loopback port");
        let addr = listener.local_addr().expect("a bound address");
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { addr, state }
    }

    fn url(&self) -> Url {
        Url::parse(&format!("http://{}", self.addr)).expect("a valid URL")
    }

    fn behave(&self, behaviour: Behaviour) {
        *self.state.behaviour.lock().expect("an unpoisoned lock") = behaviour;
    }

    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// The trivia settings that point the server at this stub.
    pub fn config(&self, timeout: Duration) -> TriviaConfig {
        TriviaConfig {
            api_url: Some(self.url()),
            timeout,
            ..TriviaConfig::default()
        }
    }
}

async fn stub_answer(State(state): State<Arc<StubState>>, Path(number): Path<String>) -> Response {
    state.requests.fetch_add(1, Ordering::SeqCst);
    let behaviour = *state.behaviour.lock().expect("an unpoisoned lock");
    match behaviour {
        Behaviour::Answer => stub_text(&number).into_response(),
        Behaviour::Fail => (StatusCode::INTERNAL_SERVER_ERROR, "upstream is down").into_response(),
        Behaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            stub_text(&number).into_response()
        }
        Behaviour::AnswerNothing => String::new().into_response(),
        Behaviour::Ramble => "trivia ".repeat(3 * 1024).into_response(),
    }
}

/// Generous, so a loaded machine does not turn a good stub answer into a timeout.
pub const PATIENT: Duration = Duration::from_secs(5);

/// Short, so the hanging stub is given up on quickly.
const IMPATIENT: Duration = Duration::from_millis(300);

/// Asks the server about `number`; checks the answer is a JSON 200 that does not leak the upstream's
/// address (every upstream in these tests is on 127.0.0.1).
async fn ask(app: &TestApp, number: &str) -> Value {
    let response = app.get(&format!("/api/trivia/{number}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(content_type(&response).starts_with("application/json"));
    let text = response.text().await.unwrap();
    assert!(
        !text.contains("127.0.0.1"),
        "the upstream address stays on the server: {text}"
    );
    serde_json::from_str(&text).expect("a JSON body")
}

// ---- without an upstream ----

#[tokio::test]
async fn trivia_answers_builtin_facts_when_no_upstream_is_configured() {
    let app = TestApp::spawn().await;

    let trivia = ask(&app, "42").await;

    assert_eq!(
        trivia,
        json!({ "number": 42, "text": facts::describe(42), "source": "builtin" })
    );
}

#[tokio::test]
async fn trivia_answers_for_a_negative_number() {
    let app = TestApp::spawn().await;

    let trivia = ask(&app, "-27").await;

    assert_eq!(trivia["number"], -27);
    assert_eq!(trivia["text"], facts::describe(-27));
    assert_eq!(trivia["source"], "builtin");
}

#[tokio::test]
async fn trivia_answers_for_the_smallest_and_largest_64_bit_integers() {
    let app = TestApp::spawn().await;

    let smallest = ask(&app, &i64::MIN.to_string()).await;
    let largest = ask(&app, &i64::MAX.to_string()).await;

    assert_eq!(smallest["number"], i64::MIN);
    assert_eq!(smallest["text"], facts::describe(i64::MIN));
    assert_eq!(largest["number"], i64::MAX);
    assert_eq!(largest["text"], facts::describe(i64::MAX));
}

#[tokio::test]
async fn trivia_answers_400_when_the_number_is_not_a_64_bit_integer() {
    let app = TestApp::spawn().await;

    for number in ["abc", "1.5", "9223372036854775808", "-9223372036854775809"] {
        let response = app.get(&format!("/api/trivia/{number}")).await;

        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{number}");
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
}

#[tokio::test]
async fn the_trivia_route_answers_405_with_allow_for_post() {
    let app = TestApp::spawn().await;

    let response = app.request(Method::POST, "/api/trivia/1").await;

    assert_eq!(allowed_methods(&response), ["GET", "HEAD"]);
    assert_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
}

// ---- with an upstream ----

#[tokio::test]
async fn trivia_answers_from_the_upstream_when_it_answers() {
    let upstream = StubUpstream::start(Behaviour::Answer).await;
    let app = TestApp::spawn_with_trivia(upstream.config(PATIENT)).await;

    let trivia = ask(&app, "42").await;

    assert_eq!(
        trivia,
        json!({ "number": 42, "text": stub_text("42"), "source": "upstream" })
    );
    assert_eq!(upstream.requests(), 1);
}

#[tokio::test]
async fn trivia_answers_from_the_cache_when_asked_again() {
    let upstream = StubUpstream::start(Behaviour::Answer).await;
    let app = TestApp::spawn_with_trivia(upstream.config(PATIENT)).await;
    ask(&app, "42").await;

    let trivia = ask(&app, "42").await;

    assert_eq!(
        trivia,
        json!({ "number": 42, "text": stub_text("42"), "source": "cache" })
    );
    assert_eq!(upstream.requests(), 1, "the upstream is asked only once");
}

#[tokio::test]
async fn trivia_falls_back_to_builtin_facts_and_caches_nothing_when_the_upstream_fails() {
    let upstream = StubUpstream::start(Behaviour::Fail).await;
    let app = TestApp::spawn_with_trivia(upstream.config(PATIENT)).await;

    let trivia = ask(&app, "7").await;

    assert_eq!(
        trivia,
        json!({ "number": 7, "text": facts::describe(7), "source": "builtin" })
    );
    assert_eq!(upstream.requests(), 1);
    assert_eq!(app.count("trivia_cache").await, 0);
}

#[tokio::test]
async fn trivia_serves_cached_answers_and_builtin_facts_for_new_numbers_while_the_upstream_fails() {
    let upstream = StubUpstream::start(Behaviour::Answer).await;
    let app = TestApp::spawn_with_trivia(upstream.config(PATIENT)).await;
    ask(&app, "42").await;
    upstream.behave(Behaviour::Fail);

    let cached = ask(&app, "42").await;
    let fresh = ask(&app, "43").await;

    assert_eq!(cached["source"], "cache");
    assert_eq!(cached["text"], stub_text("42"));
    assert_eq!(fresh["source"], "builtin");
    assert_eq!(fresh["text"], facts::describe(43));
}

#[tokio::test]
async fn trivia_serves_a_stale_cached_answer_when_the_upstream_fails() {
    let upstream = StubUpstream::start(Behaviour::Answer).await;
    let app = TestApp::spawn_with_trivia(upstream.config(PATIENT)).await;
    ask(&app, "42").await;
    let two_days_earlier = match app.backend() {
        Backend::Sqlite => "UPDATE trivia_cache SET fetched_at = fetched_at - 2 * 24 * 60 * 60",
        Backend::Postgres => "UPDATE trivia_cache SET fetched_at = fetched_at - interval '2 days'",
    };
    assert_eq!(app.database().execute(two_days_earlier).await, 1);
    upstream.behave(Behaviour::Fail);

    let trivia = ask(&app, "42").await;

    assert_eq!(
        upstream.requests(),
        2,
        "a stale answer sends the server upstream"
    );
    assert_eq!(trivia["source"], "cache");
    assert_eq!(trivia["text"], stub_text("42"));
}

/// The numbers the trivia cache holds, in order.
async fn cached_numbers(app: &TestApp) -> Vec<i64> {
    app.database()
        .column("SELECT number FROM trivia_cache ORDER BY number")
        .await
}

/// Moves the fetch of `number` `seconds` into the past, so that the order of fetches does not hang
/// on the clock's resolution.
async fn fetched_earlier(app: &TestApp, number: i64, seconds: u32) {
    let sql = match app.backend() {
        Backend::Sqlite => format!(
            "UPDATE trivia_cache SET fetched_at = fetched_at - {seconds} WHERE number = {number}"
        ),
        Backend::Postgres => format!(
            "UPDATE trivia_cache SET fetched_at = fetched_at - interval '{seconds} seconds' \
             WHERE number = {number}"
        ),
    };
    assert_eq!(app.database().execute(&sql).await, 1);
}

#[tokio::test]
async fn the_trivia_cache_keeps_its_maximum_and_evicts_the_answers_fetched_longest_ago() {
    let upstream = StubUpstream::start(Behaviour::Answer).await;
    let app = TestApp::spawn_with_trivia(TriviaConfig {
        cache_max_entries: NonZeroU32::new(2).expect("a positive maximum"),
        ..upstream.config(PATIENT)
    })
    .await;
    ask(&app, "30").await;
    fetched_earlier(&app, 30, 20).await;
    ask(&app, "10").await;
    fetched_earlier(&app, 10, 10).await;

    ask(&app, "20").await;
    let after_one_more = cached_numbers(&app).await;
    let from_cache = ask(&app, "10").await;
    ask(&app, "30").await;

    assert_eq!(after_one_more, [10, 20], "30 was fetched longest ago");
    assert_eq!(from_cache["source"], "cache", "a cache hit is no new fetch");
    assert_eq!(
        cached_numbers(&app).await,
        [20, 30],
        "10 was fetched before 20"
    );
    assert_eq!(upstream.requests(), 4, "30 was asked upstream again");
}

#[tokio::test]
async fn trivia_falls_back_to_builtin_facts_within_the_timeout_when_the_upstream_hangs() {
    let upstream = StubUpstream::start(Behaviour::Hang).await;
    let app = TestApp::spawn_with_trivia(upstream.config(IMPATIENT)).await;
    let started = Instant::now();

    let trivia = ask(&app, "7").await;

    let took = started.elapsed();
    assert!(
        took < IMPATIENT + Duration::from_secs(1),
        "answered after {took:?}"
    );
    assert_eq!(trivia["source"], "builtin");
    assert_eq!(trivia["text"], facts::describe(7));
}

#[tokio::test]
async fn trivia_falls_back_to_builtin_facts_when_the_upstream_answers_an_empty_or_oversized_text() {
    let upstream = StubUpstream::start(Behaviour::AnswerNothing).await;
    let app = TestApp::spawn_with_trivia(upstream.config(PATIENT)).await;

    for (behaviour, number) in [(Behaviour::AnswerNothing, 7), (Behaviour::Ramble, 8)] {
        upstream.behave(behaviour);

        let trivia = ask(&app, &number.to_string()).await;

        assert_eq!(trivia["source"], "builtin", "{number}");
        assert_eq!(trivia["text"], facts::describe(number));
    }
    assert_eq!(app.count("trivia_cache").await, 0);
}

#[tokio::test]
async fn trivia_falls_back_to_builtin_facts_when_the_upstream_refuses_connections() {
    let closed_port = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free loopback port")
        .local_addr()
        .expect("a bound address");
    let app = TestApp::spawn_with_trivia(TriviaConfig {
        api_url: Some(Url::parse(&format!("http://{closed_port}")).expect("a valid URL")),
        timeout: PATIENT,
        ..TriviaConfig::default()
    })
    .await;

    let trivia = ask(&app, "7").await;

    assert_eq!(trivia["source"], "builtin");
}
