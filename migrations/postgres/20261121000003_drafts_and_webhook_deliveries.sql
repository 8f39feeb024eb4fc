-- Draft posts: hidden from every page and API answer except in preview mode, until the publishing
-- webhook publishes them. Existing posts are published.
ALTER TABLE posts ADD COLUMN draft boolean NOT NULL DEFAULT false;

-- Every delivery the publishing webhook has applied, by its X-Delivery-Id, so a replayed delivery
-- changes nothing, whichever instance it reaches.
CREATE TABLE webhook_deliveries (
    id          text           PRIMARY KEY,
    received_at timestamptz(3) NOT NULL DEFAULT now()
);
