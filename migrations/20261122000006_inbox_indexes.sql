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

-- The conversations of the current organization (parley_org(), the same setting row-level
-- security reads) whose contact or messages match an inbox search. Under row-level security
-- Postgres may not use an index for a non-leakproof operator (ILIKE, @@) before the tenant policy
-- is checked, so as parley_app a search reads every contact and message of the organization; this
-- function runs as the owner, applies the tenant filter itself and lets the indexes answer. The
-- query is planned for each term (EXECUTE): a common word and a rare one want different plans.
CREATE FUNCTION inbox_search(term text) RETURNS TABLE (conversation_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS
$$
BEGIN
    RETURN QUERY EXECUTE
        $q$SELECT v.id FROM conversations v
           JOIN contacts h ON h.organization_id = v.organization_id AND h.id = v.contact_id
           WHERE h.organization_id = $2
             AND (h.wa_id LIKE '%' || $1 || '%' OR h.name ILIKE '%' || $1 || '%' OR h.profile_name ILIKE '%' || $1 || '%')
           UNION
           SELECT s.conversation_id FROM messages s
           WHERE s.organization_id = $2 AND to_tsvector('simple', s.body) @@ plainto_tsquery('simple', $1)$q$
        USING term, parley_org();
END
$$;
REVOKE ALL ON FUNCTION inbox_search(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inbox_search(text) TO parley_app;
