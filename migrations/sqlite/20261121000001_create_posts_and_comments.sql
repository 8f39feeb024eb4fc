-- Posts and their comments. Timestamps are UTC, ISO 8601 with milliseconds, so they sort as text.
-- AUTOINCREMENT: an id is never reused, so an old /posts/{id} link never shows another post.
CREATE TABLE posts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE comments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id    INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    body       TEXT    NOT NULL,
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Comments are always read by post, oldest first; this also serves the post list's comment counts.
CREATE INDEX comments_by_post ON comments (post_id, id);
