-- Publishing an event took three round trips (the organization's ordering lock, the insert, the
-- notification); a customer message publishes two events while its organization's lock is held,
-- so under a burst every round trip is paid by each message queued behind it. Both functions run
-- as the caller: row-level security applies as before.

-- The organization's event-order lock for the rest of the transaction (see parley::realtime).
CREATE FUNCTION lock_event_order(org uuid)
RETURNS void
LANGUAGE sql VOLATILE SET search_path = public AS
$$
    SELECT pg_advisory_xact_lock(hashtextextended('parley_events:' || org::text, 0))
$$;

-- Takes the lock, stores the event and notifies `channel` with '<organization>:<event id>', in
-- that order: the id is handed out under the lock, so ids are in commit order.
CREATE FUNCTION publish_event(org uuid, conversation uuid, event_kind text, event_payload jsonb, channel text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = public AS
$$
DECLARE
    event_id bigint;
BEGIN
    PERFORM lock_event_order(org);
    INSERT INTO events (organization_id, conversation_id, kind, payload)
    VALUES (org, conversation, event_kind, event_payload)
    RETURNING id INTO event_id;
    PERFORM pg_notify(channel, org::text || ':' || event_id);
    RETURN event_id;
END
$$;

GRANT EXECUTE ON FUNCTION lock_event_order(uuid) TO parley_app;
GRANT EXECUTE ON FUNCTION publish_event(uuid, uuid, text, jsonb, text) TO parley_app;
