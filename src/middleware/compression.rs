//! Response compression, gzip or brotli as the client's `Accept-Encoding` prefers, where it pays:
//! the HTML pages, the JavaScript and wasm bundles, long JSON lists. Not below 1 KiB (one packet
//! either way; the CPU time buys nothing), and not formats that are compressed already (images) or
//! that must flow unbuffered (server-sent events).

use tower_http::compression::{
    Compression, CompressionLayer,
    predicate::{And, NotForContentType, Predicate, SizeAbove},
};

/// Bodies smaller than this go out as they are.
const MIN_SIZE: u16 = 1024;

/// Which responses are compressed.
pub type Policy = And<And<And<SizeAbove, NotForContentType>, NotForContentType>, NotForContentType>;

/// The service `S` with its responses compressed.
pub type Compressed<S> = Compression<S, Policy>;

pub fn layer() -> CompressionLayer<Policy> {
    CompressionLayer::new().gzip(true).br(true).compress_when(
        SizeAbove::new(MIN_SIZE)
            .and(NotForContentType::IMAGES)
            .and(NotForContentType::SSE)
            .and(NotForContentType::GRPC),
    )
}
