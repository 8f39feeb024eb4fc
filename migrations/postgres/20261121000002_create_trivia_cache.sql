-- Answers from the trivia upstream, kept so a repeated number is served without a network call and
-- an upstream outage still has something better than the built-in facts. Shared by every instance.
CREATE TABLE trivia_cache (
    number     bigint      PRIMARY KEY,
    text       text        NOT NULL,
    fetched_at timestamptz NOT NULL
);
