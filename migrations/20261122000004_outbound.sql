-- Outbound messages: stored before Meta is asked, sent by a worker from a queue.
--
-- A message a person sends is committed first (status 'pending') and only then sent, so nothing is
-- lost while the Cloud API is down. Two statuses join Meta's own:
--   'pending'  queued, Meta not asked yet or asked and told to retry later;
--   'unknown'  Meta was asked but no answer came back (a timeout, a worker that died mid-send):
--              it may or may not have been accepted, so it is never resent automatically — a
--              person decides (and a resend may then reach the customer twice).
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('received', 'pending', 'unknown', 'accepted', 'sent', 'delivered', 'read', 'failed'));
-- Unchanged in meaning (only inbound messages are 'received'), recreated under a name that says it.
ALTER TABLE messages DROP CONSTRAINT messages_check;
ALTER TABLE messages ADD CONSTRAINT messages_received_iff_inbound
    CHECK ((direction = 'inbound') = (status = 'received'));
-- Meta's id exists from acceptance on; before it, only a message still waiting, of unknown fate,
-- or refused by Meta at sending has none.
ALTER TABLE messages ADD CONSTRAINT messages_wamid_once_accepted
    CHECK (wamid IS NOT NULL OR status IN ('pending', 'unknown', 'failed'));
-- The person who wrote an outbound message; NULL for inbound ones and for automations.
ALTER TABLE messages ADD COLUMN sent_by uuid REFERENCES users (id) ON DELETE SET NULL;

-- The queue is a table of its own rather than columns on messages: a row exists only while its
-- message waits to be sent and is deleted once Meta has answered, so the claim scans a table as
-- small as the backlog (not every message ever stored), and the messages the inbox reads stay
-- free of worker bookkeeping.
CREATE TABLE outbound_queue (
    message_id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    channel_id uuid NOT NULL,
    -- Requests Meta answered with "retry later" (rate limits) or that could not reach it.
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- Set while a worker sends it. A lease that expires means the worker died mid-send: the
    -- message's fate is unknown, and the next claim says so instead of sending it again.
    locked_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (organization_id, message_id) REFERENCES messages (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, channel_id) REFERENCES channels (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX outbound_queue_due ON outbound_queue (next_attempt_at) WHERE locked_until IS NULL;
CREATE INDEX outbound_queue_leased ON outbound_queue (locked_until) WHERE locked_until IS NOT NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON outbound_queue TO parley_app;
ALTER TABLE outbound_queue ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON outbound_queue USING (organization_id = parley_org())
    WITH CHECK (organization_id = parley_org());

-- Outbound workers serve every organization, like webhook workers: this function hands them the
-- messages that are due, leased, and each is then finished in a transaction scoped to its own
-- organization. Messages whose lease ran out first become 'unknown' (see above).
CREATE FUNCTION claim_outbound(batch integer, lease_seconds integer)
RETURNS TABLE (message_id uuid, organization_id uuid, channel_id uuid, attempts integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public AS
$$
#variable_conflict use_column
BEGIN
    WITH abandoned AS (
        DELETE FROM outbound_queue q
        WHERE q.message_id IN (
            SELECT a.message_id FROM outbound_queue a
            WHERE a.locked_until IS NOT NULL AND a.locked_until <= now()
            FOR UPDATE SKIP LOCKED
        )
        RETURNING q.message_id
    )
    UPDATE messages m
    SET status = 'unknown',
        error = jsonb_build_object('message', 'Sending was interrupted: WhatsApp may or may not have accepted this message')
    FROM abandoned
    WHERE m.id = abandoned.message_id AND m.status = 'pending';

    -- Oldest first, so a conversation's messages leave in the order they were written.
    RETURN QUERY
    WITH claimed AS (
        UPDATE outbound_queue q
        SET locked_until = now() + make_interval(secs => lease_seconds)
        WHERE q.message_id IN (
            SELECT w.message_id FROM outbound_queue w
            WHERE w.locked_until IS NULL AND w.next_attempt_at <= now()
            ORDER BY w.next_attempt_at, w.message_id
            LIMIT batch
            FOR UPDATE SKIP LOCKED
        )
        RETURNING q.message_id, q.organization_id, q.channel_id, q.attempts, q.next_attempt_at
    )
    SELECT c.message_id, c.organization_id, c.channel_id, c.attempts FROM claimed c
    ORDER BY c.next_attempt_at, c.message_id;
END
$$;
REVOKE ALL ON FUNCTION claim_outbound(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION claim_outbound(integer, integer) TO parley_app;
