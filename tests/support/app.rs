//! `TestApp::spawn()`: the app in this process, on 127.0.0.1:0 over a fresh database (SQLite, or
//! PostgreSQL with `TEST_DATABASE_URL`: see `database.rs`), with the requests the tests send it.

use std::{net::SocketAddr, time::Duration};

use leptos::config::LeptosOptions;
use leptos_api_routes::{
    config::{
        AccountsConfig, Backend, Config, DatabaseConfig, HttpConfig, LiveConfig, TriviaConfig,
    },
    runtime::Server,
    site::Site,
};
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode, redirect::Policy};
use serde_json::{Value, json};
use tokio::{net::TcpListener, sync::oneshot};

use super::{TestDatabase, assert_problem};

/// A trivia upstream that accepts connections and never answers, and the trivia settings that point
/// at it with `timeout`. It stays silent (rather than refusing connections) while the listener lives.
pub async fn silent_trivia_upstream(timeout: Duration) -> (TcpListener, TriviaConfig) {
    let silent = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = silent.local_addr().expect("an address");
    let upstream = reqwest::Url::parse(&format!("http://{address}")).expect("a valid URL");
    let trivia = TriviaConfig {
        api_url: Some(upstream),
        timeout,
        ..TriviaConfig::default()
    };
    (silent, trivia)
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    // Dropped last: the server's database goes with it.
    database: TestDatabase,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// The server with its trivia route pointed at `trivia` (a stub upstream, a short timeout).
    pub async fn spawn_with_trivia(trivia: TriviaConfig) -> Self {
        Self::spawn_with(|config| config.trivia = trivia).await
    }

    /// The server with the middleware settings `http` (CORS origins, a rate limit, a timeout).
    pub async fn spawn_with_http(http: HttpConfig) -> Self {
        Self::spawn_with(|config| config.http = http).await
    }

    /// The server with the settings `configure` changes, on a fresh database of the suite's backend.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_on(TestDatabase::fresh().await, configure).await
    }

    /// The server on `database` (which it then owns), with the settings `configure` changes.
    pub async fn spawn_on(database: TestDatabase, configure: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_on_site(database, Site::Folder, configure).await
    }

    /// [`Self::spawn_on`], serving the static files of `site`.
    pub async fn spawn_on_site(
        database: TestDatabase,
        site: Site,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        let mut config = test_config(&database);
        configure(&mut config);
        let server = Server::bind(config, site).await.expect("the server starts");
        let addr = server.local_addr().expect("a bound address");
        let (stop, stopped) = oneshot::channel();
        let server = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        let client = Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("an HTTP client");
        Self {
            addr,
            client,
            stop: Some(stop),
            server: Some(server),
            database,
        }
    }

    /// The server's database, to check what a request wrote.
    pub fn database(&self) -> &TestDatabase {
        &self.database
    }

    pub fn backend(&self) -> Backend {
        self.database.backend()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        answer(self.client.get(self.url(path))).await
    }

    /// A GET with the given headers (`Origin`, `Accept-Encoding`…), as a browser would add them.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        answer(with_headers(self.client.get(self.url(path)), headers)).await
    }

    /// A request without a body, for methods the tests choose (`DELETE`, `PUT`…).
    pub async fn request(&self, method: Method, path: &str) -> Response {
        answer(self.client.request(method, self.url(path))).await
    }

    /// Sends `body` as it is, labelled `content_type`: for bodies a well-behaved client would not send.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        let request = self
            .client
            .request(method, self.url(path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        answer(request).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        answer(self.client.post(self.url(path)).json(body)).await
    }

    /// What a `<form method="post">` sends when JavaScript is off.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        answer(self.client.post(self.url(path)).form(fields)).await
    }

    /// Sends a request the route must refuse: checks the answer is a `status` problem and that the
    /// database holds the same rows as before. Returns the problem body.
    pub async fn assert_refused(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
        status: StatusCode,
    ) -> Value {
        let rows_before = self.rows().await;

        let response = self.send(method, path, content_type, body).await;

        let problem = assert_problem(response, status).await;
        assert_eq!(self.rows().await, rows_before, "nothing is written");
        problem
    }

    /// Creates a post through the API and returns its id.
    pub async fn create_post(&self, title: &str, post: &str) -> i64 {
        let response = self
            .post_json("/api/post", &json!({ "title": title, "post": post }))
            .await;
        created_id(response).await
    }

    /// Creates a draft post through the API and returns its id.
    pub async fn create_draft(&self, title: &str, post: &str) -> i64 {
        let response = self
            .post_json(
                "/api/post",
                &json!({ "title": title, "post": post, "draft": true }),
            )
            .await;
        created_id(response).await
    }

    /// Adds a comment through the API and returns its id.
    pub async fn add_comment(&self, post: i64, comment: &str) -> i64 {
        let response = self
            .post_json(
                &format!("/api/comments/{post}"),
                &json!({ "comment": comment }),
            )
            .await;
        created_id(response).await
    }

    /// Adds `count` comments ("Comment 1"…, oldest first) to `post` straight in the database, past
    /// the write rate limit, in one statement; returns their ids, oldest first.
    pub async fn add_comments_directly(&self, post: i64, count: u32) -> Vec<i64> {
        let before: i64 = self
            .database
            .column("SELECT COALESCE(MAX(id), 0) FROM comments")
            .await[0];
        self.database
            .execute(&format!(
                "INSERT INTO comments (post_id, body) \
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) \
                 SELECT {post}, 'Comment ' || i FROM n"
            ))
            .await;
        self.database
            .column(&format!(
                "SELECT id FROM comments WHERE post_id = {post} AND id > {before} ORDER BY id"
            ))
            .await
    }

    /// How many rows `table` holds, read straight from the database.
    pub async fn count(&self, table: &str) -> i64 {
        self.database.count(table).await
    }

    /// The row counts of every table a request can write to: posts, comments, cached trivia.
    pub async fn rows(&self) -> [i64; 3] {
        [
            self.count("posts").await,
            self.count("comments").await,
            self.count("trivia_cache").await,
        ]
    }

    /// Stops the server the way SIGTERM does, and hands its database over, kept.
    pub async fn stop_keeping_database(mut self) -> TestDatabase {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("the server task does not panic")
                .expect("a clean shutdown");
        }
        self.database
    }

    /// Stops the server the way SIGTERM does and waits until it has finished.
    pub async fn shut_down(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.server.take() {
            Some(server) => server.await.expect("the server task does not panic"),
            None => Ok(()),
        }
    }
}

/// The settings of the tests' servers: on `database`, port 0, the site from `target/site`, no
/// secrets, no rate limit.
pub fn test_config(database: &TestDatabase) -> Config {
    let url = database.url().parse().expect("a database URL");
    Config {
        database: DatabaseConfig::new(url),
        leptos: LeptosOptions::builder()
            .output_name("leptos-api-routes")
            .site_root("target/site")
            .site_addr(SocketAddr::from(([127, 0, 0, 1], 0)))
            .build(),
        trivia: TriviaConfig::default(),
        preview_secret: None,
        webhook_secret: None,
        http: test_http_config(),
        graphql_introspection: true,
        live: LiveConfig::default(),
        telemetry: Default::default(),
        posting: Default::default(),
        // Every test signs in from 127.0.0.1: the per-address limit is the limit tests' own.
        accounts: AccountsConfig {
            signin_address_limit_per_minute: None,
            ..AccountsConfig::default()
        },
    }
}

/// The middleware settings of the tests: the defaults, without the rate limit, which tests that
/// create many rows from one address would hit (the rate-limit tests set their own).
pub fn test_http_config() -> HttpConfig {
    HttpConfig {
        rate_limit_per_minute: None,
        ..HttpConfig::default()
    }
}

pub fn with_headers(request: RequestBuilder, headers: &[(&str, &str)]) -> RequestBuilder {
    headers.iter().fold(request, |request, (name, value)| {
        request.header(*name, *value)
    })
}

async fn answer(request: RequestBuilder) -> Response {
    request.send().await.expect("the server answers")
}

/// The `id` in the body of a 201 answer.
async fn created_id(response: Response) -> i64 {
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("a JSON body");
    body["id"].as_i64().expect("a numeric id")
}
