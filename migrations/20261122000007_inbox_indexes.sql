-- The conversation list at scale (100,000 conversations, 1,000,000 messages in one organization;
-- measured by server/examples/inbox_list_load.rs): every page, filtered or not, first or deep,
-- and every search is answered from indexes instead of reading the organization's whole inbox.

-- Newest activity first, ties broken by id exactly as the keyset cursor is: the first page and
-- any page after a cursor are a short index range. The status filter has its own, so a rare
-- status is not found by skipping over all the others.
DROP INDEX conversations_inbox;
CREATE INDEX conversations_recent ON conversations (organization_id, last_message_at DESC, id DESC)
    WHERE last_message_at IS NOT NULL;
CREATE INDEX conversations_recent_by_status ON conversations (organization_id, status, last_message_at DESC, id DESC)
    WHERE last_message_at IS NOT NULL;

-- A conversation's newest message (the list's preview, the thread's first page) in the order
-- both read it, without sorting the conversation's messages.
DROP INDEX messages_by_conversation;
CREATE INDEX messages_latest ON messages (conversation_id, created_at DESC, id DESC);

-- Searching a contact by any part of their name, profile name or number (ILIKE '%…%'). pg_trgm
-- is a trusted extension: the database owner running the migrations may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX contacts_search ON contacts USING gin (wa_id gin_trgm_ops, name gin_trgm_ops, profile_name gin_trgm_ops);

-- A page of the current organization's (parley_org(), the setting row-level security reads)
-- conversations whose contact or messages match an inbox search: newest activity first, from the
-- keyset cursor, optionally of one status. Under row-level security Postgres may not use an index
-- for a non-leakproof operator (ILIKE, @@) before the tenant policy is checked, so as parley_app a
-- search reads every contact and message of the organization; this function runs as the owner,
-- applies the tenant filter itself and lets the indexes answer. The list only asks when the
-- term matched few of the newest conversations, so matching contacts and messages are always
-- collected through the trigram and full-text indexes first, never by walking the conversations
-- (a term the statistics have never seen would make that walk the whole inbox). The query is
-- planned for each term (EXECUTE).
CREATE FUNCTION inbox_search(term text, status text, before_at timestamptz, before_id uuid, page_size bigint,
                             assignee text, viewer uuid)
RETURNS TABLE (conversation_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS
$$
BEGIN
    RETURN QUERY EXECUTE
        $q$SELECT p.id FROM (
               (SELECT v.id, v.last_message_at FROM conversations v
                WHERE v.contact_id = ANY (ARRAY(SELECT h.id FROM contacts h WHERE h.organization_id = $2
                                                AND (h.wa_id LIKE '%' || $1 || '%' OR h.name ILIKE '%' || $1 || '%'
                                                     OR h.profile_name ILIKE '%' || $1 || '%')))
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
REVOKE ALL ON FUNCTION inbox_search(text, text, timestamptz, uuid, bigint, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inbox_search(text, text, timestamptz, uuid, bigint, text, uuid) TO parley_app;
