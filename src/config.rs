//! Server settings, read once at start from the environment (and a `.env` file, loaded by `main`).
//!
//! Every setting has a working default, so a fresh clone runs with nothing configured. A value that is
//! set but unusable stops the start with one line naming the variable, instead of a surprise later.

use std::{
    env, fmt,
    net::{IpAddr, Ipv6Addr, SocketAddr},
    num::{NonZeroU32, NonZeroUsize},
    str::FromStr,
    time::Duration,
};

use axum::http::HeaderValue;
use leptos::config::LeptosOptions;
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};

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
    /// The middleware's (timeout, CORS, rate limit) and the connections' settings.
    pub http: HttpConfig,
    /// `GRAPHQL_INTROSPECTION` (`true` or `false`; default `true` in a debug build, `false` in a
    /// release): whether `/api/graphql` answers introspection (`__schema`, `__type`), which tools
    /// such as GraphiQL need, and which shows anyone the whole schema.
    pub graphql_introspection: bool,
    /// The live comments' settings (issue 23).
    pub live: LiveConfig,
    /// Metrics, traces and the log's format (issue 24).
    pub telemetry: TelemetryConfig,
    /// `POSTING` (issue 22): who may create posts and comments.
    pub posting: Posting,
    /// Sessions and sign-in limits (issue 22).
    pub accounts: AccountsConfig,
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
    /// `DATABASE_TIMEOUT_MS` (default 5000): how long a query waits for a connection (PostgreSQL)
    /// or another writer (SQLite) before the request is answered 503.
    pub timeout: Duration,
    // Issue 25 (high availability, poolers): docs/high-availability.md.
    /// `DATABASE_MIGRATION_URL` (default: `DATABASE_URL`): the PostgreSQL server the migrations run
    /// on, directly, when `DATABASE_URL` names a pooler in transaction mode (their advisory lock
    /// needs a session). Ignored on SQLite.
    pub migration_url: Option<DatabaseUrl>,
}

impl DatabaseConfig {
    /// The settings for `url`, every other one at its default.
    pub fn new(url: DatabaseUrl) -> Self {
        Self {
            url,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            timeout: Duration::from_millis(5000),
            migration_url: None,
        }
    }
}

/// Writes gain up to 16 (PostgreSQL flushes waiting commits together), reads nothing past 8
/// (bench/README.md). N instances open N times this: mind PostgreSQL's limit (100 by default).
const DEFAULT_MAX_CONNECTIONS: NonZeroU32 = NonZeroU32::new(16).unwrap();

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

/// A `DATABASE_URL` whose scheme is one the server runs on. Held as a secret (a PostgreSQL URL may
/// hold a password): its `Debug` shows the backend only.
#[derive(Clone)]
pub struct DatabaseUrl {
    url: SecretString,
    backend: Backend,
}

impl DatabaseUrl {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn as_str(&self) -> &str {
        self.url.expose_secret()
    }
}

impl PartialEq for DatabaseUrl {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for DatabaseUrl {}

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
            url: url.into(),
            backend,
        })
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({}://..)", self.backend.name())
    }
}

/// A secret setting: never printed (its `Debug` shows `[REDACTED]`), never empty.
#[derive(Clone, Debug)]
pub struct Secret(SecretString);

impl Secret {
    pub fn expose(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }
}

impl FromStr for Secret {
    type Err = &'static str;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value.is_empty() {
            Err("must not be empty (unset it to turn the feature off)")
        } else {
            Ok(Self(value.into()))
        }
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
    /// `TRIVIA_CACHE_MAX_ENTRIES` (default 10 000, at least 1): the most upstream answers kept; past
    /// it, those fetched longest ago go. Any client may ask any number, so without a bound the cache
    /// would grow with every new number asked.
    pub cache_max_entries: NonZeroU32,
}

/// An answer is a sentence: 10 000 of them are a megabyte or two.
const DEFAULT_TRIVIA_CACHE_MAX_ENTRIES: NonZeroU32 = NonZeroU32::new(10_000).unwrap();

impl Default for TriviaConfig {
    fn default() -> Self {
        Self {
            api_url: None,
            timeout: Duration::from_millis(2000),
            cache_max_entries: DEFAULT_TRIVIA_CACHE_MAX_ENTRIES,
        }
    }
}

// Issue 23, live comments (`/api/comments/{id}/events`, src/live/): how many streams, and where the
// PostgreSQL listener connects.

/// The live comments' settings (docs/live-comments.md).
#[derive(Clone, Debug, Default)]
pub struct LiveConfig {
    /// `SSE_MAX_STREAMS` (default, `None`: half the connection cap): the most event streams open at
    /// once; more are answered 503. The rest of the connections stay for pages and the API.
    pub max_streams: Option<NonZeroUsize>,
    /// `SSE_MAX_STREAMS=0`: no streams at all. The route answers 501 and the post pages do not
    /// open one (their island is told by the page: components/live_comments.rs).
    pub off: bool,
    /// `DATABASE_LISTEN_URL` (PostgreSQL only; default `DATABASE_URL`): where the one `LISTEN`
    /// connection goes, when `DATABASE_URL` names a transaction-mode pooler that cannot carry it.
    pub listen_url: Option<DatabaseUrl>,
    /// `SSE_STREAM_LIFETIME_MS` (default unset: no limit): a stream ends after this long, and the
    /// browser reconnects (and resumes from its last id), so streams spread again over instances
    /// added since, and a proxy's limit on a response's length is never met.
    pub stream_lifetime: Option<Duration>,
}

fn live_from_env() -> Result<LiveConfig, ConfigError> {
    let listen_url = parse_secret_var::<DatabaseUrl>("DATABASE_LISTEN_URL")?;
    if listen_url
        .as_ref()
        .is_some_and(|url| url.backend() != Backend::Postgres)
    {
        return Err(ConfigError {
            variable: "DATABASE_LISTEN_URL",
            reason: "must be a postgres:// URL (SQLite needs no listener)".to_owned(),
        });
    }
    let max_streams: Option<usize> = parse_var("SSE_MAX_STREAMS")?;
    Ok(LiveConfig {
        max_streams: max_streams.and_then(NonZeroUsize::new),
        off: max_streams == Some(0),
        listen_url,
        stream_lifetime: milliseconds_var("SSE_STREAM_LIFETIME_MS")?,
    })
}

/// The settings of `src/middleware/` and of the connections (`src/runtime/serve.rs`).
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
    /// from their first byte (or the connection's start), before the connection is closed.
    pub header_timeout: Duration,
    /// `HTTP_IDLE_TIMEOUT_MS` (default 60 000): how long a kept-alive connection may wait for its
    /// next request before it is closed.
    pub idle_timeout: Duration,
    /// `HTTP_MAX_CONNECTIONS` (default, `None`: what the open-file limit leaves room for): the most
    /// connections open at once; more wait to be accepted.
    pub max_connections: Option<NonZeroUsize>,
    /// `RENDER_LIMIT` (default [`default_render_limit`]): pages rendered at once; more wait their turn.
    pub render_limit: NonZeroUsize,
    /// `ALLOWED_HOSTS` (comma-separated): the host names requests may be addressed to. Unset: worked
    /// out from where the server listens ([`AllowedHosts::for_listener`]).
    pub allowed_hosts: AllowedHosts,
    /// `CSP_REPORT_URI` (default unset): where browsers report what the pages' Content-Security-Policy
    /// blocked (`report-uri`, and `report-to` through `Reporting-Endpoints`).
    pub csp_report_uri: Option<CspReportUri>,
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
            // A person writes a few a minute; 60 (a burst, then one a second) stops only a flood.
            rate_limit_per_minute: NonZeroU32::new(60),
            // Headers take well under a second even on a slow link; nginx allows 60 s, 10 s frees a
            // trickling client's connection six times sooner.
            header_timeout: Duration::from_millis(10_000),
            // Covers a page's next request (nginx: 75 s) without holding clients long gone.
            idle_timeout: Duration::from_millis(60_000),
            max_connections: None,
            render_limit: default_render_limit(),
            allowed_hosts: AllowedHosts::Unset,
            csp_report_uri: None,
        }
    }
}

/// The hosts a request may name (its `Host`, or the authority of an absolute-form target).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AllowedHosts {
    /// `ALLOWED_HOSTS` is not set.
    #[default]
    Unset,
    /// `*`.
    Any,
    /// These, and always the loopback names (`middleware/hosts.rs` says why).
    Only(Vec<HostPattern>),
}

impl AllowedHosts {
    /// What a server listening on `listening` accepts. Set: as set. Unset: the listening address's
    /// own IP (besides the loopback names, always accepted) — except in a release listening on
    /// any address but loopback, which must be told its names: it refuses to start.
    pub fn for_listener(&self, listening: SocketAddr) -> Result<Self, ConfigError> {
        if *self != Self::Unset {
            return Ok(self.clone());
        }
        let ip = listening.ip();
        if cfg!(not(debug_assertions)) && !ip.is_loopback() {
            return Err(ConfigError {
                variable: "ALLOWED_HOSTS",
                reason: format!(
                    "unset, but this release listens on {listening}, not only on loopback: set it to \
                     the host names the site is reached by (ALLOWED_HOSTS=example.com,www.example.com), \
                     or to * to accept any"
                ),
            });
        }
        Ok(Self::Only(
            (!ip.is_unspecified())
                .then(|| HostPattern::of_ip(ip))
                .into_iter()
                .collect(),
        ))
    }

    /// What a Lambda function accepts: as set, or any host when unset. Its front door (a Function
    /// URL, API Gateway) routes by host name and serves only https with its own certificate, so no
    /// request for another name (a DNS-rebinding one) reaches the function.
    pub fn for_lambda(&self) -> Self {
        match self {
            Self::Unset => Self::Any,
            set => set.clone(),
        }
    }
}

/// As `ALLOWED_HOSTS` writes them, for the start log: `*`, or the entries.
impl fmt::Display for AllowedHosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unset => Ok(()),
            Self::Any => f.write_str("*"),
            Self::Only(patterns) => {
                for (index, pattern) in patterns.iter().enumerate() {
                    let separator = if index == 0 { "" } else { "," };
                    let dot = if pattern.subdomains { "." } else { "" };
                    write!(f, "{separator}{dot}{}", pattern.name)?;
                    if let Some(port) = pattern.port {
                        write!(f, ":{port}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl FromStr for AllowedHosts {
    type Err = String;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        let entries: Vec<&str> = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .collect();
        match entries[..] {
            [] => Err("empty: list the host names the site is reached by, or * for any".to_owned()),
            ["*"] => Ok(Self::Any),
            _ if entries.contains(&"*") => {
                Err("* accepts any host: list nothing else with it".to_owned())
            }
            _ => entries
                .into_iter()
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map(Self::Only),
        }
    }
}

/// One entry of `ALLOWED_HOSTS`: `example.com` (any port), `example.com:8443` (that port only),
/// `.example.com` (it and every subdomain), an IPv4 address or a bracketed IPv6 one (`[::1]`).
/// Kept lowercase, without a trailing dot, as requests are compared with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPattern {
    /// The host name, or the IP address as a `Host` header writes it (IPv6 in brackets).
    pub name: Box<str>,
    /// Whether subdomains of `name` match too (a leading `.`).
    pub subdomains: bool,
    /// The only port that matches; `None`: any.
    pub port: Option<u16>,
}

impl HostPattern {
    fn of_ip(ip: IpAddr) -> Self {
        let name = match ip {
            IpAddr::V4(ip) => ip.to_string(),
            IpAddr::V6(ip) => format!("[{ip}]"),
        };
        Self {
            name: name.into(),
            subdomains: false,
            port: None,
        }
    }
}

impl FromStr for HostPattern {
    type Err = String;

    fn from_str(entry: &str) -> Result<Self, Self::Err> {
        let refused = |why: &str| format!("{entry:?}: {why}");
        let (subdomains, rest) = match entry.strip_prefix('.') {
            Some(rest) => (true, rest),
            None => (false, entry),
        };
        let (name, port) = split_host_port(rest).ok_or_else(|| {
            refused("not a host name: write host, host:port, .host (and its subdomains) or [IPv6]")
        })?;
        if subdomains && name.starts_with('[') {
            return Err(refused("an IP address has no subdomains"));
        }
        let is_ip = name.starts_with('[') || name.parse::<std::net::Ipv4Addr>().is_ok();
        if !is_ip && !is_host_name(name) {
            return Err(refused(
                "a host name is letters, digits, '-' and '.' (no scheme, no path: example.com)",
            ));
        }
        Ok(Self {
            name: name.to_ascii_lowercase().into(),
            subdomains,
            port,
        })
    }
}

/// A `Host` header's value (or a URI's authority) as host and port. The host loses a trailing dot
/// (`example.com.` names `example.com`), an IPv6 one keeps its brackets. `None` when it is no valid
/// `host[:port]` (empty, `user@host`, a port that is not a number).
pub fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, rest) = authority.split_at(end + 1);
        host[1..end].parse::<Ipv6Addr>().ok()?;
        (
            host,
            rest.strip_prefix(':').or(rest.is_empty().then_some(""))?,
        )
    } else {
        let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
        let host = host.strip_suffix('.').unwrap_or(host);
        let reg_name =
            |byte: u8| byte.is_ascii_alphanumeric() || b"-._~!$&'()*+;=%".contains(&byte);
        (!host.is_empty() && host.bytes().all(reg_name)).then_some((host, port))?
    };
    // RFC 9110 §4.2.1: a port may be empty (`example.com:`), which means the default one.
    let port = match port {
        "" => None,
        digits if digits.bytes().all(|byte| byte.is_ascii_digit()) => Some(digits.parse().ok()?),
        _ => return None,
    };
    Some((host, port))
}

fn is_host_name(name: &str) -> bool {
    name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
    })
}

/// `CSP_REPORT_URI`: an absolute http(s) URL, checked to sit safely inside a CSP directive and a
/// structured header (no `;`, `,`, `"` or space, which would end them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CspReportUri(Url);

impl CspReportUri {
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl FromStr for CspReportUri {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let url = Url::parse(value).map_err(|error| format!("not an absolute URL: {error}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must be an http:// or https:// URL".to_owned());
        }
        if url.as_str().contains([';', ',', '"', ' ']) {
            return Err("must not hold ';', ',', '\"' or spaces (percent-encode them)".to_owned());
        }
        Ok(Self(url))
    }
}

/// Web origins, each checked to be exactly `scheme://host[:port]`, all a browser's `Origin` ever
/// holds: `https://app.example/path` would silently never match.
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

// Issue 24: observability (docs/observability.md). Read by `main` before anything else, since the
// log's format must be known before the first line; `Config::from_env` reads it again for the rest.

/// Metrics, traces and the log's format. The default: no metrics listener, no traces, text logs.
#[derive(Clone, Debug, Default)]
pub struct TelemetryConfig {
    /// `METRICS_ADDR` (e.g. `127.0.0.1:9464`): where `GET /metrics` answers in the Prometheus text
    /// format, on a listener of its own. Unset: no metrics are kept.
    pub metrics_addr: Option<SocketAddr>,
    /// `LOG_FORMAT`: `text` (default, for a person) or `json` (one object per line, for a collector).
    pub log_format: LogFormat,
    /// OpenTelemetry traces over OTLP/HTTP, when `OTEL_EXPORTER_OTLP_ENDPOINT` (or its
    /// `_TRACES_` form) is set: the exporter reads the other standard `OTEL_*` variables itself.
    pub traces: Option<TracesConfig>,
}

/// What the exporter does not check itself: the sampler, which it would silently replace by its
/// default when misspelled.
#[derive(Clone, Debug, PartialEq)]
pub struct TracesConfig {
    /// `OTEL_TRACES_SAMPLER` (default `parentbased_always_on`) with `OTEL_TRACES_SAMPLER_ARG`.
    pub sampler: Sampler,
}

/// The samplers of the OpenTelemetry specification's `OTEL_TRACES_SAMPLER`, ratios in 0..=1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sampler {
    AlwaysOn,
    AlwaysOff,
    TraceIdRatio(f64),
    ParentBasedAlwaysOn,
    ParentBasedAlwaysOff,
    ParentBasedTraceIdRatio(f64),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = &'static str;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err("must be `text` or `json`"),
        }
    }
}

pub fn telemetry_from_env() -> Result<TelemetryConfig, ConfigError> {
    let endpoint_set = [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|variable| env::var(variable).is_ok_and(|value| !value.trim().is_empty()));
    let traces = match endpoint_set {
        true => Some(TracesConfig {
            sampler: sampler_from_env()?,
        }),
        false => None,
    };
    Ok(TelemetryConfig {
        metrics_addr: parse_var("METRICS_ADDR")?,
        log_format: parse_var("LOG_FORMAT")?.unwrap_or_default(),
        traces,
    })
}

fn sampler_from_env() -> Result<Sampler, ConfigError> {
    let ratio = || -> Result<f64, ConfigError> {
        match parse_var::<f64>("OTEL_TRACES_SAMPLER_ARG")? {
            None => Ok(1.0),
            Some(ratio) if (0.0..=1.0).contains(&ratio) => Ok(ratio),
            Some(ratio) => Err(ConfigError {
                variable: "OTEL_TRACES_SAMPLER_ARG",
                reason: format!("{ratio}: must be a ratio from 0 to 1"),
            }),
        }
    };
    let name = parse_var::<String>("OTEL_TRACES_SAMPLER")?;
    Ok(match name.as_deref().unwrap_or("parentbased_always_on") {
        "always_on" => Sampler::AlwaysOn,
        "always_off" => Sampler::AlwaysOff,
        "traceidratio" => Sampler::TraceIdRatio(ratio()?),
        "parentbased_always_on" => Sampler::ParentBasedAlwaysOn,
        "parentbased_always_off" => Sampler::ParentBasedAlwaysOff,
        "parentbased_traceidratio" => Sampler::ParentBasedTraceIdRatio(ratio()?),
        other => {
            return Err(ConfigError {
                variable: "OTEL_TRACES_SAMPLER",
                reason: format!(
                    "{other:?}: must be always_on, always_off, traceidratio, parentbased_always_on, \
                     parentbased_always_off or parentbased_traceidratio"
                ),
            });
        }
    })
}

#[derive(Debug, thiserror::Error)]
#[error("invalid {variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

// ---- Issue 22 (accounts, authors): who may write ----

/// `POSTING`: `anyone` (the default: anonymous posts and comments, as before accounts) or `members`
/// (creating a post or a comment takes a session or an API token). Editing and deleting always
/// take the author's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Posting {
    #[default]
    Anyone,
    Members,
}

impl Posting {
    pub fn members_only(self) -> bool {
        self == Self::Members
    }
}

impl FromStr for Posting {
    type Err = &'static str;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "anyone" => Ok(Self::Anyone),
            "members" => Ok(Self::Members),
            _ => Err("expected `anyone` or `members`"),
        }
    }
}

impl Config {
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
            live: live_from_env()?,
            telemetry: telemetry_from_env()?,
            posting: parse_var("POSTING")?.unwrap_or_default(),
            accounts: accounts_from_env()?,
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
        // Issue 25: the migrations' own server, when DATABASE_URL is a pooler.
        migration_url: parse_secret_var("DATABASE_MIGRATION_URL")?,
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
        // Checked against the open-file limit when the server starts (`runtime::serve`).
        max_connections: parse_var("HTTP_MAX_CONNECTIONS")?,
        render_limit: parse_var("RENDER_LIMIT")?.unwrap_or(defaults.render_limit),
        allowed_hosts: parse_var("ALLOWED_HOSTS")?.unwrap_or(defaults.allowed_hosts),
        csp_report_uri: parse_var("CSP_REPORT_URI")?,
    })
}

// Accounts (issue 22): sessions and the sign-in attempts' limits (docs/accounts.md).

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountsConfig {
    /// `SESSION_IDLE_MINUTES` (default 10080, 7 days; at least 1): a session unused this long ends.
    pub session_idle: Duration,
    /// `SIGNIN_LIMIT_PER_MINUTE` (default 5, `0` turns it off): sign-in attempts per username per
    /// minute, counted on every instance together (then 429 with `Retry-After`).
    pub signin_limit_per_minute: Option<NonZeroU32>,
    /// `SIGNIN_ADDRESS_LIMIT_PER_MINUTE` (default 30, `0` turns it off): sign-in and sign-up
    /// attempts per client address per minute (an IPv6 /64 counts as one address).
    pub signin_address_limit_per_minute: Option<NonZeroU32>,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        Self {
            session_idle: Duration::from_secs(7 * 24 * 60 * 60),
            signin_limit_per_minute: NonZeroU32::new(5),
            signin_address_limit_per_minute: NonZeroU32::new(30),
        }
    }
}

fn accounts_from_env() -> Result<AccountsConfig, ConfigError> {
    let defaults = AccountsConfig::default();
    let session_idle = match parse_var::<u64>("SESSION_IDLE_MINUTES")? {
        None => defaults.session_idle,
        // The upper bound keeps `now + idle` in range, in seconds as in a cookie's Max-Age.
        Some(minutes @ 1..=5_256_000) => Duration::from_secs(minutes * 60),
        Some(_) => {
            return Err(ConfigError {
                variable: "SESSION_IDLE_MINUTES",
                reason: "must be 1 to 5256000 minutes (ten years)".to_owned(),
            });
        }
    };
    let limit = |variable, default| -> Result<Option<NonZeroU32>, ConfigError> {
        Ok(match parse_var::<u32>(variable)? {
            None => default,
            Some(limit) => NonZeroU32::new(limit),
        })
    };
    Ok(AccountsConfig {
        session_idle,
        signin_limit_per_minute: limit(
            "SIGNIN_LIMIT_PER_MINUTE",
            defaults.signin_limit_per_minute,
        )?,
        signin_address_limit_per_minute: limit(
            "SIGNIN_ADDRESS_LIMIT_PER_MINUTE",
            defaults.signin_address_limit_per_minute,
        )?,
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
    // 0 is refused rather than read as "no bound" or "no cache": either would be a surprise.
    let cache_max_entries = match parse_var::<u32>("TRIVIA_CACHE_MAX_ENTRIES")? {
        None => defaults.cache_max_entries,
        Some(entries) => NonZeroU32::new(entries).ok_or_else(|| ConfigError {
            variable: "TRIVIA_CACHE_MAX_ENTRIES",
            reason: "must be at least 1".to_owned(),
        })?,
    };
    Ok(TriviaConfig {
        api_url,
        timeout,
        cache_max_entries,
    })
}

/// Leptos reads its own `LEPTOS_*` variables, but its errors do not say which one failed: this does.
pub fn leptos_options_from_env() -> Result<LeptosOptions, ConfigError> {
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
