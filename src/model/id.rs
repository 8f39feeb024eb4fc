//! The ids of posts, comments and users, in URLs, cursors and JSON: positive integers that fit i64.
//! Parsing and deserializing refuse anything else, with a message that names the kind of id.

use std::{fmt, marker::PhantomData, str::FromStr};

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
#[serde(transparent)]
pub struct PostId(pub i64);

/// Also the cursor of `GET /api/comments/{id}?cursor=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
#[serde(transparent)]
pub struct CommentId(pub i64);

/// A user's id (issue 22): the author of a post or comment, the owner of a session or API token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
#[serde(transparent)]
pub struct UserId(pub i64);

/// An API token's id: what `GET /api/auth/tokens` lists and `DELETE /api/auth/tokens/{id}` revokes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
#[serde(transparent)]
pub struct TokenId(pub i64);

trait PositiveId: Sized {
    const KIND: &'static str;
    fn new(id: i64) -> Self;
}

macro_rules! positive_id {
    ($id:ident, $kind:literal, $description:literal) => {
        impl PositiveId for $id {
            const KIND: &'static str = $kind;
            fn new(id: i64) -> Self {
                Self(id)
            }
        }

        /// `7.0` is `7`: JSON Schema counts a number without a fractional part as an integer.
        impl<'de> Deserialize<'de> for $id {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(PositiveIdVisitor(PhantomData))
            }
        }

        impl FromStr for $id {
            type Err = InvalidId;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                parse_positive_id(text)
            }
        }

        impl fmt::Display for $id {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::PartialSchema for $id {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                positive_id_schema($description)
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::ToSchema for $id {}
    };
}

positive_id!(
    PostId,
    "post",
    "A post's id: a positive integer that fits in 64 bits."
);
positive_id!(
    CommentId,
    "comment",
    "A comment's id: a positive integer that fits in 64 bits."
);
positive_id!(
    UserId,
    "user",
    "A user's id: a positive integer that fits in 64 bits."
);
positive_id!(
    TokenId,
    "token",
    "An API token's id: a positive integer that fits in 64 bits."
);

/// By hand: the derive cannot put `minimum` on a newtype.
#[cfg(feature = "ssr")]
fn positive_id_schema(
    description: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(1))
        .maximum(Some(i64::MAX))
        .description(Some(description))
        .into()
}

struct PositiveIdVisitor<T>(PhantomData<T>);

impl<T: PositiveId> serde::de::Visitor<'_> for PositiveIdVisitor<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a positive integer that fits in 64 bits")
    }

    fn visit_i64<E: serde::de::Error>(self, id: i64) -> Result<T, E> {
        if id > 0 {
            Ok(T::new(id))
        } else {
            Err(E::custom(InvalidId::of::<T>(id.to_string())))
        }
    }

    fn visit_u64<E: serde::de::Error>(self, id: u64) -> Result<T, E> {
        i64::try_from(id)
            .map_err(|_| E::custom(InvalidId::of::<T>(id.to_string())))
            .and_then(|id| self.visit_i64(id))
    }

    fn visit_f64<E: serde::de::Error>(self, id: f64) -> Result<T, E> {
        // Below 2^63, every f64 without a fractional part is exactly an i64.
        const I64_END: f64 = 9_223_372_036_854_775_808.0;
        if id.fract() == 0.0 && (1.0..I64_END).contains(&id) {
            Ok(T::new(id as i64))
        } else {
            Err(E::custom(InvalidId::of::<T>(id.to_string())))
        }
    }
}

/// Digits only: `i64::from_str` would also take `+1`, a second spelling of the same URL.
fn parse_positive_id<T: PositiveId>(text: &str) -> Result<T, InvalidId> {
    let digits_only = !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
    match text.parse::<i64>() {
        Ok(id) if digits_only && id > 0 => Ok(T::new(id)),
        _ => Err(InvalidId::of::<T>(text.to_owned())),
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidId {
    kind: &'static str,
    text: String,
}

impl InvalidId {
    fn of<T: PositiveId>(text: String) -> Self {
        Self {
            kind: T::KIND,
            text,
        }
    }
}

impl fmt::Display for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} id must be a positive integer that fits in 64 bits, not {:?}",
            self.kind, self.text
        )
    }
}

impl std::error::Error for InvalidId {}
