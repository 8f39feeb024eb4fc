//! Response compression, gzip or brotli as the client's `Accept-Encoding` prefers, where it pays:
//! the HTML pages and long JSON lists. Not below 1 KiB (one packet either way; the CPU time buys
//! nothing), not formats that are compressed already (images), not what must flow unbuffered
//! (server-sent events), and not the embedded site's files, which were compressed once at their
//! best level when the release was packed (`site/pack.rs`) and are sent as they were stored.

use crate::site::PreEncoded;
use axum::http::{Extensions, HeaderMap, StatusCode, Version};
use tower_http::compression::{
    Compression, CompressionLayer,
    predicate::{And, NotForContentType, Predicate, SizeAbove},
};

/// Bodies smaller than this go out as they are.
const MIN_SIZE: u16 = 1024;

/// The test of [`not_pre_encoded`], as a type the [`Policy`] can name.
type NotPreEncoded = fn(StatusCode, Version, &HeaderMap, &Extensions) -> bool;

/// Which responses are compressed.
pub type Policy = And<
    And<And<And<SizeAbove, NotForContentType>, NotForContentType>, NotForContentType>,
    NotPreEncoded,
>;

/// The service `S` with its responses compressed.
pub type Compressed<S> = Compression<S, Policy>;

pub fn layer() -> CompressionLayer<Policy> {
    CompressionLayer::new().gzip(true).br(true).compress_when(
        SizeAbove::new(MIN_SIZE)
            .and(NotForContentType::IMAGES)
            .and(NotForContentType::SSE)
            .and(NotForContentType::GRPC)
            .and(not_pre_encoded as NotPreEncoded),
    )
}

fn not_pre_encoded(_: StatusCode, _: Version, _: &HeaderMap, extensions: &Extensions) -> bool {
    extensions.get::<PreEncoded>().is_none()
}
