//! Accounts: the rules for usernames and passwords, checked alike in the browser (the sign-up and
//! sign-in islands) and on the server, and the bodies and answers of `/api/auth/*`. Usernames are
//! ASCII on purpose: `раураl` (Cyrillic) cannot pass for `paypal`, and case folds one way only.

use serde::{Deserialize, Serialize};

use super::{FieldErrors, TokenId};

/// Characters; a username is ASCII, so also bytes.
pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;
/// Characters (Unicode scalar values, what a person counts), not bytes (NIST SP 800-63B).
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;

/// Body of `POST /api/auth/signup` and `POST /api/auth/signin`. Missing fields read as empty, so
/// they fail validation with a message on the field rather than a parse error.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Credentials {
    /// 3–32 ASCII letters, digits, `_` and `-`; compared case-insensitively, kept as typed.
    #[cfg_attr(
        feature = "ssr",
        schema(
            required = true,
            min_length = 3,
            max_length = 32,
            pattern = "^[A-Za-z0-9_-]{3,32}$"
        )
    )]
    #[serde(default)]
    pub username: String,
    /// 8–128 characters, any but U+0000; no composition rules.
    #[cfg_attr(
        feature = "ssr",
        schema(
            required = true,
            min_length = 8,
            max_length = 128,
            pattern = "^[^\\u0000]*$"
        )
    )]
    #[serde(default)]
    pub password: String,
}

/// Never prints the password (logs, panics).
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Credentials that keep the rules: past this type, a bad username or password cannot exist.
pub struct ValidCredentials {
    /// As typed.
    pub username: String,
    /// What accounts are told apart by: the username in ASCII lowercase.
    pub key: String,
    pub password: String,
}

impl Credentials {
    pub fn validate(&self) -> Result<ValidCredentials, FieldErrors> {
        let mut errors = FieldErrors::new();
        let username = check_username(&mut errors, &self.username);
        let password = check_password(&mut errors, &self.password);
        match (username, password) {
            (Some(username), true) => Ok(ValidCredentials {
                key: username_key(&username),
                username,
                password: self.password.clone(),
            }),
            _ => Err(errors),
        }
    }
}

/// The username, if it keeps the rule; else a message under `username`. Not trimmed: a space is
/// refused like any other character, so the OpenAPI pattern states the rule exactly.
pub fn check_username(errors: &mut FieldErrors, username: &str) -> Option<String> {
    let length = username.chars().count();
    let message = if !(USERNAME_MIN..=USERNAME_MAX).contains(&length) {
        format!("username must be {USERNAME_MIN} to {USERNAME_MAX} characters (it has {length})")
    } else if let Some(other) = username.chars().find(|&c| !is_username_char(c)) {
        format!(
            "username may only hold the letters A to Z (either case), digits, _ and - (not {:?})",
            other
        )
    } else {
        return Some(username.to_owned());
    };
    errors
        .entry("username".to_owned())
        .or_default()
        .push(message);
    None
}

/// Whether `password` keeps the rule; else a message under `password`. The length is counted in
/// characters, not trimmed (spaces are part of a passphrase).
pub fn check_password(errors: &mut FieldErrors, password: &str) -> bool {
    let length = password.chars().count();
    let message = if length < PASSWORD_MIN {
        format!("password must be at least {PASSWORD_MIN} characters (it has {length})")
    } else if length > PASSWORD_MAX {
        format!("password must be at most {PASSWORD_MAX} characters (it has {length})")
    } else if password.contains('\0') {
        // No keyboard types it, and C-string tools cut a password at it.
        "password must not contain the NUL character (U+0000)".to_owned()
    } else {
        return true;
    };
    errors
        .entry("password".to_owned())
        .or_default()
        .push(message);
    false
}

pub fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// The case-insensitive key of a valid username (ASCII: one lowercase per letter, in any locale).
pub fn username_key(username: &str) -> String {
    username.to_ascii_lowercase()
}

/// Answer to sign-up, sign-in and `GET /api/auth/me`: who is signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SignedIn {
    /// As it was typed at sign-up.
    pub username: String,
}

/// Answer to `POST /api/auth/tokens`: the token is shown this once; the server keeps only its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenCreated {
    pub id: TokenId,
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
}

/// One API token, without its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenInfo {
    pub id: TokenId,
    /// UTC, RFC 3339 with milliseconds.
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub created_at: String,
    /// When a request last used it (to the minute), or `null`: never.
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub last_used_at: Option<String>,
}

/// Answer to `GET /api/auth/tokens`: the signed-in user's tokens, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenList {
    pub tokens: Vec<TokenInfo>,
}
