-- Each instance's cache of live sessions (src/db/session_cache.rs, docs/accounts.md): a session
-- deleted (sign-out, sign-out everywhere, the old one at a sign-in, its user removed) is told to the
-- instances' `LISTEN session_ended` connections as the hex of its `id_hash` (never the secret,
-- which the database does not have), so no instance goes on showing its user's name. NOTIFY is
-- delivered at commit, one per row. A session already past its `expires_at` is not told (the
-- sweep of expired sessions deletes many at once): each cache honours `expires_at` itself.
CREATE FUNCTION session_ended() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('session_ended', encode(OLD.id_hash, 'hex'));
    RETURN NULL;
END
$$;

CREATE TRIGGER session_ended AFTER DELETE ON sessions
    FOR EACH ROW
    WHEN (OLD.expires_at > extract(epoch FROM now()))
    EXECUTE FUNCTION session_ended();
