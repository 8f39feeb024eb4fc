//! The page sizes of the lists, and the one rule for `limit`.

pub const PAGE_SIZE_DEFAULT: u32 = 20;
pub const COMMENT_PAGE_SIZE_DEFAULT: u32 = 50;
/// No answer grows with the data beyond this many items.
pub const PAGE_SIZE_MAX: u32 = 100;

/// The error is the message of the 400 (or GraphQL error) that refuses it.
pub fn page_size(limit: i64) -> Result<u32, String> {
    u32::try_from(limit)
        .ok()
        .filter(|limit| (1..=PAGE_SIZE_MAX).contains(limit))
        .ok_or_else(|| format!("limit must be between 1 and {PAGE_SIZE_MAX}, not {limit}."))
}
