-- Live comments (docs/live-comments.md): the streams open on a post that is deleted end, on every
-- instance. Each deleted post is told to the instances' `LISTEN` connections as `post_deleted`
-- with its id, delivered at commit, in commit order with the comments' `comment_added` (one queue),
-- whichever statement deleted it (the API, the page's form, GraphQL, the webhook, by hand).
-- `pg_notify` needs no privilege: the function runs as the role that deletes.
CREATE FUNCTION post_deleted() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog
    AS $$
BEGIN
    PERFORM pg_notify('post_deleted', OLD.id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER post_deleted AFTER DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION post_deleted();
