-- Searching the inbox for a common name (a surname one contact in fifteen has) collected every
-- matching contact, then looked up each one's conversations: thousands of lookups for a page of
-- thirty. With the contact's searchable text on the conversation itself, the newest conversations
-- are walked and checked in place, and Postgres stops at the page's end; a rare name is still
-- found through a trigram index, now on the conversations. Triggers keep the copy exact, whatever
-- writes the contact or the conversation.

-- What a conversation is found by: its contact's number, name and WhatsApp profile name. A line
-- break separates them, which a search box cannot type, so a term never matches across two.
CREATE FUNCTION contact_search_text(wa_id text, name text, profile_name text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$
    SELECT wa_id || E'\n' || coalesce(name, '') || E'\n' || coalesce(profile_name, '')
$$;

ALTER TABLE conversations ADD COLUMN contact_search text NOT NULL DEFAULT '';
UPDATE conversations c SET contact_search = contact_search_text(k.wa_id, k.name, k.profile_name)
FROM contacts k WHERE k.id = c.contact_id;

-- A new conversation (or one moved to another contact) copies its contact's text. Runs as the
-- caller: row-level security applies.
CREATE FUNCTION conversation_takes_contact_search()
RETURNS trigger
LANGUAGE plpgsql SET search_path = public AS
$$
BEGIN
    SELECT contact_search_text(k.wa_id, k.name, k.profile_name) INTO NEW.contact_search
    FROM contacts k WHERE k.id = NEW.contact_id;
    NEW.contact_search := coalesce(NEW.contact_search, '');
    RETURN NEW;
END
$$;
CREATE TRIGGER conversations_contact_search BEFORE INSERT OR UPDATE OF contact_id ON conversations
    FOR EACH ROW EXECUTE FUNCTION conversation_takes_contact_search();

-- A renamed contact (or a new WhatsApp profile name) is found under its new name at once. Only a
-- real change writes: every inbound message upserts its contact's profile name.
CREATE FUNCTION contact_search_reaches_conversations()
RETURNS trigger
LANGUAGE plpgsql SET search_path = public AS
$$
BEGIN
    UPDATE conversations SET contact_search = contact_search_text(NEW.wa_id, NEW.name, NEW.profile_name)
    WHERE organization_id = NEW.organization_id AND contact_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER contacts_search_reaches_conversations AFTER UPDATE OF wa_id, name, profile_name ON contacts
    FOR EACH ROW
    WHEN (OLD.wa_id IS DISTINCT FROM NEW.wa_id OR OLD.name IS DISTINCT FROM NEW.name
          OR OLD.profile_name IS DISTINCT FROM NEW.profile_name)
    EXECUTE FUNCTION contact_search_reaches_conversations();

CREATE INDEX conversations_contact_search ON conversations USING gin (contact_search gin_trgm_ops);
DROP INDEX contacts_search;

-- As in 20261122000007_inbox_indexes.sql, but contacts are matched on their conversations.
CREATE OR REPLACE FUNCTION inbox_search(term text, status text, before_at timestamptz, before_id uuid, page_size bigint,
                                        assignee text, viewer uuid)
RETURNS TABLE (conversation_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS
$$
BEGIN
    RETURN QUERY EXECUTE
        $q$SELECT p.id FROM (
               (SELECT v.id, v.last_message_at FROM conversations v
                WHERE v.contact_search ILIKE '%' || $1 || '%'
                  AND v.organization_id = $2 AND v.last_message_at IS NOT NULL AND ($3::text IS NULL OR v.status = $3)
                  AND (v.last_message_at, v.id) < (COALESCE($4, 'infinity'), COALESCE($5, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
                  AND ($7 = 'everyone' OR ($7 = 'mine' AND v.assignee_user_id = $8) OR ($7 = 'unassigned' AND v.assignee_user_id IS NULL))
                ORDER BY v.last_message_at DESC, v.id DESC
                LIMIT $6)
               UNION
               (SELECT v.id, v.last_message_at FROM conversations v
                WHERE v.id = ANY (ARRAY(SELECT s.conversation_id FROM messages s WHERE s.organization_id = $2
                                        AND to_tsvector('simple', s.body) @@ plainto_tsquery('simple', $1)))
                  AND v.organization_id = $2 AND v.last_message_at IS NOT NULL AND ($3::text IS NULL OR v.status = $3)
                  AND (v.last_message_at, v.id) < (COALESCE($4, 'infinity'), COALESCE($5, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
                  AND ($7 = 'everyone' OR ($7 = 'mine' AND v.assignee_user_id = $8) OR ($7 = 'unassigned' AND v.assignee_user_id IS NULL))
                ORDER BY v.last_message_at DESC, v.id DESC
                LIMIT $6)
           ) p
           ORDER BY p.last_message_at DESC, p.id DESC
           LIMIT $6$q$
        USING term, parley_org(), status, before_at, before_id, page_size, assignee, viewer;
END
$$;
