-- Draft posts: hidden from every page and API answer except in preview mode, until the publishing
-- webhook publishes them. Existing posts are published.
ALTER TABLE posts ADD COLUMN draft INTEGER NOT NULL DEFAULT 0 CHECK (draft IN (0, 1));

-- Every delivery the publishing webhook has applied, by its X-Delivery-Id, so a replayed delivery
-- changes nothing.
CREATE TABLE webhook_deliveries (
    id          TEXT PRIMARY KEY,
    received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) WITHOUT ROWID;
