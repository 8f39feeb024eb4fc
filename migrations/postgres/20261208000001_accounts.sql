-- Accounts (issue 22): users, their sessions and API tokens, and the author of a post or comment; the
-- PostgreSQL counterpart of migrations/sqlite/, table for table. `username` is kept as typed;
-- `username_key` is its lowercase, unique, so `Alice` and `alice` are one account (usernames are
-- ASCII: src/model/account.rs).
CREATE TABLE users (
    id            bigint         GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text           NOT NULL,
    username_key  text           NOT NULL UNIQUE,
    password_hash text           NOT NULL, -- Argon2id, PHC string (salt and parameters inside)
    created_at    timestamptz(3) NOT NULL DEFAULT now()
);

-- A session is found by the SHA-256 of its cookie's secret, so a copy of this table signs no one in.
-- A user's sessions go with the user. `expires_at`: Unix seconds, moved on while the session is used.
-- In the database, so every instance over it sees every session.
CREATE TABLE sessions (
    id_hash    bytea          PRIMARY KEY,
    user_id    bigint         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at bigint         NOT NULL,
    created_at timestamptz(3) NOT NULL DEFAULT now()
);
-- Sign-out everywhere (by user) and the sweep of expired sessions (by expiry).
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- API tokens for scripts (`Authorization: Bearer`): only the SHA-256 of the secret is kept.
CREATE TABLE api_tokens (
    id           bigint         GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   bytea          NOT NULL UNIQUE,
    created_at   timestamptz(3) NOT NULL DEFAULT now(),
    last_used_at timestamptz(3)
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id, id);

-- The author of a post or comment; NULL: written anonymously. A removed user's writing stays, anonymous.
ALTER TABLE posts ADD COLUMN author_id bigint REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE comments ADD COLUMN author_id bigint REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX posts_by_author ON posts (author_id) WHERE author_id IS NOT NULL;
CREATE INDEX comments_by_author ON comments (author_id) WHERE author_id IS NOT NULL;
