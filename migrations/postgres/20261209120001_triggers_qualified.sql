-- The triggers' bodies name what they call by its schema (a review of 20261208000005): the comments'
-- trigger runs as its owner, and a fixed search_path alone does not keep another role's operator
-- out of it. `NEW.post_id || ','` is `bigint || unknown`, which pg_catalog has no exact operator
-- for, so an exact `||(bigint, bigint)` created in the migrations' schema by a role with CREATE
-- there would have been chosen before pg_catalog's, and run as the owner. Now every function,
-- operator and cast in the owner-run body is pg_catalog's or a column comparison pg_catalog has
-- exactly (`bigint = bigint`, `bigint > bigint`). CREATE OR REPLACE resets a function's settings,
-- so SECURITY DEFINER and the search_path are set again, as 20261208000005 set them.
CREATE OR REPLACE FUNCTION comment_added() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    AS $$
BEGIN
    PERFORM 1 FROM posts WHERE id = NEW.post_id FOR NO KEY UPDATE;
    IF EXISTS (SELECT 1 FROM comments WHERE post_id = NEW.post_id AND id > NEW.id) THEN
        NEW.id := pg_catalog.nextval(
            pg_catalog.pg_get_serial_sequence('comments', 'id')::pg_catalog.regclass);
    END IF;
    PERFORM pg_catalog.pg_notify('comment_added',
                                 pg_catalog.format('%s,%s', NEW.post_id, NEW.id));
    RETURN NEW;
END
$$;

DO $$
BEGIN
    EXECUTE pg_catalog.format(
        'ALTER FUNCTION comment_added() SET search_path = pg_catalog, %I, pg_temp',
        pg_catalog.current_schema());
END
$$;

REVOKE EXECUTE ON FUNCTION comment_added() FROM PUBLIC;

-- The sessions' trigger (20261209120000): its search_path fixed as the posts' one, and a session
-- ended up to two minutes past its expiry still told, so an instance whose clock is behind the
-- database's (which it compares `expires_at` with) does not go on showing a name it has cached.
ALTER FUNCTION session_ended() SET search_path = pg_catalog;

DROP TRIGGER session_ended ON sessions;

CREATE TRIGGER session_ended AFTER DELETE ON sessions
    FOR EACH ROW
    WHEN (OLD.expires_at > extract(epoch FROM now()) - 120)
    EXECUTE FUNCTION session_ended();
