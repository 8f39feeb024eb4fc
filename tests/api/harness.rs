//! `TestApp::spawn()`: the real server on 127.0.0.1:0 over a fresh database in a temporary folder.

use std::net::SocketAddr;

use leptos::config::LeptosOptions;
use leptos_api_routes::{
    config::{Config, TriviaConfig},
    server::Server,
};
use reqwest::{Client, Response, redirect::Policy};
use tempfile::TempDir;
use tokio::sync::oneshot;

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: Client,
    pub database_url: String,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    // Dropped last: the database file lives in here.
    _data_dir: TempDir,
}

impl TestApp {
    pub async fn spawn() -> Self {
        let data_dir = tempfile::tempdir().expect("a temporary folder");
        let database_url = format!(
            "sqlite://{}",
            data_dir.path().join("nested/app.db").display()
        );
        let config = Config {
            database_url: database_url.clone(),
            leptos: LeptosOptions::builder()
                .output_name("leptos-api-routes")
                .site_root("target/site")
                .site_addr(SocketAddr::from(([127, 0, 0, 1], 0)))
                .build(),
            trivia: TriviaConfig::default(),
        };
        let server = Server::bind(config).await.expect("the server starts");
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
            database_url,
            stop: Some(stop),
            server: Some(server),
            _data_dir: data_dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("the server answers")
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

/// The `Content-Type` of a response, or "" when it has none.
pub fn content_type(response: &Response) -> String {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
