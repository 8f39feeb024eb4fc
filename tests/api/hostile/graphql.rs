//! The GraphQL route against documents built to overflow async-graphql's parser (issue 20, finding
//! 1): list and object values nested thousands deep, over POST and GET, and `variables` nested past
//! what serde_json reads. Each is refused before anything parses it, and the process keeps serving.

use leptos_api_routes::api::graphql::nesting::MAX_NESTING;
use serde_json::Value;

use super::{RawAnswer, assert_still_serving, send_raw};
use crate::support::TestApp;

/// `{post(id:[[[…1…]]]){id}}`, 2 000 lists deep: 4 KiB that overflowed the parser's stack.
fn deep_lists() -> String {
    lists(2000)
}

fn lists(depth: usize) -> String {
    format!(
        "{{post(id:{}1{}){{id}}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

/// `{post(id:{a:{a:…1…}}){id}}`, 3 000 objects deep.
fn deep_objects() -> String {
    format!(
        "{{post(id:{}1{}){{id}}}}",
        "{a:".repeat(3000),
        "}".repeat(3000)
    )
}

/// A POST of `body` as JSON, asking for `accept`.
fn post(body: &str, accept: &str) -> Vec<u8> {
    format!(
        "POST /api/graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Accept: {accept}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A GET with `query` percent-encoded in the query string, asking for `accept`.
fn get(query: &str, accept: &str) -> Vec<u8> {
    format!(
        "GET /api/graphql?query={} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\n\
         Connection: close\r\n\r\n",
        percent_encoded(query)
    )
    .into_bytes()
}

fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// The guard's refusal: a GraphQL answer of type `media_type` with `status`, one error saying
/// why, and no `data` (the document never ran).
fn assert_refused(answer: &RawAnswer, status: u16, media_type: &str) {
    assert_eq!(answer.status, status, "{}", answer.text());
    assert!(
        answer
            .header("content-type")
            .is_some_and(|value| value.starts_with(media_type)),
        "{answer:?}"
    );
    let body: Value = serde_json::from_slice(&answer.body).expect("a GraphQL answer");
    assert_eq!(
        body["errors"][0]["message"],
        format!("The document nests brackets more than {MAX_NESTING} deep."),
        "{body}"
    );
    assert!(body.get("data").is_none(), "{body}");
}

const JSON: &str = "application/json";
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

#[tokio::test]
async fn a_post_of_lists_nested_2000_deep_is_refused_and_the_server_keeps_serving() {
    let app = TestApp::spawn().await;
    let body = serde_json::json!({ "query": deep_lists() }).to_string();

    let answer = send_raw(app.addr, &post(&body, JSON)).await;

    assert_refused(&answer, 200, JSON);
    assert_still_serving(&app).await;
}

/// What aborts a debug build, whose larger frames fill a 2 MiB stack sooner: the parser (pest)
/// checks how much stack it has left and refuses 2 000 lists there, but passes 500, and the
/// recursion that turns them into async-graphql values then overflows.
#[tokio::test]
async fn a_post_of_lists_nested_500_deep_is_refused_and_the_server_keeps_serving() {
    let app = TestApp::spawn().await;
    let body = serde_json::json!({ "query": lists(500) }).to_string();

    let answer = send_raw(app.addr, &post(&body, JSON)).await;

    assert_refused(&answer, 200, JSON);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_post_of_objects_nested_3000_deep_is_refused_and_the_server_keeps_serving() {
    let app = TestApp::spawn().await;
    let body = serde_json::json!({ "query": deep_objects() }).to_string();

    let answer = send_raw(app.addr, &post(&body, GRAPHQL_RESPONSE)).await;

    assert_refused(&answer, 400, GRAPHQL_RESPONSE);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_get_of_lists_nested_2000_deep_is_refused_and_the_server_keeps_serving() {
    let app = TestApp::spawn().await;

    let answer = send_raw(app.addr, &get(&deep_lists(), GRAPHQL_RESPONSE)).await;

    assert_refused(&answer, 400, GRAPHQL_RESPONSE);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_get_of_objects_nested_3000_deep_is_refused_and_the_server_keeps_serving() {
    let app = TestApp::spawn().await;

    let answer = send_raw(app.addr, &get(&deep_objects(), JSON)).await;

    assert_refused(&answer, 200, JSON);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn variables_nested_3000_deep_are_a_400_problem_and_the_server_keeps_serving() {
    let app = TestApp::spawn().await;
    let body = format!(
        r#"{{"query":"query($id: PostId!) {{ post(id: $id) {{ id }} }}","variables":{{"id":{}1{}}}}}"#,
        "[".repeat(3000),
        "]".repeat(3000)
    );

    let answer = send_raw(app.addr, &post(&body, JSON)).await;

    assert_eq!(answer.status, 400, "{}", answer.text());
    let problem = answer.problem();
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("recursion limit")),
        "{problem}"
    );
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn ten_thousand_typename_aliases_are_refused_and_the_server_keeps_serving() {
    let app = TestApp::spawn().await;
    let aliases: String = (0..10_000).map(|n| format!("t{n}:__typename ")).collect();
    let body = serde_json::json!({ "query": format!("{{{aliases}}}") }).to_string();

    let answer = send_raw(app.addr, &post(&body, GRAPHQL_RESPONSE)).await;

    assert_eq!(answer.status, 400, "{}", answer.text());
    let body: Value = serde_json::from_slice(&answer.body).expect("a GraphQL answer");
    assert_eq!(
        body["errors"][0]["message"], "Query is too complex.",
        "{body}"
    );
    assert_still_serving(&app).await;
}

/// `fragment f0 on Query{...f1} … fragment f5999 on Query{__typename}`: each fragment one bracket
/// deep, the chain 6 000 spreads long (196 KB). Unused, it was walked by validation without a
/// bound and overflowed its stack; used, it is deeper than any count goes.
fn fragment_chain(operation: &str) -> String {
    let chain: String = (0..6000)
        .map(|index| format!("fragment f{index} on Query{{...f{}}}", index + 1))
        .collect();
    format!("{operation}{chain}fragment f6000 on Query{{__typename}}")
}

/// The answer's one error message, from an `application/json` GraphQL answer that never ran.
fn refusal_message(answer: &RawAnswer) -> String {
    assert_eq!(answer.status, 200, "{}", answer.text());
    let body: Value = serde_json::from_slice(&answer.body).expect("a GraphQL answer");
    assert!(body.get("data").is_none(), "{body}");
    body["errors"][0]["message"]
        .as_str()
        .expect("an error message")
        .to_owned()
}

#[tokio::test]
async fn a_chain_of_6000_unused_fragments_is_refused_and_the_server_keeps_serving() {
    let app = TestApp::spawn().await;
    let body = serde_json::json!({ "query": fragment_chain("{__typename}") }).to_string();

    let answer = send_raw(app.addr, &post(&body, "application/json")).await;

    let message = refusal_message(&answer);
    assert!(
        message.starts_with("Fragment \"f") && message.ends_with("\" is never used"),
        "{message}"
    );
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_chain_of_6000_fragments_spread_by_the_query_is_refused_and_the_server_keeps_serving() {
    let app = TestApp::spawn().await;
    let body = serde_json::json!({ "query": fragment_chain("{...f0}") }).to_string();

    let answer = send_raw(app.addr, &post(&body, "application/json")).await;

    assert_eq!(refusal_message(&answer), "Query is nested too deep.");
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn fragments_that_each_spread_the_next_eight_are_refused_at_once() {
    let app = TestApp::spawn().await;
    let count = 4000;
    let fragments: String = (0..count)
        .map(|index| {
            let spreads: String = (1..=8)
                .rev()
                .map(|step| format!("...f{}", (index + step).min(count)))
                .collect();
            format!("fragment f{index} on Query{{{spreads}}}")
        })
        .collect();
    let query = format!("{{...f0}}{fragments}fragment f{count} on Query{{__typename}}");
    let body = serde_json::json!({ "query": query }).to_string();

    let answer = send_raw(app.addr, &post(&body, "application/json")).await;

    let message = refusal_message(&answer);
    assert!(
        ["Query is too complex.", "Query is nested too deep."].contains(&message.as_str()),
        "{message}"
    );
    assert_still_serving(&app).await;
}
