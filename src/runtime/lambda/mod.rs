//! The same router as an AWS Lambda function: the one-file release, uploaded as a function's
//! `bootstrap` (runtime `provided.al2023`), finds itself started by Lambda (`AWS_LAMBDA_RUNTIME_API`
//! set) and answers invocations from the Runtime API with [`router::app`] instead of listening.
//! Front doors: a Function URL, an API Gateway HTTP API (payload 2.0) or REST API (1.0). Unlike a
//! server: PostgreSQL only (no lasting disk), one database connection per instance by default, the
//! client's address and the stage from the event (`event.rs`), any host when `ALLOWED_HOSTS` is
//! unset, 6 MB per response (`payload_limit.rs`). A failed start goes to `/init/error`.
//! Why each: docs/performance.md.

pub mod event;
pub mod payload_limit;

use std::{convert::Infallible, error::Error, num::NonZeroU32};

use axum::response::Response;
use lambda_http::Service;
use tower::ServiceExt;

use crate::{
    config::{Backend, Config},
    middleware::App,
    router,
    site::Site,
    state::AppState,
    telemetry,
};

/// An error as the start and `lambda_http` report them.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// Unless `DATABASE_MAX_CONNECTIONS` is set, one: an instance answers one invocation at a time (the
/// home page's two reads take turns on it, a few milliseconds).
const DEFAULT_MAX_CONNECTIONS: NonZeroU32 = NonZeroU32::MIN;

/// The variables Lambda sets besides `AWS_LAMBDA_RUNTIME_API`, which `lambda_http` needs.
const LAMBDA_VARIABLES: [&str; 3] = [
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

/// This process, started by Lambda as a function.
pub struct Function {
    /// `host:port` of the Runtime API.
    runtime_api: String,
}

impl Function {
    /// `Some` when Lambda started this process: `AWS_LAMBDA_RUNTIME_API` is set.
    pub fn from_env() -> Option<Self> {
        std::env::var("AWS_LAMBDA_RUNTIME_API")
            .ok()
            .filter(|address| !address.is_empty())
            .map(|runtime_api| Self { runtime_api })
    }

    /// Starts the app from `settings` and answers invocations until Lambda ends the process; a
    /// failed start is reported to `/init/error`, then returned.
    pub async fn serve(self, settings: Result<(Config, Site), BoxError>) -> Result<(), BoxError> {
        let app = match self.start(settings).await {
            Ok(app) => app,
            Err(error) => {
                self.report_init_error(&error).await;
                return Err(error);
            }
        };
        tracing::info!(
            runtime_api = %self.runtime_api,
            "answering AWS Lambda invocations"
        );
        lambda_http::run(handler(app)).await
    }

    async fn start(&self, settings: Result<(Config, Site), BoxError>) -> Result<App, BoxError> {
        let (mut config, site) = settings?;
        for variable in LAMBDA_VARIABLES {
            if std::env::var_os(variable).is_none() {
                return Err(format!(
                    "AWS_LAMBDA_RUNTIME_API is set, so this runs as a Lambda function, but {variable} \
                     is not; Lambda sets both (unset AWS_LAMBDA_RUNTIME_API to run a server)"
                )
                .into());
            }
        }
        if config.database.url.backend() == Backend::Sqlite {
            return Err(
                "DATABASE_URL: a Lambda function has no lasting disk, so it cannot keep a \
                        SQLite database; set DATABASE_URL to a PostgreSQL one (postgres://…)"
                    .into(),
            );
        }
        if std::env::var_os("DATABASE_MAX_CONNECTIONS").is_none() {
            config.database.max_connections = DEFAULT_MAX_CONNECTIONS;
        }
        let state = AppState::open(config, site).await?;
        Ok(router::app(state))
    }

    /// Tells the Runtime API why the start failed, so Lambda shows the invoker more than "Runtime
    /// exited". Best effort: [`Self::serve`] returns the error anyway.
    async fn report_init_error(&self, error: &BoxError) {
        let url = format!("http://{}/2018-06-01/runtime/init/error", self.runtime_api);
        let report = serde_json::json!({
            "errorType": "Runtime.InitError",
            "errorMessage": error.to_string(),
        });
        // The Runtime API is on the same machine: it answers at once, or not at all.
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(2))
            .build();
        let sent = match client {
            Ok(client) => {
                client
                    .post(&url)
                    .header("Lambda-Runtime-Function-Error-Type", "Runtime.InitError")
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(report.to_string())
                    .send()
                    .await
            }
            Err(error) => Err(error),
        };
        if let Err(failure) = sent.and_then(reqwest::Response::error_for_status) {
            tracing::warn!(error = %failure, "could not report the failed start to {url}");
        }
    }
}

/// What answers each invocation: the event, as an HTTP request (`event.rs`), through `app`, and its
/// answer made to fit a Lambda response (`payload_limit.rs`). `lambda_http` does the rest.
pub fn handler(
    app: App,
) -> impl Service<lambda_http::Request, Response = Response, Error = Infallible, Future: Send + 'static>
+ Clone {
    lambda_http::service_fn(move |event: lambda_http::Request| {
        let app = app.clone();
        async move {
            let response = app.oneshot(event::into_app_request(event)).await?;
            let response = payload_limit::fit(response).await;
            // Lambda may freeze the instance once it has answered: the spans leave first.
            if telemetry::traces_on() {
                telemetry::flush().await;
            }
            Ok(response)
        }
    })
}
