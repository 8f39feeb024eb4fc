-- The comments' trigger (20261208000003_live_comments.sql) runs as its owner, the role that applied
-- the migrations, not as the role that inserts: it may draw a new id from the comments' identity
-- sequence (`nextval` needs USAGE on it) and it locks the post's row (`FOR NO KEY UPDATE` needs
-- UPDATE on posts), neither of which a least-privilege app role has (docs/postgres.md, "The app's
-- role"): without this, such a role's comment failed with SQLSTATE 42501 and answered 500.
--
-- A SECURITY DEFINER function runs with a fixed search_path, so nobody who can create objects in
-- another schema (or in pg_temp, which is searched first unless named) can slip a function or a
-- table of their own into it: pg_catalog, then the schema the migrations run in, pg_temp last. A
-- trigger function cannot be called directly; EXECUTE is still taken from PUBLIC (firing a trigger
-- does not check it).
ALTER FUNCTION comment_added() SECURITY DEFINER;

DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION comment_added() SET search_path = pg_catalog, %I, pg_temp',
                   current_schema());
END
$$;

REVOKE EXECUTE ON FUNCTION comment_added() FROM PUBLIC;
