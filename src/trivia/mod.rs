//! Number trivia for `/api/trivia/{number}`: from the upstream `TRIVIA_API_URL` when it answers in
//! time, else the database's cache of its earlier answers (at most `TRIVIA_CACHE_MAX_ENTRIES`,
//! oldest out first), else [`facts`] the server computes. The upstream address stays on the server.
//! Each call is a client span passing the trace on (`traceparent`) and a count by outcome.

pub mod facts;

use std::{num::NonZeroU32, time::Duration};

use reqwest::{Client, Url, header::HeaderMap};
use tracing::Instrument;

use crate::{
    config::TriviaConfig,
    db,
    model::{Trivia, TriviaSource, is_refused_control},
    telemetry::{metrics as telemetry, trace_context},
};

/// A cached answer younger than this is served without asking upstream; older ones when it fails.
const CACHE_FRESH_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// Upstream answers longer than this are refused: trivia is a sentence, not a download.
const MAX_UPSTREAM_BYTES: usize = 16 * 1024;

#[derive(Clone, Debug)]
pub struct TriviaService {
    client: Client,
    upstream: Option<Url>,
    cache_max_entries: NonZeroU32,
}

/// Why an upstream answer was not usable; logged, never shown to the client.
#[derive(Debug, thiserror::Error)]
enum UpstreamError {
    #[error("request failed: {0}")]
    Request(#[from] reqwest::Error),
    #[error("answered status {0}")]
    Status(reqwest::StatusCode),
    #[error("answered more than {MAX_UPSTREAM_BYTES} bytes")]
    TooLong,
    #[error("answered an empty text")]
    Empty,
    #[error("answered a text with the control character U+{0:04X}")]
    ControlCharacter(u32),
}

impl TriviaService {
    pub fn new(config: &TriviaConfig) -> Result<Self, reqwest::Error> {
        let client = Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()?;
        Ok(Self {
            client,
            upstream: config.api_url.clone(),
            cache_max_entries: config.cache_max_entries,
        })
    }

    /// A fact about `number`. Only a database failure is an error: a failing upstream falls back.
    pub async fn lookup(&self, db: &db::Db, number: i64) -> Result<Trivia, db::Error> {
        let cached = db::cached_trivia(db, number).await?;
        let answer = |text, source| Trivia {
            number,
            text,
            source,
        };
        if let Some(hit) = &cached
            && hit.age_seconds < CACHE_FRESH_FOR.as_secs() as i64
        {
            return Ok(answer(hit.text.clone(), TriviaSource::Cache));
        }
        if let Some(upstream) = &self.upstream {
            match self.fetch(upstream, number).await {
                Ok(text) => {
                    // Failing to cache loses nothing the client asked for: log it and answer.
                    if let Err(error) =
                        db::cache_trivia(db, number, &text, self.cache_max_entries).await
                    {
                        tracing::warn!(%error, "could not cache a trivia answer");
                    }
                    return Ok(answer(text, TriviaSource::Upstream));
                }
                Err(error) => {
                    tracing::warn!(%error, number, "trivia upstream failed; falling back")
                }
            }
        }
        Ok(match cached {
            Some(stale) => answer(stale.text, TriviaSource::Cache),
            None => answer(facts::describe(number), TriviaSource::Builtin),
        })
    }

    /// [`Self::fetch_text`] in a client span whose `traceparent` the upstream receives, counted in
    /// the metrics by outcome.
    async fn fetch(&self, upstream: &Url, number: i64) -> Result<String, UpstreamError> {
        let span = tracing::debug_span!(
            "trivia upstream",
            otel.name = "GET trivia upstream",
            otel.kind = "client",
            http.request.method = "GET",
            server.address = upstream.host_str().unwrap_or_default(),
        );
        let mut headers = HeaderMap::new();
        trace_context::inject(&span, &mut headers);
        let fetched = self
            .fetch_text(upstream, number, headers)
            .instrument(span)
            .await;
        let outcome = match &fetched {
            Ok(_) => "success",
            Err(UpstreamError::Request(error)) if error.is_timeout() => "timeout",
            Err(UpstreamError::Request(_)) => "error",
            Err(UpstreamError::Status(_)) => "status",
            Err(_) => "invalid",
        };
        metrics::counter!(telemetry::TRIVIA_UPSTREAM, "outcome" => outcome).increment(1);
        fetched
    }

    /// `GET {upstream}/{number}`, bounded by the configured timeout and [`MAX_UPSTREAM_BYTES`].
    async fn fetch_text(
        &self,
        upstream: &Url,
        number: i64,
        headers: HeaderMap,
    ) -> Result<String, UpstreamError> {
        let url = number_url(upstream, number);
        let mut response = self.client.get(url).headers(headers).send().await?;
        if !response.status().is_success() {
            return Err(UpstreamError::Status(response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_UPSTREAM_BYTES {
                return Err(UpstreamError::TooLong);
            }
            body.extend_from_slice(&chunk);
        }
        let text = String::from_utf8_lossy(&body).trim().to_owned();
        if text.is_empty() {
            return Err(UpstreamError::Empty);
        }
        // As for users' text (model/): PostgreSQL cannot cache U+0000, and it is shown in a page.
        if let Some(control) = text.chars().find(|&c| is_refused_control(c)) {
            return Err(UpstreamError::ControlCharacter(control.into()));
        }
        Ok(text)
    }
}

/// `{upstream}/{number}`, keeping the upstream's own path and query (`?key=…` stays a query).
pub fn number_url(upstream: &Url, number: i64) -> Url {
    let mut url = upstream.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().push(&number.to_string());
    }
    url
}
