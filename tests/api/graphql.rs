//! `/api/graphql`: queries and mutations over the same data as the REST routes, the same validation,
//! the depth and complexity limits, and the transport of the GraphQL over HTTP specification (media
//! types by `Accept`, the status of each kind of failure, GET for queries, POST for both,
//! problem+json for requests that are not GraphQL at all).

use leptos_api_routes::api::graphql::{nesting::MAX_NESTING, schema::MAX_DEPTH};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{
    JSON, TestApp, allowed_methods, assert_problem, content_type, detail, header,
};

const ROUTE: &str = "/api/graphql";

/// The media type the specification prefers for answers.
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// POSTs `body` as JSON with the given `Accept` header and returns the raw response.
async fn post_accepting(app: &TestApp, accept: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(ROUTE))
        .header(reqwest::header::ACCEPT, accept)
        .json(body)
        .send()
        .await
        .expect("the server answers")
}

/// GETs `/api/graphql` with these query-string parameters.
async fn get_with_query(app: &TestApp, parameters: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .get(app.url(ROUTE))
        .query(parameters)
        .send()
        .await
        .expect("the server answers")
}

/// POSTs `query` with `variables` and returns the GraphQL answer (`data`, `errors`), checking that
/// the transport itself succeeded.
async fn graphql(app: &TestApp, query: &str, variables: Value) -> Value {
    let response = app
        .post_json(ROUTE, &json!({ "query": query, "variables": variables }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("a JSON answer")
}

/// The `data` of an answer that has no errors.
async fn data(app: &TestApp, query: &str, variables: Value) -> Value {
    let answer = graphql(app, query, variables).await;
    assert!(answer.get("errors").is_none(), "no errors: {answer}");
    answer["data"].clone()
}

/// The one error of an answer.
fn only_error(answer: &Value) -> &Value {
    let errors = answer["errors"].as_array().expect("an errors list");
    assert_eq!(errors.len(), 1, "one error: {answer}");
    &errors[0]
}

fn message(error: &Value) -> &str {
    error["message"].as_str().unwrap_or_default()
}

const POSTS_PAGE: &str = "query Page($limit: Int!, $cursor: PostId) {
    posts(limit: $limit, cursor: $cursor) { posts { id title commentCount } nextCursor }
}";

fn ids_on(page: &Value) -> Vec<i64> {
    page["posts"]["posts"]
        .as_array()
        .expect("a posts list")
        .iter()
        .map(|post| post["id"].as_i64().expect("a numeric id"))
        .collect()
}

/// Introspection nested `levels` deep: the only way to nest deeply in this schema.
fn introspection_nested(levels: usize) -> String {
    // __schema, types, fields and type, the `ofType`s, then `name`: one level each.
    let of_types = "ofType { ".repeat(levels - 5);
    let closing = "} ".repeat(levels - 5);
    format!("{{ __schema {{ types {{ fields {{ type {{ {of_types} name {closing} }} }} }} }} }}")
}

/// `{ post(id: [[…1…]]) { id } }`, its lists nested so that the document nests `depth` deep.
fn lists_nested(depth: usize) -> String {
    // The operation's braces and the arguments' parenthesis are two of the levels.
    let lists = depth - 2;
    format!(
        "{{ post(id: {}1{}) {{ id }} }}",
        "[".repeat(lists),
        "]".repeat(lists)
    )
}

/// `[[…1…]]` as JSON text, `depth` lists deep.
fn json_lists(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

fn nesting_refusal() -> String {
    format!("The document nests brackets more than {MAX_NESTING} deep.")
}

/// `count` aliases of `__typename`.
fn typename_aliases(count: usize) -> String {
    (0..count).map(|n| format!("t{n}: __typename ")).collect()
}

// ---- queries ----

#[tokio::test]
async fn posts_come_newest_first_with_comment_counts_and_a_cursor_to_the_next_page() {
    let app = TestApp::spawn().await;
    let first = app.create_post("First", "Body").await;
    let second = app.create_post("Second", "Body").await;
    let third = app.create_post("Third", "Body").await;
    app.add_comment(third, "Nice").await;

    let page = data(&app, POSTS_PAGE, json!({ "limit": 2 })).await;

    assert_eq!(ids_on(&page), [third, second]);
    assert_eq!(page["posts"]["posts"][0]["title"], "Third");
    assert_eq!(page["posts"]["posts"][0]["commentCount"], 1);
    assert_eq!(page["posts"]["nextCursor"], second);

    let last = data(&app, POSTS_PAGE, json!({ "limit": 2, "cursor": second })).await;

    assert_eq!(ids_on(&last), [first]);
    assert_eq!(last["posts"]["nextCursor"], Value::Null);
}

#[tokio::test]
async fn posts_refuse_a_limit_over_100_with_the_rest_routes_message() {
    let app = TestApp::spawn().await;

    let answer = graphql(&app, POSTS_PAGE, json!({ "limit": 101 })).await;

    let error = only_error(&answer);
    assert_eq!(message(error), "limit must be between 1 and 100, not 101.");
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn post_returns_the_post_with_its_comments_oldest_first() {
    let app = TestApp::spawn().await;
    let id = app.create_post("Hello", "First post").await;
    let older = app.add_comment(id, "One").await;
    let newer = app.add_comment(id, "Two").await;

    let data = data(
        &app,
        "query One($id: PostId!) { post(id: $id) { id title body createdAt comments { id comment } } }",
        json!({ "id": id }),
    )
    .await;

    let post = &data["post"];
    assert_eq!(post["id"], id);
    assert_eq!(post["title"], "Hello");
    assert_eq!(post["body"], "First post");
    assert!(
        post["createdAt"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z'))
    );
    assert_eq!(
        post["comments"],
        json!([{ "id": older, "comment": "One" }, { "id": newer, "comment": "Two" }])
    );
}

#[tokio::test]
async fn post_is_null_when_there_is_no_such_post() {
    let app = TestApp::spawn().await;

    let data = data(&app, "{ post(id: 42) { id } }", json!({})).await;

    assert_eq!(data, json!({ "post": null }));
}

#[tokio::test]
async fn drafts_are_hidden_from_queries_and_comments_outside_preview_mode() {
    let app = TestApp::spawn().await;
    let draft = app.create_draft("Draft", "Body").await;
    let published = app.create_post("Public", "Body").await;

    let data = data(
        &app,
        "query($id: PostId!) { posts { posts { id } } post(id: $id) { id } comments(postId: $id) { comments { id } } }",
        json!({ "id": draft }),
    )
    .await;

    assert_eq!(ids_on(&data), [published]);
    assert_eq!(data["post"], Value::Null);
    assert_eq!(data["comments"], Value::Null);
    let answer = graphql(
        &app,
        "mutation($id: PostId!) { addComment(postId: $id, comment: \"Hi\") { id } }",
        json!({ "id": draft }),
    )
    .await;
    assert_eq!(only_error(&answer)["extensions"]["code"], "NOT_FOUND");
    assert_eq!(app.count("comments").await, 0);
}

#[tokio::test]
async fn create_post_can_save_a_draft_which_its_answer_shows() {
    let app = TestApp::spawn().await;

    let data = data(
        &app,
        r#"mutation { createPost(title: "T", post: "P", draft: true) { id draft } }"#,
        json!({}),
    )
    .await;

    assert_eq!(data["createPost"]["draft"], true);
    let id = data["createPost"]["id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/post/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn post_refuses_an_id_that_is_not_positive() {
    let app = TestApp::spawn().await;

    let answer = graphql(&app, "{ post(id: 0) { id } }", json!({})).await;

    let error = only_error(&answer);
    assert!(
        message(error).contains("post id must be a positive integer"),
        "{error}"
    );
    assert_eq!(answer["data"]["post"], Value::Null);
}

#[tokio::test]
async fn comments_lists_a_posts_comments_and_is_null_for_a_missing_post() {
    let app = TestApp::spawn().await;
    let id = app.create_post("Hello", "Body").await;
    app.add_comment(id, "Nice").await;

    let data = data(
        &app,
        "query Both($id: PostId!) { here: comments(postId: $id) { comments { comment } nextCursor } missing: comments(postId: 999) { post } }",
        json!({ "id": id }),
    )
    .await;

    assert_eq!(
        data["here"],
        json!({ "comments": [{ "comment": "Nice" }], "nextCursor": null })
    );
    assert_eq!(data["missing"], Value::Null);
}

const COMMENTS_PAGE: &str = "query Page($post: PostId!, $limit: Int!, $cursor: CommentId) {
    comments(postId: $post, limit: $limit, cursor: $cursor) { post comments { id comment } nextCursor }
}";

/// The ids of a list of comments.
fn comment_ids(comments: &Value) -> Vec<i64> {
    comments
        .as_array()
        .expect("a comments list")
        .iter()
        .map(|comment| comment["id"].as_i64().expect("a numeric id"))
        .collect()
}

#[tokio::test]
async fn comments_pages_through_every_comment_once_oldest_first_with_next_cursor() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Busy", "Body").await;
    let ids = app.add_comments_directly(post, 7).await;

    let mut seen = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let variables = json!({ "post": post, "limit": 3, "cursor": cursor });
        let page = data(&app, COMMENTS_PAGE, variables).await["comments"].clone();
        assert_eq!(page["post"], post);
        seen.extend(comment_ids(&page["comments"]));
        cursor = page["nextCursor"].clone();
        if cursor.is_null() {
            break;
        }
    }

    assert_eq!(seen, ids);
}

#[tokio::test]
async fn comments_answers_50_by_default_and_refuses_a_limit_over_100() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Busy", "Body").await;
    let ids = app.add_comments_directly(post, 120).await;

    let page = data(
        &app,
        "query($post: PostId!) { comments(postId: $post) { comments { id } nextCursor } }",
        json!({ "post": post }),
    )
    .await;
    let refused = graphql(&app, COMMENTS_PAGE, json!({ "post": post, "limit": 101 })).await;

    assert_eq!(comment_ids(&page["comments"]["comments"]), ids[..50]);
    assert_eq!(page["comments"]["nextCursor"], ids[49]);
    let error = only_error(&refused);
    assert_eq!(message(error), "limit must be between 1 and 100, not 101.");
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_posts_comments_field_holds_one_page_of_them() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Busy", "Body").await;
    let ids = app.add_comments_directly(post, 120).await;

    let data = data(
        &app,
        "query($id: PostId!, $after: CommentId) {
            post(id: $id) { first: comments { id } most: comments(limit: 100) { id } rest: comments(limit: 100, cursor: $after) { id } }
        }",
        json!({ "id": post, "after": ids[99] }),
    )
    .await;

    assert_eq!(comment_ids(&data["post"]["first"]), ids[..50]);
    assert_eq!(comment_ids(&data["post"]["most"]), ids[..100]);
    assert_eq!(comment_ids(&data["post"]["rest"]), ids[100..]);
}

// ---- mutations ----

const CREATE_POST: &str = "mutation Create($title: String!, $post: String!) {
    createPost(title: $title, post: $post) { id title body }
}";

const ADD_COMMENT: &str = "mutation Add($postId: PostId!, $comment: String!) {
    addComment(postId: $postId, comment: $comment) { id comment createdAt }
}";

#[tokio::test]
async fn create_post_saves_the_trimmed_post_and_returns_it() {
    let app = TestApp::spawn().await;

    let data = data(
        &app,
        CREATE_POST,
        json!({ "title": "  Hello  ", "post": "Via GraphQL" }),
    )
    .await;

    let created = &data["createPost"];
    assert_eq!(created["title"], "Hello");
    assert_eq!(created["body"], "Via GraphQL");
    let id = created["id"].as_i64().expect("a numeric id");
    let rest: Value = app
        .get(&format!("/api/post/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["title"], "Hello");
    assert_eq!(app.count("posts").await, 1);
}

#[tokio::test]
async fn create_post_with_invalid_values_answers_the_field_errors_and_writes_nothing() {
    let app = TestApp::spawn().await;

    let answer = graphql(
        &app,
        CREATE_POST,
        json!({ "title": " ", "post": "x".repeat(10_001) }),
    )
    .await;

    let error = only_error(&answer);
    assert_eq!(error["extensions"]["code"], "VALIDATION");
    assert_eq!(
        error["extensions"]["errors"],
        json!({
            "title": ["title is required"],
            "post": ["post must be at most 10000 characters (it has 10001)"],
        })
    );
    assert_eq!(error["path"], json!(["createPost"]));
    assert_eq!(answer["data"], Value::Null);
    assert_eq!(app.rows().await, [0, 0, 0]);
}

#[tokio::test]
async fn add_comment_saves_the_comment_and_returns_it() {
    let app = TestApp::spawn().await;
    let id = app.create_post("Hello", "Body").await;

    let data = data(
        &app,
        ADD_COMMENT,
        json!({ "postId": id, "comment": " Nice! " }),
    )
    .await;

    assert_eq!(data["addComment"]["comment"], "Nice!");
    let rest: Value = app
        .get(&format!("/api/comments/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["comments"][0]["id"], data["addComment"]["id"]);
}

#[tokio::test]
async fn add_comment_to_a_missing_post_is_a_not_found_error_and_writes_nothing() {
    let app = TestApp::spawn().await;

    let answer = graphql(
        &app,
        ADD_COMMENT,
        json!({ "postId": 42, "comment": "Hello?" }),
    )
    .await;

    let error = only_error(&answer);
    assert_eq!(error["extensions"]["code"], "NOT_FOUND");
    assert_eq!(message(error), "There is no post 42.");
    assert_eq!(app.rows().await, [0, 0, 0]);
}

#[tokio::test]
async fn add_comment_with_an_empty_comment_answers_the_field_error() {
    let app = TestApp::spawn().await;
    let id = app.create_post("Hello", "Body").await;

    let answer = graphql(&app, ADD_COMMENT, json!({ "postId": id, "comment": "" })).await;

    let error = only_error(&answer);
    assert_eq!(error["extensions"]["code"], "VALIDATION");
    assert_eq!(
        error["extensions"]["errors"],
        json!({ "comment": ["comment is required"] })
    );
    assert_eq!(app.count("comments").await, 0);
}

// ---- limits ----

#[tokio::test]
async fn a_query_nested_deeper_than_the_limit_is_refused() {
    let app = TestApp::spawn().await;

    let answer = graphql(&app, &introspection_nested(MAX_DEPTH + 1), json!({})).await;

    assert_eq!(message(only_error(&answer)), "Query is nested too deep.");
    assert!(
        answer.get("data").is_none(),
        "not run, so no data: {answer}"
    );
}

#[tokio::test]
async fn a_query_nested_as_deep_as_the_limit_runs() {
    let app = TestApp::spawn().await;

    data(&app, &introspection_nested(MAX_DEPTH), json!({})).await;
}

#[tokio::test]
async fn two_full_pages_of_posts_are_over_the_complexity_limit() {
    let app = TestApp::spawn().await;
    let fields = "posts { id title body createdAt commentCount } nextCursor";
    let query =
        format!("{{ a: posts(limit: 100) {{ {fields} }} b: posts(limit: 100) {{ {fields} }} }}");

    let answer = graphql(&app, &query, json!({})).await;

    assert_eq!(message(only_error(&answer)), "Query is too complex.");
    assert!(
        answer.get("data").is_none(),
        "not run, so no data: {answer}"
    );
}

#[tokio::test]
async fn one_full_page_with_every_field_is_within_the_complexity_limit() {
    let app = TestApp::spawn().await;
    app.create_post("Hello", "Body").await;
    let query =
        "{ posts(limit: 100) { posts { id title body createdAt commentCount } nextCursor } }";

    let data = data(&app, query, json!({})).await;

    assert_eq!(data["posts"]["posts"][0]["title"], "Hello");
}

#[tokio::test]
async fn pages_of_comments_count_by_their_page_size_in_the_complexity() {
    let app = TestApp::spawn().await;
    let page = "comments(postId: 1, limit: 100) { comments { id comment createdAt } }";
    let on_the_post = "post(id: 1) { comments(limit: 100) { id comment createdAt } }";
    let query = format!("{{ a: {page} b: {page} c: {page} d: {on_the_post} }}");

    let answer = graphql(&app, &query, json!({})).await;

    assert_eq!(message(only_error(&answer)), "Query is too complex.");
}

#[tokio::test]
async fn one_full_page_of_comments_with_every_field_is_within_the_complexity_limit() {
    let app = TestApp::spawn().await;
    let post = app.create_post("Busy", "Body").await;
    app.add_comments_directly(post, 3).await;

    let data = data(
        &app,
        "query($id: PostId!) { comments(postId: $id, limit: 100) { post comments { id comment createdAt } nextCursor } }",
        json!({ "id": post }),
    )
    .await;

    assert_eq!(data["comments"]["comments"][0]["comment"], "Comment 1");
}

#[tokio::test]
async fn the_introspection_query_of_graphql_tools_is_within_the_limits() {
    let app = TestApp::spawn().await;

    let data = data(&app, INTROSPECTION_QUERY, json!({})).await;

    let types = data["__schema"]["types"].as_array().expect("a types list");
    assert!(types.iter().any(|kind| kind["name"] == "PostId"));
    assert_eq!(data["__schema"]["mutationType"]["name"], "Mutation");
}

#[tokio::test]
async fn a_document_nested_deeper_than_the_nesting_bound_is_refused_before_it_is_parsed() {
    let app = TestApp::spawn().await;

    let answer = graphql(&app, &lists_nested(MAX_NESTING + 1), json!({})).await;

    let error = only_error(&answer);
    assert_eq!(message(error), nesting_refusal());
    assert_eq!(error["locations"][0]["line"], 1, "{answer}");
    assert!(answer.get("data").is_none(), "{answer}");
}

#[tokio::test]
async fn a_document_nested_as_deep_as_the_nesting_bound_is_parsed_and_validated() {
    let app = TestApp::spawn().await;

    let answer = graphql(&app, &lists_nested(MAX_NESTING), json!({})).await;

    // A list is no post id: the answer is validation's, the guard let it through.
    assert_ne!(message(only_error(&answer)), nesting_refusal(), "{answer}");
    assert!(message(only_error(&answer)).contains("PostId"), "{answer}");
}

#[tokio::test]
async fn with_graphql_response_json_a_document_nested_too_deep_is_a_400_without_data() {
    let app = TestApp::spawn().await;
    let body = json!({ "query": lists_nested(MAX_NESTING + 1) });

    let answer = assert_refused_before_running(&app, body).await;

    assert_eq!(message(only_error(&answer)), nesting_refusal());
}

#[tokio::test]
async fn get_refuses_a_document_nested_too_deep_as_post_does() {
    let app = TestApp::spawn().await;
    let query = lists_nested(MAX_NESTING + 1);

    let response = get_with_query(&app, &[("query", &query)]).await;

    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.expect("a GraphQL answer");
    assert_eq!(message(only_error(&answer)), nesting_refusal());
    assert!(answer.get("data").is_none(), "{answer}");
}

/// POSTs a query whose `id` variable is `[[…1…]]`, `lists` deep, as JSON text (`serde_json::Value`
/// cannot hold what serde_json refuses to read).
async fn post_with_nested_variables(app: &TestApp, lists: usize) -> reqwest::Response {
    let body = format!(
        r#"{{"query":"query Post($id: PostId!) {{ post(id: $id) {{ id }} }}","variables":{{"id":{}}}}}"#,
        json_lists(lists)
    );
    app.client
        .post(app.url(ROUTE))
        .header(reqwest::header::CONTENT_TYPE, JSON)
        .body(body)
        .send()
        .await
        .expect("the server answers")
}

#[tokio::test]
async fn variables_nested_as_deep_as_json_allows_are_a_graphql_error() {
    let app = TestApp::spawn().await;

    // The body and `variables` are two of the 128 levels serde_json reads.
    let response = post_with_nested_variables(&app, 125).await;

    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.expect("a GraphQL answer");
    assert!(message(only_error(&answer)).contains("PostId"), "{answer}");
}

#[tokio::test]
async fn variables_nested_deeper_than_json_allows_are_a_400_problem() {
    let app = TestApp::spawn().await;

    let response = post_with_nested_variables(&app, 3000).await;

    let problem = assert_problem(response, StatusCode::BAD_REQUEST).await;
    assert!(detail(&problem).contains("recursion limit"), "{problem}");
}

#[tokio::test]
async fn get_with_variables_nested_deeper_than_json_allows_is_a_400_problem() {
    let app = TestApp::spawn().await;
    let variables = format!(r#"{{"id":{}}}"#, json_lists(3000));
    let query = "query Post($id: PostId!) { post(id: $id) { id } }";

    let response = get_with_query(&app, &[("query", query), ("variables", &variables)]).await;

    let problem = assert_problem(response, StatusCode::BAD_REQUEST).await;
    assert!(detail(&problem).contains("recursion limit"), "{problem}");
}

#[tokio::test]
async fn ten_thousand_typename_aliases_are_over_the_complexity_limit() {
    let app = TestApp::spawn().await;
    let query = format!("{{ {} }}", typename_aliases(10_000));

    let answer = graphql(&app, &query, json!({})).await;

    assert_eq!(message(only_error(&answer)), "Query is too complex.");
    assert!(answer.get("data").is_none(), "{answer}");
}

#[tokio::test]
async fn a_few_typename_fields_run() {
    let app = TestApp::spawn().await;
    let id = app.create_post("Hello", "Body").await;
    let query = format!(
        "{{ __typename {} post(id: {id}) {{ __typename }} }}",
        typename_aliases(3)
    );

    let data = data(&app, &query, json!({})).await;

    assert_eq!(data["__typename"], "Query");
    assert_eq!(data["t2"], "Query");
    assert_eq!(data["post"]["__typename"], "Post");
}

#[tokio::test]
async fn typename_in_a_page_counts_once_per_post_the_page_can_hold() {
    let app = TestApp::spawn().await;
    // async-graphql alone counts 100 × (posts + id) = 200; each `__typename` adds 100.
    let page = |limit: u32| {
        format!(
            "{{ posts(limit: {limit}) {{ posts {{ id {} }} }} }}",
            typename_aliases(9)
        )
    };

    let answer = graphql(&app, &page(100), json!({})).await;
    assert_eq!(message(only_error(&answer)), "Query is too complex.");

    data(&app, &page(10), json!({})).await;
}

#[tokio::test]
async fn typename_in_a_fragment_counts_each_time_it_is_spread() {
    let app = TestApp::spawn().await;
    let names = format!("fragment Names on Query {{ {} }}", typename_aliases(400));
    let post_names = format!("fragment PostNames on Post {{ {} }}", typename_aliases(300));

    // 2 × 400 for the names, 2 for the post and its id.
    let query = format!("{{ ...Names ... on Query {{ ...Names }} post(id: 1) {{ id }} }} {names}");
    data(&app, &query, json!({})).await;

    // 2 × 400 + 300 for the names, 2 for the post and its id.
    let query = format!(
        "{{ ...Names ... on Query {{ ...Names }} post(id: 1) {{ id ...PostNames }} }} {names} {post_names}"
    );
    let answer = graphql(&app, &query, json!({})).await;
    assert_eq!(message(only_error(&answer)), "Query is too complex.");
}

/// Fragments `F0` to `F{levels}`, each spreading the next one twice.
fn doubling_fragments(levels: usize) -> String {
    (0..levels)
        .map(|level| {
            let next = level + 1;
            format!("fragment F{level} on Query {{ ...F{next} ...F{next} }} ")
        })
        .collect()
}

#[tokio::test]
async fn fragments_that_spread_the_next_one_twice_30_deep_are_refused_at_once() {
    let app = TestApp::spawn().await;
    let query = format!(
        "{{ ...F0 }} {} fragment F30 on Query {{ id: __typename }}",
        doubling_fragments(30)
    );

    let answer = graphql(&app, &query, json!({})).await;

    // Inlined, that is 2³⁰ fields; without the count, the depth check alone took minutes.
    assert_eq!(message(only_error(&answer)), "Query is too complex.");
}

#[tokio::test]
async fn fragments_that_spread_the_next_one_twice_a_few_times_run() {
    let app = TestApp::spawn().await;
    let query = format!(
        "{{ ...F0 }} {} fragment F5 on Query {{ id: __typename }}",
        doubling_fragments(5)
    );

    let data = data(&app, &query, json!({})).await;

    assert_eq!(data["id"], "Query");
}

#[tokio::test]
async fn a_fragment_that_spreads_itself_twice_is_refused_at_once() {
    let app = TestApp::spawn().await;
    let query = "{ ...Again } fragment Again on Query { __typename ...Again ...Again }";

    let answer = graphql(&app, query, json!({})).await;

    assert_eq!(
        message(only_error(&answer)),
        r#"Cannot spread fragment "Again" within itself."#
    );
}

// ---- introspection ----

#[tokio::test]
async fn with_introspection_on_a_schema_query_answers_the_types() {
    let app = TestApp::spawn_with(|config| config.graphql_introspection = true).await;

    let data = data(&app, "{ __schema { types { name } } }", json!({})).await;

    let types = data["__schema"]["types"].as_array().expect("a types list");
    assert!(types.iter().any(|kind| kind["name"] == "Post"), "{data}");
}

const INTROSPECTION_OFF: &str =
    "Introspection is off on this server: it does not answer __schema or __type.";

#[tokio::test]
async fn with_introspection_off_a_schema_query_is_refused_before_it_runs() {
    let app = TestApp::spawn_with(|config| config.graphql_introspection = false).await;
    let body = json!({ "query": "{ __schema { types { name } } }" });

    let answer = assert_refused_before_running(&app, body).await;

    assert_eq!(message(only_error(&answer)), INTROSPECTION_OFF);
}

#[tokio::test]
async fn with_introspection_off_a_type_query_in_a_fragment_is_refused() {
    let app = TestApp::spawn_with(|config| config.graphql_introspection = false).await;
    let query = r#"{ ...Types } fragment Types on Query { __type(name: "Post") { name } }"#;

    let answer = graphql(&app, query, json!({})).await;

    assert_eq!(message(only_error(&answer)), INTROSPECTION_OFF);
    assert!(answer.get("data").is_none(), "{answer}");
}

#[tokio::test]
async fn with_introspection_off_typename_and_data_queries_still_run() {
    let app = TestApp::spawn_with(|config| config.graphql_introspection = false).await;

    let data = data(&app, "{ __typename posts { nextCursor } }", json!({})).await;

    assert_eq!(data["__typename"], "Query");
}

// ---- transport ----

#[tokio::test]
async fn a_malformed_query_is_a_graphql_error_with_200_and_no_data_in_json() {
    let app = TestApp::spawn().await;

    let answer = graphql(&app, "{ posts { ", json!({})).await;

    assert!(!message(only_error(&answer)).is_empty());
    assert!(answer.get("data").is_none(), "{answer}");
}

#[tokio::test]
async fn an_unknown_field_is_a_graphql_error_naming_it() {
    let app = TestApp::spawn().await;

    let answer = graphql(&app, "{ users { id } }", json!({})).await;

    assert!(message(only_error(&answer)).contains("users"), "{answer}");
}

#[tokio::test]
async fn get_runs_a_query_from_the_query_string_like_post() {
    let app = TestApp::spawn().await;
    let id = app.create_post("Hello", "Body").await;
    let query = format!("{{ post(id: {id}) {{ title }} }}");

    let response = app
        .client
        .get(app.url(ROUTE))
        .query(&[("query", query.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let over_get: Value = response.json().await.unwrap();
    assert_eq!(
        over_get,
        json!({ "data": { "post": { "title": "Hello" } } })
    );
    assert_eq!(graphql(&app, &query, json!({})).await, over_get);
}

#[tokio::test]
async fn get_takes_operation_name_and_variables_from_the_query_string() {
    let app = TestApp::spawn().await;
    let id = app.create_post("Hello", "Body").await;
    let document =
        "query Other { __typename } query Wanted($id: PostId!) { post(id: $id) { title } }";
    let variables = json!({ "id": id }).to_string();

    let response = get_with_query(
        &app,
        &[
            ("query", document),
            ("operationName", "Wanted"),
            ("variables", &variables),
        ],
    )
    .await;

    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.expect("a JSON answer");
    assert_eq!(answer, json!({ "data": { "post": { "title": "Hello" } } }));
}

#[tokio::test]
async fn get_without_a_query_is_a_400_problem() {
    let app = TestApp::spawn().await;

    let response = app.get(ROUTE).await;

    let problem = assert_problem(response, StatusCode::BAD_REQUEST).await;
    assert!(detail(&problem).contains("query"), "{problem}");
}

#[tokio::test]
async fn get_with_variables_that_are_not_a_json_object_is_a_400_problem() {
    let app = TestApp::spawn().await;

    let response = get_with_query(&app, &[("query", "{ __typename }"), ("variables", "[7]")]).await;

    let problem = assert_problem(response, StatusCode::BAD_REQUEST).await;
    assert!(detail(&problem).contains("variables"), "{problem}");
}

#[tokio::test]
async fn get_refuses_a_mutation_with_405_and_writes_nothing() {
    let app = TestApp::spawn().await;

    let response = app
        .client
        .get(app.url(ROUTE))
        .query(&[(
            "query",
            r#"mutation { createPost(title: "Hi", post: "Body") { id } }"#,
        )])
        .send()
        .await
        .unwrap();

    assert_eq!(allowed_methods(&response), ["POST"]);
    let problem = assert_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    assert!(detail(&problem).contains("POST"), "{problem}");
    assert_eq!(app.rows().await, [0, 0, 0]);
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = TestApp::spawn().await;

    app.assert_refused(
        Method::POST,
        ROUTE,
        JSON,
        r#"{"query": "#,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn a_batch_of_requests_is_a_400_problem() {
    let app = TestApp::spawn().await;

    app.assert_refused(
        Method::POST,
        ROUTE,
        JSON,
        r#"[{"query": "{ posts { nextCursor } }"}]"#,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn parameters_of_the_wrong_type_or_a_missing_query_are_a_400_problem() {
    let app = TestApp::spawn().await;
    let bodies = [
        json!({}),
        json!({ "qeury": "{ __typename }" }),
        json!({ "query": null }),
        json!({ "query": 7 }),
        json!({ "query": "{ __typename }", "operationName": 7 }),
        json!({ "query": "{ __typename }", "variables": [7] }),
        json!({ "query": "{ __typename }", "variables": "{}" }),
        json!({ "query": "{ __typename }", "extensions": "{}" }),
    ];

    for body in bodies {
        let problem = app
            .assert_refused(
                Method::POST,
                ROUTE,
                JSON,
                body.to_string(),
                StatusCode::BAD_REQUEST,
            )
            .await;
        assert!(
            detail(&problem).starts_with("Not a GraphQL request"),
            "{body}: {problem}"
        );
    }
}

#[tokio::test]
async fn null_operation_name_variables_and_extensions_are_as_good_as_absent() {
    let app = TestApp::spawn().await;
    let body = json!({
        "query": "{ __typename }", "operationName": null, "variables": null, "extensions": null,
    });

    let response = post_accepting(&app, JSON, &body).await;

    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.expect("a JSON answer");
    assert_eq!(answer, json!({ "data": { "__typename": "Query" } }));
}

// ---- media types and status codes (GraphQL over HTTP) ----

#[tokio::test]
async fn answers_are_json_without_accept_for_a_wildcard_or_for_json() {
    let app = TestApp::spawn().await;
    let body = json!({ "query": "{ __typename }" });

    for accept in [None, Some("*/*"), Some(JSON), Some("text/html, */*;q=0.8")] {
        let request = app.client.post(app.url(ROUTE)).json(&body);
        let request = match accept {
            Some(accept) => request.header(reqwest::header::ACCEPT, accept),
            None => request,
        };
        let response = request.send().await.expect("the server answers");

        assert_eq!(response.status(), StatusCode::OK, "{accept:?}");
        assert_eq!(
            content_type(&response),
            "application/json; charset=utf-8",
            "{accept:?}"
        );
    }
}

#[tokio::test]
async fn answers_are_graphql_response_json_when_the_client_prefers_it() {
    let app = TestApp::spawn().await;
    let accept =
        "application/graphql-response+json; charset=utf-8, application/json; charset=utf-8";

    let response = post_accepting(&app, accept, &json!({ "query": "{ __typename }" })).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        content_type(&response),
        "application/graphql-response+json; charset=utf-8"
    );
    assert_eq!(header(&response, reqwest::header::VARY), "accept");
}

#[tokio::test]
async fn a_client_that_accepts_neither_type_gets_a_406_problem() {
    let app = TestApp::spawn().await;

    let response = post_accepting(&app, "text/html", &json!({ "query": "{ __typename }" })).await;

    let problem = assert_problem(response, StatusCode::NOT_ACCEPTABLE).await;
    assert!(detail(&problem).contains(GRAPHQL_RESPONSE), "{problem}");
}

/// With `application/graphql-response+json`, a request that fails before it runs is a 400 GraphQL
/// answer with an error and no `data`.
async fn assert_refused_before_running(app: &TestApp, body: Value) -> Value {
    let response = post_accepting(app, GRAPHQL_RESPONSE, &body).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
    assert!(content_type(&response).starts_with(GRAPHQL_RESPONSE));
    let answer: Value = response.json().await.expect("a GraphQL answer");
    assert!(answer.get("data").is_none(), "no data: {answer}");
    assert!(!message(only_error(&answer)).is_empty(), "{answer}");
    answer
}

#[tokio::test]
async fn with_graphql_response_json_a_document_that_does_not_parse_is_a_400_without_data() {
    let app = TestApp::spawn().await;

    assert_refused_before_running(&app, json!({ "query": "{" })).await;
}

#[tokio::test]
async fn with_graphql_response_json_a_document_that_does_not_validate_is_a_400_without_data() {
    let app = TestApp::spawn().await;

    let answer = assert_refused_before_running(&app, json!({ "query": "{ users { id } }" })).await;

    assert!(message(only_error(&answer)).contains("users"), "{answer}");
}

#[tokio::test]
async fn with_graphql_response_json_variables_that_do_not_coerce_are_a_400_without_data() {
    let app = TestApp::spawn().await;
    let body = json!({ "query": "query Post($id: PostId!) { post(id: $id) { id } }", "variables": { "id": null } });

    assert_refused_before_running(&app, body).await;
}

#[tokio::test]
async fn with_graphql_response_json_an_unknown_operation_name_is_a_400_without_data() {
    let app = TestApp::spawn().await;
    let body =
        json!({ "query": "query A { __typename } query B { __typename }", "operationName": "C" });

    assert_refused_before_running(&app, body).await;
}

#[tokio::test]
async fn with_graphql_response_json_a_failed_field_is_a_200_with_its_data() {
    let app = TestApp::spawn().await;
    let body = json!({
        "query": CREATE_POST,
        "variables": { "title": " ", "post": "Body" },
    });

    let response = post_accepting(&app, GRAPHQL_RESPONSE, &body).await;

    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.expect("a GraphQL answer");
    assert_eq!(
        answer.get("data"),
        Some(&Value::Null),
        "ran, so data: {answer}"
    );
    assert_eq!(only_error(&answer)["extensions"]["code"], "VALIDATION");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415_problem() {
    let app = TestApp::spawn().await;

    let problem = app
        .assert_refused(
            Method::POST,
            ROUTE,
            "application/graphql",
            "{ posts { nextCursor } }",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        )
        .await;

    assert!(detail(&problem).contains("application/json"), "{problem}");
}

#[tokio::test]
async fn a_body_over_1_mib_is_a_413_problem() {
    let app = TestApp::spawn().await;
    let body = json!({
        "query": CREATE_POST,
        "variables": { "title": "Big", "post": "x".repeat(2 * 1024 * 1024) },
    });

    app.assert_refused(
        Method::POST,
        ROUTE,
        JSON,
        body.to_string(),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
}

#[tokio::test]
async fn other_methods_get_405_listing_get_head_and_post() {
    let app = TestApp::spawn().await;

    let response = app.request(Method::PUT, ROUTE).await;

    assert_eq!(allowed_methods(&response), ["GET", "HEAD", "POST"]);
    assert_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
}

/// What GraphiQL and code generators send first (graphql-js's `getIntrospectionQuery()`), the
/// deepest and largest query a well-behaved client sends.
const INTROSPECTION_QUERY: &str = "
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description
  type { ...TypeRef }
  defaultValue
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}";
