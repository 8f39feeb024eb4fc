-- Accounts (issue 22): users, their sessions and API tokens, and the author of a post or comment.
-- `username` is kept as typed; `username_key` is its lowercase, unique, so `Alice` and `alice` are one
-- account (usernames are ASCII: src/model/account.rs).
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL,
    username_key  TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL, -- Argon2id, PHC string (salt and parameters inside)
    created_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- A session is found by the SHA-256 of its cookie's secret, so a copy of this table signs no one in.
-- A user's sessions go with the user. `expires_at`: Unix seconds, moved on while the session is used.
CREATE TABLE sessions (
    id_hash    BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) WITHOUT ROWID;
-- Sign-out everywhere (by user) and the sweep of expired sessions (by expiry).
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- API tokens for scripts (`Authorization: Bearer`): only the SHA-256 of the secret is kept.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   BLOB    NOT NULL UNIQUE,
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    last_used_at TEXT
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id, id);

-- The author of a post or comment; NULL: written anonymously. A removed user's writing stays, anonymous.
ALTER TABLE posts ADD COLUMN author_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE comments ADD COLUMN author_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX posts_by_author ON posts (author_id) WHERE author_id IS NOT NULL;
CREATE INDEX comments_by_author ON comments (author_id) WHERE author_id IS NOT NULL;
