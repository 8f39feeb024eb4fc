//! Server settings, read once at start from the environment (and a `.env` file, loaded by `main`).
//!
//! Every setting has a working default, so a fresh clone runs with nothing configured. A value that is
//! set but unusable stops the start with one line naming the variable, instead of a surprise later.

use std::{
    env, fmt,
    net::SocketAddr,
    num::{NonZeroU32, NonZeroUsize},
    str::FromStr,
    time::Duration,
};

use axum::http::HeaderValue;
use leptos::config::LeptosOptions;
use reqwest::Url;

use crate::site::Site;

/// Where the database lives when `DATABASE_URL` is not set: a file under `data/`, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/leptos-api-routes.db";

/// Everything the server needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL` and the other `DATABASE_*` settings: which database, and how to reach it.
    pub database: DatabaseConfig,
    /// Leptos's own settings (`LEPTOS_SITE_ADDR`, `LEPTOS_SITE_ROOT`, … as set by cargo-leptos).
    pub leptos: LeptosOptions,
    /// Where `/api/trivia/{number}` gets its facts.
    pub trivia: TriviaConfig,
    /// `PREVIEW_SECRET`: the token `/api/preview?secret=` must carry, and the key that signs the
    /// preview cookie. Unset: preview mode is off and drafts are seen by nobody.
    pub preview_secret: Option<Secret>,
    /// `WEBHOOK_SECRET`: the HMAC-SHA256 key of the publishing webhook's `X-Signature-256`. Unset:
    /// `/api/webhook` answers 404.
    pub webhook_secret: Option<Secret>,
    /// HTTP: the middleware (timeout, CORS, rate limit; see `src/middleware/`) and the limits on
    /// connections (see `src/server/serve.rs`).
    pub http: HttpConfig,
    /// `GRAPHQL_INTROSPECTION` (`true` or `false`; default `true` in a debug build, `false` in a
    /// release): whether `/api/graphql` answers introspection (`__schema`, `__type`), which tools
    /// such as GraphiQL need, and which shows anyone the whole schema.
    pub graphql_introspection: bool,
    /// Where the JS, wasm, CSS and `public/` files are served from: [`Site::Folder`]
    /// (`LEPTOS_SITE_ROOT`) as read from the environment; `main` puts the site built into the
    /// binary here when it carries one ([`Site::of_running_binary`]).
    pub site: Site,
}

/// The database the server runs on. `DATABASE_URL`'s scheme picks the backend (see `src/db/`).
#[derive(Clone, Debug)]
pub struct DatabaseConfig {
    /// `DATABASE_URL`: `sqlite://path` (the file and its folder are created when missing) or
    /// `postgres://user:password@host:port/database` (also `postgresql://`).
    pub url: DatabaseUrl,
    /// `DATABASE_MAX_CONNECTIONS` (default 16): the most connections one instance opens to PostgreSQL.
    /// SQLite ignores it: it opens one writer and a couple of readers per core.
    pub max_connections: NonZeroU32,
    /// `DATABASE_TIMEOUT_MS` (default 5000): how long a query waits for a connection (PostgreSQL:
    /// connecting or a free pooled connection; SQLite: another writer) before it gives up, and the
    /// request is answered 503.
    pub timeout: Duration,
}

impl DatabaseConfig {
    /// The settings for `url`, every other one at its default.
    pub fn new(url: DatabaseUrl) -> Self {
        Self {
            url,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            timeout: Duration::from_millis(5000),
        }
    }
}

/// Measured on 2 cores (bench/README.md): reads gain nothing past 8, but writes do up to 16, since
/// PostgreSQL flushes the commits that wait together in one go (more connections, more commits per
/// flush); 32 gained nothing more. N instances open up to N times this: mind PostgreSQL's limit
/// (100 by default).
const DEFAULT_MAX_CONNECTIONS: NonZeroU32 = NonZeroU32::new(16).unwrap();

/// Which database backend a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The name `/api/health` reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// A `DATABASE_URL` whose scheme is one the server runs on. Never printed whole (its `Debug` shows
/// the backend only): a PostgreSQL URL may hold a password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    backend: Backend,
}

impl DatabaseUrl {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        let backend = match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" => Backend::Postgres,
            _ => {
                return Err(format!(
                    "the scheme {scheme:?} is not one this server runs on: use sqlite://path, \
                     postgres://user:password@host:port/database or postgresql://…"
                ));
            }
        };
        Ok(Self {
            url: url.to_owned(),
            backend,
        })
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({}://..)", self.backend.name())
    }
}

/// A secret setting: never printed (its `Debug` shows `Secret(..)`), never empty.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl FromStr for Secret {
    type Err = &'static str;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value.is_empty() {
            Err("must not be empty (unset it to turn the feature off)")
        } else {
            Ok(Self(value.to_owned()))
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The upstream trivia service behind `/api/trivia/{number}`.
#[derive(Clone, Debug)]
pub struct TriviaConfig {
    /// `TRIVIA_API_URL` (e.g. `http://numbersapi.com`): asked `GET {url}/{number}`. Unset: the
    /// route answers from its cache and built-in facts only.
    pub api_url: Option<Url>,
    /// `TRIVIA_TIMEOUT_MS` (default 2000): how long one upstream call may take, all told.
    pub timeout: Duration,
}

impl Default for TriviaConfig {
    fn default() -> Self {
        Self {
            api_url: None,
            timeout: Duration::from_millis(2000),
        }
    }
}

/// The settings of the middleware stack in `src/middleware/` and of the connections
/// (`src/server/serve.rs`).
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// `REQUEST_TIMEOUT_MS` (default 10 000): how long a request may take before it is answered 503.
    /// Longer than `TRIVIA_TIMEOUT_MS`, so the trivia route can still fall back to its cache.
    pub request_timeout: Duration,
    /// `CORS_ALLOWED_ORIGINS` (comma-separated, default none): origins whose pages may read the
    /// `/api` GET routes. None: the API is same-origin only.
    pub cors_allowed_origins: AllowedOrigins,
    /// `RATE_LIMIT_PER_MINUTE` (default 60, `0` turns it off): writes per client address per minute.
    pub rate_limit_per_minute: Option<NonZeroU32>,
    /// `HTTP_HEADER_TIMEOUT_MS` (default 10 000): how long a client has to send a request's headers,
    /// from their first byte (on a new connection, from the connection). Then the connection is
    /// closed: a client that trickles its headers cannot hold it open.
    pub header_timeout: Duration,
    /// `HTTP_IDLE_TIMEOUT_MS` (default 60 000): how long a kept-alive connection may wait for its
    /// next request before it is closed.
    pub idle_timeout: Duration,
    /// `HTTP_MAX_CONNECTIONS` (default: what the open-file limit leaves room for): the most
    /// connections open at once; more wait to be accepted. `None`: the default.
    pub max_connections: Option<NonZeroUsize>,
    /// `RENDER_LIMIT` (default [`default_render_limit`]): pages rendered at once; more wait their turn.
    pub render_limit: NonZeroUsize,
}

/// Four pages per core: enough to keep every core rendering while some pages wait for the database,
/// few enough that the renders in progress hold well under a megabyte (bench/README.md).
pub fn default_render_limit() -> NonZeroUsize {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    NonZeroUsize::new(4 * cores).unwrap_or(NonZeroUsize::MIN)
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_millis(10_000),
            cors_allowed_origins: AllowedOrigins::default(),
            // A person writing posts and comments makes a few a minute; 60 (a burst of 60, then one
            // a second) never gets in their way, and still stops one address from flooding the site.
            rate_limit_per_minute: NonZeroU32::new(60),
            // Headers are a few kilobytes: even a slow mobile link sends them in well under a
            // second. nginx allows 60 s (`client_header_timeout`); 10 s frees a connection held by
            // a client that trickles them six times sooner.
            header_timeout: Duration::from_millis(10_000),
            // Browsers keep a connection for the next request of the page; a minute covers that
            // (nginx: 75 s) without holding connections for clients long gone.
            idle_timeout: Duration::from_millis(60_000),
            max_connections: None,
            render_limit: default_render_limit(),
        }
    }
}

/// A list of web origins (`https://app.example`, `http://localhost:8080`), each checked to be exactly
/// an origin — scheme, host, optional port, nothing else — because that is all a browser's `Origin`
/// header ever holds: `https://app.example/` with a path would silently never match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<HeaderValue>);

impl AllowedOrigins {
    pub fn as_slice(&self) -> &[HeaderValue] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromStr for AllowedOrigins {
    type Err = String;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(parse_origin)
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

fn parse_origin(entry: &str) -> Result<HeaderValue, String> {
    let url = Url::parse(entry).map_err(|error| format!("{entry:?} is not an origin: {error}"))?;
    let origin = url.origin().ascii_serialization();
    if !matches!(url.scheme(), "http" | "https") || origin != entry.trim_end_matches('/') {
        return Err(format!(
            "{entry:?} is not an origin: write scheme://host[:port], as in https://app.example"
        ));
    }
    HeaderValue::from_str(&origin).map_err(|error| format!("{entry:?}: {error}"))
}

/// A setting that is present but cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid {variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

impl Config {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            database: database_from_env()?,
            leptos: leptos_options_from_env()?,
            trivia: trivia_from_env()?,
            preview_secret: parse_var("PREVIEW_SECRET")?,
            webhook_secret: parse_var("WEBHOOK_SECRET")?,
            http: http_from_env()?,
            graphql_introspection: parse_var("GRAPHQL_INTROSPECTION")?
                .unwrap_or(cfg!(debug_assertions)),
            site: Site::Folder,
        })
        .and_then(Config::check_timeouts)
    }

    /// The request timeout must leave the trivia route time to give up on its upstream and answer
    /// from its cache; otherwise a slow upstream turns into a 503 instead of a fallback answer.
    fn check_timeouts(self) -> Result<Self, ConfigError> {
        if self.http.request_timeout <= self.trivia.timeout {
            return Err(ConfigError {
                variable: "REQUEST_TIMEOUT_MS",
                reason: format!(
                    "{} ms must be longer than TRIVIA_TIMEOUT_MS ({} ms)",
                    self.http.request_timeout.as_millis(),
                    self.trivia.timeout.as_millis()
                ),
            });
        }
        Ok(self)
    }
}

fn database_from_env() -> Result<DatabaseConfig, ConfigError> {
    let url = match parse_secret_var::<DatabaseUrl>("DATABASE_URL")? {
        Some(url) => url,
        None => DEFAULT_DATABASE_URL.parse().map_err(|reason| ConfigError {
            variable: "DATABASE_URL",
            reason,
        })?,
    };
    let defaults = DatabaseConfig::new(url);
    Ok(DatabaseConfig {
        max_connections: parse_var("DATABASE_MAX_CONNECTIONS")?.unwrap_or(defaults.max_connections),
        timeout: milliseconds_var("DATABASE_TIMEOUT_MS")?.unwrap_or(defaults.timeout),
        ..defaults
    })
}

fn http_from_env() -> Result<HttpConfig, ConfigError> {
    let defaults = HttpConfig::default();
    Ok(HttpConfig {
        request_timeout: milliseconds_var("REQUEST_TIMEOUT_MS")?
            .unwrap_or(defaults.request_timeout),
        cors_allowed_origins: parse_var("CORS_ALLOWED_ORIGINS")?
            .unwrap_or(defaults.cors_allowed_origins),
        rate_limit_per_minute: match parse_var::<u32>("RATE_LIMIT_PER_MINUTE")? {
            None => defaults.rate_limit_per_minute,
            Some(limit) => NonZeroU32::new(limit),
        },
        header_timeout: milliseconds_var("HTTP_HEADER_TIMEOUT_MS")?
            .unwrap_or(defaults.header_timeout),
        idle_timeout: milliseconds_var("HTTP_IDLE_TIMEOUT_MS")?.unwrap_or(defaults.idle_timeout),
        // Checked against the open-file limit when the server starts (`server::serve`).
        max_connections: parse_var("HTTP_MAX_CONNECTIONS")?,
        render_limit: parse_var("RENDER_LIMIT")?.unwrap_or(defaults.render_limit),
    })
}

/// A duration in milliseconds, at least 1.
fn milliseconds_var(variable: &'static str) -> Result<Option<Duration>, ConfigError> {
    match parse_var::<u64>(variable)? {
        Some(0) => Err(ConfigError {
            variable,
            reason: "must be at least 1 millisecond".to_owned(),
        }),
        milliseconds => Ok(milliseconds.map(Duration::from_millis)),
    }
}

fn trivia_from_env() -> Result<TriviaConfig, ConfigError> {
    let defaults = TriviaConfig::default();
    let api_url = parse_var::<Url>("TRIVIA_API_URL")?;
    if let Some(url) = &api_url
        && !matches!(url.scheme(), "http" | "https")
    {
        return Err(ConfigError {
            variable: "TRIVIA_API_URL",
            reason: format!("{url}: must be an http:// or https:// URL"),
        });
    }
    let timeout = milliseconds_var("TRIVIA_TIMEOUT_MS")?.unwrap_or(defaults.timeout);
    Ok(TriviaConfig { api_url, timeout })
}

/// Leptos reads its own `LEPTOS_*` variables; this names the culprit when one of them is wrong.
pub fn leptos_options_from_env() -> Result<LeptosOptions, ConfigError> {
    // Leptos parses LEPTOS_SITE_ADDR itself but its error does not say which variable failed.
    parse_var::<SocketAddr>("LEPTOS_SITE_ADDR")?;
    let mut options = leptos::config::get_configuration(None)
        .map_err(|error| ConfigError {
            variable: "LEPTOS_* settings",
            reason: error.to_string(),
        })?
        .leptos_options;
    // `cargo leptos` bakes the output name in at build time; a plain `cargo run` does not.
    if options.output_name.is_empty() {
        options.output_name = env!("CARGO_PKG_NAME").into();
    }
    Ok(options)
}

/// Parses `variable` when it is set; `Ok(None)` when it is not.
pub(crate) fn parse_var<T>(variable: &'static str) -> Result<Option<T>, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    parse_var_quoting(variable, |value, error| format!("{value:?}: {error}"))
}

/// [`parse_var`] for a value that may hold a secret (a password in a URL): an error says why the
/// value is refused without repeating it.
fn parse_secret_var<T>(variable: &'static str) -> Result<Option<T>, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    parse_var_quoting(variable, |_, error: T::Err| error.to_string())
}

fn parse_var_quoting<T>(
    variable: &'static str,
    reason: impl FnOnce(&str, T::Err) -> String,
) -> Result<Option<T>, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match env::var(variable) {
        Ok(value) => value
            .trim()
            .parse()
            .map(Some)
            .map_err(|error: T::Err| ConfigError {
                variable,
                reason: reason(&value, error),
            }),
        Err(env::VarError::NotPresent) => Ok(None),
        Err(env::VarError::NotUnicode(_)) => Err(ConfigError {
            variable,
            reason: "not valid UTF-8".to_owned(),
        }),
    }
}
