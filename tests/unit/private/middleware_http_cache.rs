//! Tests of `middleware::http_cache` that need its private items: compiled inside it (`#[path]`), kept out of `src/`.

use std::convert::Infallible;

use super::*;

/// A body sent in the given frames, each one as soon as it is asked for.
struct Frames(std::collections::VecDeque<Bytes>);

impl HttpBody for Frames {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        Poll::Ready(
            self.0
                .pop_front()
                .map(|data| Ok(http_body::Frame::data(data))),
        )
    }
}

async fn read_whole(frames: Vec<Bytes>) -> Result<Bytes, BoxError> {
    let mut body = WholeBody::new(Body::new(Frames(frames.into())));
    std::future::poll_fn(|cx| body.poll_read(cx)).await
}

#[tokio::test]
async fn a_body_is_read_whole_in_one_piece_or_several_up_to_the_limit() {
    let one = Bytes::from_static(b"{\"id\":1}");
    let whole = read_whole(vec![one.clone()]).await.unwrap();
    assert_eq!(whole, one);
    // The one frame is kept as it came, not copied.
    assert_eq!(whole.as_ptr(), one.as_ptr());

    let frames = ["<html>", "", "<body>", "</body></html>"].map(Bytes::from);
    let whole = read_whole(frames.to_vec()).await.unwrap();
    assert_eq!(whole, "<html><body></body></html>");

    let half = Bytes::from(vec![b'x'; MAX_TAGGED_BODY / 2]);
    let at_the_limit = read_whole(vec![half.clone(), half.clone()]).await.unwrap();
    assert_eq!(at_the_limit.len(), MAX_TAGGED_BODY);
    let over = read_whole(vec![half.clone(), half, Bytes::from_static(b"x")]).await;
    assert!(over.is_err());
}

#[test]
fn a_response_marked_no_store_tagged_already_or_not_ok_is_left_as_it_is() {
    let get = Revalidation {
        if_none_match: None,
        visibility: Visibility::Published,
        nonce: None,
    };
    let with = |name, value| {
        let mut response = Response::new(Body::from("{}"));
        response
            .headers_mut()
            .insert(name, HeaderValue::from_static(value));
        response
    };
    let mut not_found = Response::new(Body::from("{}"));
    *not_found.status_mut() = StatusCode::NOT_FOUND;

    assert!(get.wants_to_tag(&Response::new(Body::from("{}"))));
    assert!(get.wants_to_tag(&with(header::CACHE_CONTROL, "private")));
    assert!(!get.wants_to_tag(&with(header::CACHE_CONTROL, "private, no-store")));
    assert!(!get.wants_to_tag(&with(header::ETAG, "\"from-the-handler\"")));
    assert!(!get.wants_to_tag(&not_found));
}
