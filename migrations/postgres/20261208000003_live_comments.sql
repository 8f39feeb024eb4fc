-- Live comments (issue 23, docs/live-comments.md): every new comment is told to the instances'
-- `LISTEN comment_added` connections as `post_id,id`, ids only (a payload is limited to 8000
-- bytes, and readers fetch the row as the API shapes it). NOTIFY is delivered at commit, in commit
-- order.
--
-- A stream resumes after the last id it sent (`Last-Event-ID`), so a post's comments must commit
-- in id order: an id is drawn before the insert waits for anything, so two inserts on one post
-- could commit 6 before 5, and a reader that saw 6 would skip 5. So the insert locks its post's
-- row until commit (`FOR NO KEY UPDATE`: the foreign key's own `FOR KEY SHARE` does not conflict),
-- and if a newer comment of the post committed while it waited, it draws a new, newer id. Rows
-- written with their own ids (`copy-db`, under a table lock, oldest first) never meet a newer one.
CREATE FUNCTION comment_added() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM 1 FROM posts WHERE id = NEW.post_id FOR NO KEY UPDATE;
    IF EXISTS (SELECT 1 FROM comments WHERE post_id = NEW.post_id AND id > NEW.id) THEN
        NEW.id := nextval(pg_get_serial_sequence('comments', 'id'));
    END IF;
    PERFORM pg_notify('comment_added', NEW.post_id || ',' || NEW.id);
    RETURN NEW;
END
$$;

CREATE TRIGGER comment_added BEFORE INSERT ON comments
    FOR EACH ROW EXECUTE FUNCTION comment_added();
