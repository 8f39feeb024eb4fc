-- Answers from the trivia upstream, kept so a repeated number is served without a network call and
-- an upstream outage still has something better than the built-in facts.
CREATE TABLE trivia_cache (
    number     INTEGER PRIMARY KEY,
    text       TEXT    NOT NULL,
    fetched_at INTEGER NOT NULL -- Unix seconds, UTC
);
