//! `RENDER_LIMIT`: at most that many pages render at once (default four per core); the rest wait,
//! first come first served. A page holds its render from first line to last chunk and waits for the
//! database midway: unbounded, memory grows with the connections for no more throughput. The cost:
//! a page waiting on something slow (`/?number=…`, a silent trivia upstream) keeps its turn.

use std::num::NonZeroUsize;

use tower::limit::GlobalConcurrencyLimitLayer;

/// One permit per page being rendered, shared by every page route and the fallback.
pub fn layer(limit: NonZeroUsize) -> GlobalConcurrencyLimitLayer {
    GlobalConcurrencyLimitLayer::new(limit.get())
}
