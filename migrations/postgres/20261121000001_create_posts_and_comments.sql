-- Posts and their comments: the PostgreSQL counterpart of migrations/sqlite/, table for table.
-- Identity ids are never reused, as SQLite's AUTOINCREMENT, so an old /posts/{id} link never shows
-- another post. Timestamps are kept to the millisecond (timestamptz(3)), the precision the API
-- answers them with, so what is stored is exactly what is shown.
CREATE TABLE posts (
    id         bigint         GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title      text           NOT NULL,
    body       text           NOT NULL,
    created_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE comments (
    id         bigint         GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id    bigint         NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    body       text           NOT NULL,
    created_at timestamptz(3) NOT NULL DEFAULT now()
);

-- Comments are always read by post, oldest first; this also serves the post list's comment counts.
CREATE INDEX comments_by_post ON comments (post_id, id);

-- A timestamp as the API writes it, whatever the backend: UTC, ISO 8601 with milliseconds
-- (2026-11-21T07:30:00.123Z), the text SQLite stores. One definition for every query that answers
-- one; a plain SQL function, which the planner inlines.
CREATE FUNCTION api_timestamp(at timestamptz) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
