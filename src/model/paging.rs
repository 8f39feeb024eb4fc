//! How long the lists are: the page sizes of posts and comments, and the one rule for `limit`.

/// How many posts one page of `GET /api/post` holds unless `limit` says otherwise.
pub const PAGE_SIZE_DEFAULT: u32 = 20;
/// How many comments one page of `GET /api/comments/{id}` (and `/posts/{id}`) holds unless `limit`
/// says otherwise.
pub const COMMENT_PAGE_SIZE_DEFAULT: u32 = 50;
/// The largest `limit` any list accepts: no answer grows with the data beyond this many items.
pub const PAGE_SIZE_MAX: u32 = 100;

/// The paging rule of every list: `limit` is 1–[`PAGE_SIZE_MAX`]. The error is the message of the
/// 400 (or GraphQL error) that refuses it.
pub fn page_size(limit: i64) -> Result<u32, String> {
    u32::try_from(limit)
        .ok()
        .filter(|limit| (1..=PAGE_SIZE_MAX).contains(limit))
        .ok_or_else(|| format!("limit must be between 1 and {PAGE_SIZE_MAX}, not {limit}."))
}
