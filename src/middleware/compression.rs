//! Response compression, gzip or brotli as `Accept-Encoding` prefers, where it pays (pages, long
//! JSON lists): not below 1 KiB (one packet either way), not images, not server-sent events, not the
//! embedded site's files (compressed at their best level when packed, `site/pack.rs`, sent as stored).

use crate::site::PreEncoded;
use axum::http::{Extensions, HeaderMap, StatusCode, Version};
use tower_http::compression::{
    Compression, CompressionLayer,
    predicate::{And, NotForContentType, Predicate, SizeAbove},
};

const MIN_SIZE: u16 = 1024;

/// The test of [`not_pre_encoded`], as a type the [`Policy`] can name.
type NotPreEncoded = fn(StatusCode, Version, &HeaderMap, &Extensions) -> bool;

/// Which responses are compressed.
pub type Policy = And<
    And<And<And<SizeAbove, NotForContentType>, NotForContentType>, NotForContentType>,
    NotPreEncoded,
>;

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
