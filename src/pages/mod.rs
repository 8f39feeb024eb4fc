//! Page routes, one file each, as `app.rs` mounts them.

pub mod account;
pub mod home;
pub mod not_found;
pub mod post;
pub mod reads;
pub mod unavailable;
