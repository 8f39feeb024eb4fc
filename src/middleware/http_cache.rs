//! HTTP caching as Next.js's `generateEtags`: a 200 to a GET gets a weak ETag (a hash of its body)
//! and `Cache-Control: no-cache` (`private, no-store` and another tag in preview mode); an
//! `If-None-Match` naming it gets a 304 with the headers that update a cached copy (RFC 9110
//! §15.4.5). Hand-written: no crate hashes a page without its CSP nonce, new on every response. Only
//! a body of known length, bounded, or a rendered page ([`Finite`]) is read to hash; a stream or a
//! `no-store` answer passes through. Static files bring their own ETag (`site/serve.rs`).

use std::{
    convert::Infallible,
    future::Future,
    mem,
    pin::Pin,
    task::{Context, Poll, ready},
};

use axum::{
    BoxError,
    body::{Body, Bytes, HttpBody},
    extract::Request,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header, response::Parts},
    response::{IntoResponse, Response},
};
use leptos::nonce::Nonce;
use memchr::memmem;
use pin_project_lite::pin_project;
use sha2::{Digest, Sha256};
use tower::Service;

use crate::{db::Visibility, preview::PreviewMode};

const PUBLIC: &str = "no-cache";
const PREVIEW: &str = "private, no-store";
/// The largest body this layer reads to hash. Pages and API answers are far smaller (a list holds
/// at most 100 posts); a larger file (a debug build's wasm served from a folder) goes out untagged.
const MAX_TAGGED_BODY: usize = 32 * 1024 * 1024;
/// The headers a 304 keeps from the full answer it stands for.
const KEPT_BY_304: [header::HeaderName; 4] = [
    header::CACHE_CONTROL,
    header::ETAG,
    header::EXPIRES,
    header::VARY,
];

/// Marks a response whose body ends by itself though its length is not known in advance (a rendered
/// page, `around_pages`): it is read whole for its ETag like a body of known length.
#[derive(Clone, Copy, Debug)]
pub struct Finite;

/// The cache around the service `S`; `preview` tells which answers are personal.
#[derive(Clone)]
pub struct HttpCache<S> {
    inner: S,
    preview: PreviewMode,
}

impl<S> HttpCache<S> {
    pub fn new(inner: S, preview: PreviewMode) -> Self {
        Self { inner, preview }
    }
}

impl<S> Service<Request> for HttpCache<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Tagging<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let revalidation = Revalidation::of(&request, &self.preview);
        Tagging {
            step: Step::Answering {
                answer: self.inner.call(request),
            },
            revalidation,
        }
    }
}

pin_project! {
    /// The answer to one request, tagged on its way out (or a 304 in its place).
    pub struct Tagging<F> {
        #[pin]
        step: Step<F>,
        // What the cache needs of a GET (or HEAD); `None` for any other request.
        revalidation: Option<Revalidation>,
    }
}

pin_project! {
    #[project = StepNow]
    enum Step<F> {
        /// The service is answering.
        Answering {
            #[pin]
            answer: F,
        },
        /// A streamed body being read whole; boxed, as few answers need it.
        Reading {
            answer: Option<Box<(Parts, WholeBody)>>,
        },
    }
}

impl<F> Future for Tagging<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let response = loop {
            let next = match this.step.as_mut().project() {
                StepNow::Answering { answer } => {
                    let Ok(response) = ready!(answer.poll(cx));
                    let Some(cache) = this
                        .revalidation
                        .as_ref()
                        .filter(|cache| cache.wants_to_tag(&response))
                    else {
                        break response;
                    };
                    let (head, body) = response.into_parts();
                    let mut body = WholeBody::new(body);
                    match body.poll_read(cx) {
                        // A body made whole by its handler (an API answer) is read at once.
                        Poll::Ready(read) => break tagged(cache, head, read),
                        Poll::Pending => Step::Reading {
                            answer: Some(Box::new((head, body))),
                        },
                    }
                }
                StepNow::Reading { answer } => {
                    const READ_ONCE: &str = "a body is read whole once";
                    let read = ready!(answer.as_mut().expect(READ_ONCE).1.poll_read(cx));
                    let (head, _) = *answer.take().expect(READ_ONCE);
                    let cache = this.revalidation.as_ref();
                    let cache = cache.expect("only the answer to a GET is read for its ETag");
                    break tagged(cache, head, read);
                }
            };
            this.step.set(next);
        };
        let revalidation = this.revalidation.as_ref();
        Poll::Ready(Ok(
            match revalidation.and_then(|cache| cache.not_modified(&response)) {
                Some(not_modified) => not_modified,
                None => response,
            },
        ))
    }
}

/// The answer of `head` and the body `read` with its ETag, or a 500 if the body could not be read.
fn tagged(cache: &Revalidation, head: Parts, read: Result<Bytes, BoxError>) -> Response {
    match read {
        Ok(body) => cache.tag(head, body),
        Err(error) => {
            tracing::error!(%error, "cannot read a response body to tag it");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// What this layer needs to know of a GET or HEAD request, to tag its answer and revalidate it.
pub struct Revalidation {
    if_none_match: Option<HeaderValue>,
    visibility: Visibility,
    /// The page's CSP nonce, left out of the hash.
    nonce: Option<Nonce>,
}

impl Revalidation {
    /// `None` for a request whose answer is never cached (a POST…); the nonce is from `page_nonce`.
    fn of(request: &Request, preview: &PreviewMode) -> Option<Self> {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return None;
        }
        Some(Self {
            if_none_match: request.headers().get(header::IF_NONE_MATCH).cloned(),
            visibility: preview.visibility(request.headers()),
            nonce: request.extensions().get::<Nonce>().cloned(),
        })
    }

    /// Whether `response` should get its ETag here, which takes reading its body whole: a 200
    /// whose handler gave it no ETag (static files have theirs) and did not say `no-store`, with a
    /// body of known length or bound up to [`MAX_TAGGED_BODY`], or a rendered page ([`Finite`]).
    fn wants_to_tag(&self, response: &Response) -> bool {
        let headers = response.headers();
        let no_store = headers
            .get_all(header::CACHE_CONTROL)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .any(|value| {
                value
                    .split(',')
                    .any(|directive| directive.trim() == "no-store")
            });
        let bounded = match response.body().size_hint().upper() {
            Some(len) => len <= MAX_TAGGED_BODY as u64,
            None => response.extensions().get::<Finite>().is_some(),
        };
        response.status() == StatusCode::OK
            && !headers.contains_key(header::ETAG)
            && !no_store
            && bounded
    }

    /// The answer made of `parts` and the whole `body` with its ETag, `Cache-Control` (unless the
    /// handler set its own) and `Vary: Cookie`.
    fn tag(&self, mut parts: Parts, body: Bytes) -> Response {
        let hash = body_hash(&body, self.nonce.as_deref(), self.visibility);
        // `W/"` and the hash in 16 hex digits, then `"`.
        let mut etag = *b"W/\"0123456789abcdef\"";
        let headers = &mut parts.headers;
        if hex::encode_to_slice(hash, &mut etag[3..19]).is_ok()
            && let Ok(etag) = HeaderValue::from_bytes(&etag)
        {
            headers.insert(header::ETAG, etag);
        }
        if !headers.contains_key(header::CACHE_CONTROL) {
            let policy = match self.visibility {
                Visibility::Published => PUBLIC,
                Visibility::WithDrafts => PREVIEW,
            };
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
        }
        headers.append(header::VARY, HeaderValue::from_static("cookie"));
        Response::from_parts(parts, Body::from(body))
    }

    /// 304 Not Modified in place of `response`, when the request's `If-None-Match` names its ETag
    /// (whoever gave it: this layer, or a static file's handler).
    fn not_modified(&self, response: &Response) -> Option<Response> {
        let candidates = self.if_none_match.as_ref()?;
        (response.status() == StatusCode::OK
            && matches(candidates, response.headers().get(header::ETAG)))
        .then(|| not_modified(response.headers()))
    }
}

/// A response body being read whole, a frame at a time, up to [`MAX_TAGGED_BODY`] bytes.
struct WholeBody {
    body: Body,
    /// The first frame, kept as it is while it is the only one (an API answer's whole body).
    first: Bytes,
    /// The frames so far, once there are two or more (a page, which streams).
    more: Vec<u8>,
}

impl WholeBody {
    fn new(body: Body) -> Self {
        Self {
            body,
            first: Bytes::new(),
            more: Vec::new(),
        }
    }

    /// Reads the frames that are there; the body once it has been read to its end. Trailers are
    /// left out.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Result<Bytes, BoxError>> {
        loop {
            match ready!(Pin::new(&mut self.body).poll_frame(cx)) {
                None if self.more.is_empty() => return Poll::Ready(Ok(mem::take(&mut self.first))),
                None => return Poll::Ready(Ok(Bytes::from(mem::take(&mut self.more)))),
                Some(Err(error)) => return Poll::Ready(Err(error.into())),
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    if self.first.len() + self.more.len() + data.len() > MAX_TAGGED_BODY {
                        return Poll::Ready(Err("the body is too large to hash".into()));
                    }
                    if self.first.is_empty() && self.more.is_empty() {
                        self.first = data;
                    } else {
                        self.more.extend_from_slice(&mem::take(&mut self.first));
                        self.more.extend_from_slice(&data);
                    }
                }
            }
        }
    }
}

/// The first 8 bytes of a SHA-256 over who may see the answer and its body without `nonce`.
pub fn body_hash(body: &[u8], nonce: Option<&str>, visibility: Visibility) -> [u8; 8] {
    let mut hasher = Sha256::new();
    hasher.update(match visibility {
        Visibility::Published => b"public:".as_slice(),
        Visibility::WithDrafts => b"preview:".as_slice(),
    });
    match nonce.map(str::as_bytes) {
        Some(nonce) if !nonce.is_empty() => {
            let mut from = 0;
            for at in memmem::find_iter(body, nonce) {
                hasher.update(&body[from..at]);
                from = at + nonce.len();
            }
            hasher.update(&body[from..]);
        }
        _ => hasher.update(body),
    }
    let mut hash = [0; 8];
    hash.copy_from_slice(&hasher.finalize()[..8]);
    hash
}

/// Whether `If-None-Match` names `etag`, by the weak comparison RFC 9110 §13.1.2 asks for here
/// (`W/` ignored on both sides); `*` names any.
pub fn matches(if_none_match: &HeaderValue, etag: Option<&HeaderValue>) -> bool {
    let (Ok(candidates), Some(etag)) = (if_none_match.to_str(), etag) else {
        return false;
    };
    let Some(etag) = etag.to_str().ok().and_then(opaque_tag) else {
        return false;
    };
    candidates.trim() == "*"
        // Between each pair of quotes is one tag: `W/"a", "b"` → `a`, `b`.
        || candidates.split('"').skip(1).step_by(2).any(|tag| tag == etag)
}

fn opaque_tag(etag: &str) -> Option<&str> {
    etag.trim()
        .trim_start_matches("W/")
        .strip_prefix('"')?
        .strip_suffix('"')
}

/// 304 with the headers of the full answer that tell a cache what it now knows.
fn not_modified(full: &HeaderMap) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    for name in KEPT_BY_304 {
        for value in full.get_all(&name) {
            response.headers_mut().append(name.clone(), value.clone());
        }
    }
    response
}

#[cfg(test)]
#[path = "../../tests/unit/private/middleware_http_cache.rs"]
mod tests;
