-- Idempotency-Key (issue 25, docs/high-availability.md): what a create request with a key made, so a
-- retry answers the same. `scope` is the route ('post', 'comment'); `fingerprint` the SHA-256 of the
-- request's values (a retry with other values is refused); `created_id` the new post's or comment's
-- id. Written in the transaction of the row it names. Past 24 hours a key is forgotten.
CREATE TABLE idempotency_keys (
    scope       text        NOT NULL,
    key         text        NOT NULL,
    fingerprint bytea       NOT NULL,
    created_id  bigint      NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
