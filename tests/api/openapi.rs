//! `GET /api/openapi.json`: the document is OpenAPI 3.1, and it describes exactly the routes the
//! server mounts under `/api` — checked against the running server, not against the code that
//! builds the document.
//!
//! Why not compare the document with a list of routes? A list that both the router and the test
//! read proves only that the list agrees with itself; a route mounted beside it (a `.route()` that
//! skips `routes!`, a `route_service`, a mount in `server.rs`) would pass unseen. Here both
//! directions ask the server:
//! - documented → mounted: every documented method on every documented path, sent to the server,
//!   reaches a handler (no 405, no "No API route matches" fallback 404);
//! - mounted → documented: every path-like string literal in `src/` (alone, under `/api`, and
//!   joined to another literal, for nested routers) is sent an unknown method. axum answers a path it
//!   routes with 405 and an `Allow` header naming every method mounted there, and any other path
//!   with the fallback 404; so the methods the server itself reports must be the documented ones.
//!   A route whose path is assembled at run time from pieces that are not literals would escape this
//!   probe; mount routes with their path written out, as `#[utoipa::path(path = "...")]` does.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::Path,
};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{JSON, TestApp, allowed_methods, assert_problem, content_type, detail};

const OPERATION_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

#[tokio::test]
async fn the_served_document_is_openapi_3_1_with_every_reference_resolved() {
    let app = TestApp::spawn().await;

    let response = app.get("/api/openapi.json").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(content_type(&response), JSON);
    let document: Value = response.json().await.expect("the document is JSON");
    let version = document["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1."), "OpenAPI 3.1, not {version:?}");
    assert_eq!(document["info"]["title"], "leptos-api-routes");
    assert!(document["info"]["version"].is_string());
    let mut references = Vec::new();
    collect_references(&document, &mut references);
    assert!(!references.is_empty(), "shared schemas are referenced");
    for reference in references {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{reference} points outside the document"));
        assert!(document.pointer(pointer).is_some(), "{reference} resolves");
    }
}

#[tokio::test]
async fn every_error_the_document_lists_is_a_problem_json_body() {
    let app = TestApp::spawn().await;
    let document = served_document(&app).await;

    for (path, method, operation) in operations(&document) {
        for (status, answer) in operation["responses"].as_object().expect("responses") {
            if !status.starts_with('4') && !status.starts_with('5') {
                continue;
            }
            let answer = resolve(&document, answer);
            assert_eq!(
                answer["content"]["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{method} {path} {status}"
            );
        }
    }
}

#[tokio::test]
async fn every_documented_operation_reaches_a_handler_and_answers_a_documented_status() {
    let app = TestApp::spawn().await;
    let document = served_document(&app).await;
    let operations = operations(&document);
    assert!(
        operations.len() >= 8,
        "the document lists the API's operations"
    );

    for (path, method, operation) in operations {
        let url = concrete(&path);
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
        // A body for the methods that take one: the shape is not the point, reaching the handler is.
        let response = if operation.get("requestBody").is_some() {
            app.send(method.clone(), &url, JSON, json!({}).to_string())
                .await
        } else {
            app.request(method.clone(), &url).await
        };

        let status = response.status();
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {url} is routed"
        );
        let documented = operation["responses"].as_object().expect("responses");
        assert!(
            documented.contains_key(status.as_str()),
            "{method} {url} answered {status}, which its operation does not list"
        );
        if status == StatusCode::NOT_FOUND {
            let problem = assert_problem(response, status).await;
            assert!(
                !detail(&problem).starts_with("No API route matches"),
                "{method} {url} reached a handler, not the fallback: {problem}"
            );
        }
    }
}

#[tokio::test]
async fn every_route_mounted_under_api_is_in_the_document_with_the_same_methods() {
    let app = TestApp::spawn().await;
    let document = served_document(&app).await;
    let documented = documented_methods(&document);
    let probe = Method::from_bytes(b"PROBE").expect("a valid extension method");
    let mut mounted = BTreeMap::new();

    for url in candidate_urls() {
        let response = app.request(probe.clone(), &url).await;
        if response.status() == StatusCode::NOT_FOUND {
            assert_eq!(
                content_type(&response),
                "application/problem+json",
                "PROBE {url}"
            );
            let problem = assert_problem(response, StatusCode::NOT_FOUND).await;
            assert!(
                detail(&problem).starts_with("No API route matches"),
                "PROBE {url}: a route answered 404 to a method it does not have: {problem}"
            );
            continue;
        }
        // Anything else is a route (or a layer) that takes any method: it needs documenting, or a
        // middleware answered before routing, and the probe needs to get past it.
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "PROBE {url}: neither routed with 405 nor the fallback 404"
        );
        let mut methods: BTreeSet<String> = allowed_methods(&response).into_iter().collect();
        // axum answers HEAD wherever there is a GET; the document lists the GET.
        if methods.contains("GET") {
            methods.remove("HEAD");
        }
        let template = documented
            .keys()
            .find(|template| matches_template(template, &url))
            .unwrap_or_else(|| panic!("{url} is mounted ({methods:?}) but not documented"));
        assert_eq!(
            methods, documented[template],
            "{url}: the methods mounted are the methods documented"
        );
        mounted.insert(template.clone(), methods);
    }

    assert_eq!(
        mounted.keys().collect::<Vec<_>>(),
        documented.keys().collect::<Vec<_>>(),
        "every documented path was found by the probe as well"
    );
}

#[tokio::test]
async fn the_comments_list_documents_its_paging_parameters_and_their_limits() {
    let app = TestApp::spawn().await;
    let document = served_document(&app).await;

    let operation = &document["paths"]["/api/comments/{id}"]["get"];
    let parameter = |name: &str| {
        operation["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .find(|parameter| parameter["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("a {name} parameter: {operation}"))
    };

    let limit = parameter("limit");
    let cursor = parameter("cursor");
    assert_eq!(
        (&limit["in"], &limit["required"]),
        (&json!("query"), &json!(false))
    );
    assert_eq!(limit["schema"]["minimum"], 1, "{limit}");
    assert_eq!(limit["schema"]["maximum"], 100, "{limit}");
    assert_eq!(
        (&cursor["in"], &cursor["required"]),
        (&json!("query"), &json!(false))
    );
    let page = &document["components"]["schemas"]["CommentsForPost"];
    assert!(page["properties"].get("next_cursor").is_some(), "{page}");
}

async fn served_document(app: &TestApp) -> Value {
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("the document is JSON")
}

/// `(path, method, operation)` for every operation of the document.
fn operations(document: &Value) -> Vec<(String, String, Value)> {
    let paths = document["paths"].as_object().expect("paths");
    let mut operations = Vec::new();
    for (path, item) in paths {
        for method in OPERATION_METHODS {
            if let Some(operation) = item.get(method) {
                operations.push((path.clone(), method.to_owned(), operation.clone()));
            }
        }
    }
    operations
}

/// The methods of each documented path, upper-case as `Allow` writes them.
fn documented_methods(document: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut methods: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, method, _) in operations(document) {
        methods
            .entry(path)
            .or_default()
            .insert(method.to_uppercase());
    }
    methods
}

/// A response object, following its `$ref` into `components` if it has one.
fn resolve<'a>(document: &'a Value, answer: &'a Value) -> &'a Value {
    match answer["$ref"].as_str() {
        Some(reference) => document
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("{reference} resolves")),
        None => answer,
    }
}

fn collect_references(value: &Value, references: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(reference)) = object.get("$ref") {
                references.push(reference.clone());
            }
            object
                .values()
                .for_each(|value| collect_references(value, references));
        }
        Value::Array(items) => items
            .iter()
            .for_each(|value| collect_references(value, references)),
        _ => {}
    }
}

/// A path template with every `{parameter}` filled in with `1`.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                "1"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn matches_template(template: &str, url: &str) -> bool {
    let (template, url): (Vec<_>, Vec<_>) =
        (template.split('/').collect(), url.split('/').collect());
    template.len() == url.len()
        && template
            .iter()
            .zip(&url)
            .all(|(expected, actual)| expected.starts_with('{') || expected == actual)
}

/// Every URL under `/api` that a route path written in `src/` could stand for.
fn candidate_urls() -> BTreeSet<String> {
    let mut literals = BTreeSet::new();
    collect_path_literals(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut literals,
    );
    assert!(
        literals.contains("/api/hello"),
        "the scan finds the route paths in src/: {literals:?}"
    );
    let mut urls = BTreeSet::new();
    for first in &literals {
        urls.insert(first.clone());
        urls.insert(format!("/api{first}"));
        for second in &literals {
            urls.insert(format!("/api{first}{second}"));
        }
    }
    urls.into_iter()
        .filter(|url| url.starts_with("/api"))
        .map(|url| concrete(&url))
        .collect()
}

/// String literals in the Rust files under `folder` that look like URL paths (`"/post/{id}"`).
fn collect_path_literals(folder: &Path, literals: &mut BTreeSet<String>) {
    for entry in fs::read_dir(folder).expect("src/ is readable") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            collect_path_literals(&path, literals);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            let source = fs::read_to_string(&path).expect("a source file is UTF-8");
            // Between quotes: every odd piece of a line split on `"`.
            for line in source.lines() {
                for piece in line.split('"').skip(1).step_by(2) {
                    let path_like = piece.starts_with('/')
                        && piece
                            .bytes()
                            .all(|byte| byte.is_ascii_alphanumeric() || b"/{}_.-".contains(&byte));
                    if path_like {
                        literals.insert(piece.to_owned());
                    }
                }
            }
        }
    }
}

/// The document as committed (`openapi.snapshot.json`): a refactor changes no byte of it, and a change
/// to the API shows in review. After an intended change: `UPDATE_OPENAPI_SNAPSHOT=1 cargo test
/// --features ssr --test api -- openapi::the_served_document_is_the_committed_one`.
#[tokio::test]
async fn the_served_document_is_the_committed_one() {
    let app = TestApp::spawn().await;
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/openapi.snapshot.json");

    let served = app.get("/api/openapi.json").await.text().await.unwrap();

    if std::env::var_os("UPDATE_OPENAPI_SNAPSHOT").is_some() {
        fs::write(&snapshot, &served).unwrap();
    }
    let committed = fs::read_to_string(&snapshot).unwrap();
    assert!(
        served == committed,
        "/api/openapi.json differs from {}: if the change is intended, run the test again with \
         UPDATE_OPENAPI_SNAPSHOT=1 and commit the file",
        snapshot.display()
    );
}
