-- The write rate limit (RATE_LIMIT_PER_MINUTE), shared by every instance over this database, so a
-- client gets the limit once, not once per instance. One row per client address: the time from which
-- its next write is "on schedule" (GCRA, see src/db/postgres/write_limit.rs). A row whose time has
-- passed means the same as no row, and is swept out now and then.
-- (SQLite has no such table: one process serves a SQLite database, and it counts in memory.)
CREATE TABLE write_allowances (
    address text        PRIMARY KEY,
    next_at timestamptz NOT NULL
);
