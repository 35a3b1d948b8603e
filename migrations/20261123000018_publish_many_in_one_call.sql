-- A customer's message publishes two events (the message, its conversation's change). Publishing
-- them from the statement that stores the message, instead of a call each, saves two round trips
-- per message while the organization's ordering lock is held, which every message of a burst
-- queued behind it pays again. Runs as the caller: row-level security applies as before.

-- Takes the organization's event-order lock, then stores the events and notifies `channel` with
-- '<organization>:<event id>' for each, in array order: ids are handed out under the lock, so
-- they are in commit order. Returns the ids, in the same order.
CREATE FUNCTION publish_events(org uuid, conversations uuid[], kinds text[], payloads jsonb[], channel text)
RETURNS bigint[]
LANGUAGE plpgsql VOLATILE SET search_path = public AS
$$
DECLARE
    ids bigint[] := '{}';
    event_id bigint;
BEGIN
    IF cardinality(conversations) <> cardinality(kinds) OR cardinality(kinds) <> cardinality(payloads) THEN
        RAISE EXCEPTION 'publish_events: % conversations, % kinds, % payloads',
            cardinality(conversations), cardinality(kinds), cardinality(payloads);
    END IF;
    PERFORM lock_event_order(org);
    FOR i IN 1 .. cardinality(kinds) LOOP
        INSERT INTO events (organization_id, conversation_id, kind, payload)
        VALUES (org, conversations[i], kinds[i], payloads[i])
        RETURNING id INTO event_id;
        PERFORM pg_notify(channel, org::text || ':' || event_id);
        ids := ids || event_id;
    END LOOP;
    RETURN ids;
END
$$;

GRANT EXECUTE ON FUNCTION publish_events(uuid, uuid[], text[], jsonb[], text) TO parley_app;

-- publish_events with one event does its work.
DROP FUNCTION publish_event(uuid, uuid, text, jsonb, text);
