//! The connection loop: hyper's HTTP/1 connections, a semaphore for the cap (`HTTP_MAX_CONNECTIONS`;
//! more wait in the kernel's backlog), hyper-util's graceful shutdown, accept errors (EMFILE) waited
//! out, 10 ms doubling to a second. Each request learns its peer's address (`ConnectInfo`).
//! Hand-written, the header and idle timeouts (`HTTP_HEADER_TIMEOUT_MS` from a head's first byte,
//! `HTTP_IDLE_TIMEOUT_MS` between requests): hyper's `header_read_timeout` counts the idle wait as
//! header time and hyper has no idle timer. A request in progress is never cut by them: its handler
//! is bounded by `REQUEST_TIMEOUT_MS` (src/middleware/timeout.rs).

use std::{
    convert::Infallible,
    io,
    net::SocketAddr,
    num::NonZeroUsize,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{Request, Response},
};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{rt::TokioIo, server::graceful::GracefulShutdown};
use pin_project_lite::pin_project;
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore},
    time::{Instant, Interval, MissedTickBehavior, interval, sleep},
};
use tokio_util::io::InspectReader;
use tower::Service;

use crate::{
    config::{ConfigError, HttpConfig},
    middleware::App,
};

/// Open files the process keeps for itself, besides its connections: the database's files (three
/// per SQLite connection), the listener, the runtime's, the trivia client's connections, logs.
const FILES_KEPT: u64 = 256;

/// The first and the longest wait before accepting again after an error such as EMFILE.
const ACCEPT_BACKOFF_FIRST: Duration = Duration::from_millis(10);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// How often, at most, the log says that every connection is in use.
const FULL_WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// The limits one server's connections are held to.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    /// How long a shutdown waits for open connections (the request timeout and a second): a
    /// client that stops reading an event stream must not hold the process up forever.
    pub shutdown_grace: Duration,
}

impl ConnectionLimits {
    /// A quarter of the shorter timeout, 10 ms at least: how often a deadline is checked.
    fn check_every(&self) -> Duration {
        (self.header_timeout.min(self.idle_timeout) / 4).max(Duration::from_millis(10))
    }

    /// The limits of `http`, the connection cap checked against the open-file limit.
    pub fn new(http: &HttpConfig, open_files: u64) -> Result<Self, ConfigError> {
        Ok(Self {
            header_timeout: http.header_timeout,
            idle_timeout: http.idle_timeout,
            max_connections: max_connections(http.max_connections, open_files)?,
            shutdown_grace: http.request_timeout + Duration::from_secs(1),
        })
    }
}

/// The most connections that fit under `open_files` with [`FILES_KEPT`] (half the limit, when it is
/// small) left for the rest of the process. A configured cap above that stops the start.
pub fn max_connections(
    configured: Option<NonZeroUsize>,
    open_files: u64,
) -> Result<usize, ConfigError> {
    let kept = FILES_KEPT.min(open_files / 2);
    let room = usize::try_from(open_files - kept)
        .unwrap_or(usize::MAX)
        .max(1);
    match configured {
        None => Ok(room),
        Some(cap) if cap.get() <= room => Ok(cap.get()),
        Some(cap) => Err(ConfigError {
            variable: "HTTP_MAX_CONNECTIONS",
            reason: format!(
                "{cap} connections do not fit under the open-file limit of {open_files} \
                 ({kept} kept for the database and the process): at most {room}"
            ),
        }),
    }
}

/// Raises the soft open-file limit to the hard one where allowed, and returns the limit in force:
/// with a common soft limit of 1 024, a server would stop accepting at about a thousand clients.
pub fn raise_open_file_limit() -> u64 {
    let limits = getrlimit(Resource::Nofile);
    // `None` is "unlimited".
    let soft = limits.current.unwrap_or(u64::MAX);
    let Some(hard) = limits.maximum.filter(|&hard| hard > soft) else {
        return soft;
    };
    let raised = Rlimit {
        current: Some(hard),
        maximum: Some(hard),
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => {
            tracing::debug!(from = soft, to = hard, "raised the open-file limit");
            hard
        }
        Err(error) => {
            tracing::warn!(%error, soft, hard, "could not raise the open-file limit");
            soft
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes, then lets the requests in
/// flight finish.
pub async fn serve(
    listener: TcpListener,
    app: App,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = http1::Builder::new();
    // Enforced by `Activity` with the idle timeout: hyper's counts the idle wait as header time.
    http.header_read_timeout(None);
    let mut places = Places::new(limits.max_connections);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let place = tokio::select! {
            biased;
            () = &mut shutdown => break,
            place = places.take() => match place {
                Some(place) => place,
                None => break,
            },
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = accept(&listener) => accepted,
        };
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(InspectReader::new(stream, {
            let activity = Arc::clone(&activity);
            move |bytes: &[u8]| {
                if !bytes.is_empty() {
                    activity.bytes_read();
                }
            }
        }));
        let connection =
            http.serve_connection(io, service(app.clone(), peer, Arc::clone(&activity)));
        let connection = graceful.watcher().watch(connection);
        tokio::spawn(ConnectionTask::new(
            connection, activity, limits, peer, place,
        ));
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the shutdown grace period; closing them");
    }
}

/// One place per connection up to the cap, given back when the connection ends.
struct Places {
    free: Arc<Semaphore>,
    max: usize,
    said_full_at: Option<Instant>,
}

impl Places {
    fn new(max: usize) -> Self {
        Self {
            free: Arc::new(Semaphore::new(max)),
            max,
            said_full_at: None,
        }
    }

    /// A place for one more connection, waiting for one to end if need be. `None` only if the
    /// places were closed, which nothing does.
    async fn take(&mut self) -> Option<OwnedSemaphorePermit> {
        if let Ok(place) = Arc::clone(&self.free).try_acquire_owned() {
            return Some(place);
        }
        // Under a flood the cap is reached at each freed place: say it once a minute.
        if self
            .said_full_at
            .is_none_or(|said| said.elapsed() >= FULL_WARNING_INTERVAL)
        {
            tracing::warn!(
                max = self.max,
                "every connection is in use (HTTP_MAX_CONNECTIONS): new ones wait"
            );
            self.said_full_at = Some(Instant::now());
        }
        Arc::clone(&self.free).acquire_owned().await.ok()
    }
}

/// The next connection. A connection's own errors are skipped; others (out of file descriptors or
/// memory) waited out, longer each time, never spun on.
async fn accept(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    let mut backoff = Backoff::default();
    loop {
        match listener.accept().await {
            Ok(accepted) => return accepted,
            Err(error) if is_connection_error(&error) => {}
            Err(error) => {
                let wait = backoff.next_wait();
                tracing::error!(%error, retry_in = ?wait, "cannot accept connections");
                sleep(wait).await;
            }
        }
    }
}

/// The waits between attempts to accept after an error: 10 ms, doubling up to a second.
struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            next: ACCEPT_BACKOFF_FIRST,
        }
    }
}

impl Backoff {
    fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(ACCEPT_BACKOFF_MAX);
        wait
    }
}

/// Whether `error` is one connection's (skipped), not the listener's (waited out, as EMFILE).
pub fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// One request's answer, boxed. hyper keeps the place for a connection's request future from the
/// connection's start to its end (`Pin<Box<Option<F>>>`, sized for `F`): unboxed, every open
/// connection, idle or holding an event stream, would carry room for the whole middleware stack's
/// future long after its request was answered; boxed, the room is a pointer, and the future's
/// memory lives only while its request is answered (docs/live-comments.md, memory per stream).
type Answering = Pin<Box<dyn Future<Output = Result<Response<Tracked>, Infallible>> + Send>>;

/// The app as a hyper service for one connection: requests carry the peer's address, responses
/// keep the connection busy until sent.
fn service(
    app: App,
    peer: SocketAddr,
    activity: Arc<Activity>,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = Response<Tracked>,
    Error = Infallible,
    Future = Answering,
> {
    hyper::service::service_fn(move |request: Request<Incoming>| -> Answering {
        let busy = RequestInFlight::start(&activity);
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        let mut app = app.clone();
        Box::pin(async move {
            let response = app.call(request).await?;
            Ok(response.map(|body| Tracked { body, _busy: busy }))
        })
    })
}

/// Whether a connection's request is in progress, and since when it has waited for (the rest of)
/// one. Times are milliseconds since `accepted`.
struct Activity {
    accepted: Instant,
    requests_in_flight: AtomicUsize,
    /// Before a first answer, a silent connection is held to the header timeout, then to the idle.
    answered_one: AtomicBool,
    /// When the connection last became ready for a request: accepted, or its last response sent.
    ready_at: AtomicU64,
    /// When the first byte of the next request's head arrived; [`NOT_STARTED`] until it does.
    head_started_at: AtomicU64,
}

const NOT_STARTED: u64 = u64::MAX;

impl Activity {
    fn new() -> Self {
        Self {
            accepted: Instant::now(),
            requests_in_flight: AtomicUsize::new(0),
            answered_one: AtomicBool::new(false),
            ready_at: AtomicU64::new(0),
            head_started_at: AtomicU64::new(NOT_STARTED),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.accepted.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    /// The first bytes while no request is in progress start the next request's head.
    fn bytes_read(&self) {
        if self.requests_in_flight.load(Ordering::Acquire) == 0
            && self.head_started_at.load(Ordering::Acquire) == NOT_STARTED
        {
            self.head_started_at.store(self.now(), Ordering::Release);
        }
    }

    /// When the connection is closed unless something happens; `None` while a request is in flight.
    fn deadline(&self, limits: ConnectionLimits) -> Option<Instant> {
        if self.requests_in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let head_started_at = self.head_started_at.load(Ordering::Acquire);
        let (since, limit) = if head_started_at != NOT_STARTED {
            (head_started_at, limits.header_timeout)
        } else if self.answered_one.load(Ordering::Acquire) {
            (self.ready_at.load(Ordering::Acquire), limits.idle_timeout)
        } else {
            (0, limits.header_timeout)
        };
        Some(self.accepted + Duration::from_millis(since) + limit)
    }
}

pin_project! {
    /// One connection's task: drives the connection until it ends, or drops it once its deadline
    /// passes. Checked four times per timeout, not by a timer moved at every request, which cost a
    /// third of `/api/hello`'s throughput (docs/performance.md); a close comes at most a quarter
    /// late. A named future, not an `async` block: that kept the connection (hyper's state and the
    /// app) twice, as the block's capture and inside the future it awaited, for as long as the
    /// connection lived (docs/live-comments.md, memory per stream).
    struct ConnectionTask<C> {
        #[pin]
        connection: C,
        activity: Arc<Activity>,
        checks: Interval,
        limits: ConnectionLimits,
        peer: SocketAddr,
        // Given back when the task ends, after the connection.
        _place: OwnedSemaphorePermit,
    }
}

impl<C> ConnectionTask<C> {
    fn new(
        connection: C,
        activity: Arc<Activity>,
        limits: ConnectionLimits,
        peer: SocketAddr,
        place: OwnedSemaphorePermit,
    ) -> Self {
        let mut checks = interval(limits.check_every());
        checks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Self {
            connection,
            activity,
            checks,
            limits,
            peer,
            _place: place,
        }
    }
}

impl<C> Future for ConnectionTask<C>
where
    C: Future<Output = Result<(), hyper::Error>>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        if let Poll::Ready(result) = this.connection.poll(context) {
            if let Err(error) = result {
                tracing::debug!(%error, peer = %this.peer, "connection ended with an error");
            }
            return Poll::Ready(());
        }
        // Until a tick is pending, which wakes the task at the next.
        while this.checks.poll_tick(context).is_ready() {
            if this
                .activity
                .deadline(*this.limits)
                .is_some_and(|deadline| deadline <= Instant::now())
            {
                tracing::debug!(peer = %this.peer, "closed a connection that sent no complete request in time");
                return Poll::Ready(());
            }
        }
        Poll::Pending
    }
}

/// A request of a connection, from its complete head until its response has been sent (or dropped).
struct RequestInFlight(Arc<Activity>);

impl RequestInFlight {
    fn start(activity: &Arc<Activity>) -> Self {
        activity.requests_in_flight.fetch_add(1, Ordering::AcqRel);
        activity
            .head_started_at
            .store(NOT_STARTED, Ordering::Release);
        Self(Arc::clone(activity))
    }
}

impl Drop for RequestInFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        activity.ready_at.store(activity.now(), Ordering::Release);
        activity.answered_one.store(true, Ordering::Release);
        activity.requests_in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its request in flight until hyper has sent and dropped it.
pub struct Tracked {
    body: Body,
    _busy: RequestInFlight,
}

impl http_body::Body for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(context)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
#[path = "../../tests/unit/private/runtime_serve.rs"]
mod tests;
