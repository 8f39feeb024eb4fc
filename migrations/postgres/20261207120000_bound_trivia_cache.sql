-- The trivia cache is kept to TRIVIA_CACHE_MAX_ENTRIES answers: each new one evicts those fetched
-- longest ago (src/db/postgres/mod.rs). This index finds them without reading the whole table.
CREATE INDEX trivia_cache_by_fetch ON trivia_cache (fetched_at, number);
