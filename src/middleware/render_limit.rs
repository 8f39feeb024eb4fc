//! `RENDER_LIMIT`: at most that many pages render at once (default: four per core); the other page
//! requests wait their turn, first come first served, before their rendering starts.
//!
//! Why: a page holds its whole render (the reactive owner, its signals and resources, the HTML being
//! written) from its first line until its last chunk leaves, and it waits for the database in the
//! middle. Without a bound, every connection's request starts rendering as soon as it arrives, and
//! they all wait for the database together: memory grows with the number of connections (about
//! 90 KiB each in the release build: 256 connections took the server from 14 to 53 MiB), all of it
//! spent at once for no more throughput, since two cores render two pages at a time. A request
//! waiting its turn holds only the request itself.
//!
//! The cost: a page waiting for something slow keeps its turn meanwhile. The one page that can wait
//! long is `/?number=…` when the trivia upstream does not answer (up to `TRIVIA_TIMEOUT_MS`); if
//! many visitors ask for trivia while the upstream is down, raise the limit.

use std::num::NonZeroUsize;

use tower::limit::GlobalConcurrencyLimitLayer;

/// One permit per page being rendered, shared by every page route and the fallback.
pub fn layer(limit: NonZeroUsize) -> GlobalConcurrencyLimitLayer {
    GlobalConcurrencyLimitLayer::new(limit.get())
}
