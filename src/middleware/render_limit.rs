//! `RENDER_LIMIT`: at most that many pages render at once (default: four per core); the other page
//! requests wait their turn, first come first served, before their rendering starts. A page holds
//! its whole render from its first line to its last chunk and waits for the database in the
//! middle: unbounded, memory grows with the connections for no more throughput. The cost: a page
//! waiting for something slow (`/?number=…` with a silent trivia upstream) keeps its turn.

use std::num::NonZeroUsize;

use tower::limit::GlobalConcurrencyLimitLayer;

/// One permit per page being rendered, shared by every page route and the fallback.
pub fn layer(limit: NonZeroUsize) -> GlobalConcurrencyLimitLayer {
    GlobalConcurrencyLimitLayer::new(limit.get())
}
