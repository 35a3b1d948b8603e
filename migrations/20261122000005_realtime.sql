-- Realtime: what changed in an organization's inbox, in commit order, so that browsers following
-- it live (through any instance's websocket) can resume after a reconnection from the last event
-- they received, with nothing missed and nothing twice.
--
-- Only the fact is kept (which conversation, which message, which status): browsers fetch the
-- details through server functions, which check permissions as usual. Typing and presence are
-- never stored: they travel by NOTIFY only.

CREATE TABLE events (
    -- The position clients resume from. Within one organization, ids are in commit order:
    -- publishing takes a per-organization transaction lock (see parley::realtime::publish).
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    conversation_id uuid,
    kind text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (organization_id, conversation_id) REFERENCES conversations (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX events_resume ON events (organization_id, id);
-- Rows are appended in time order, so a BRIN index finds the expired ones at almost no cost.
CREATE INDEX events_age ON events USING brin (created_at);

GRANT SELECT, INSERT ON events TO parley_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO parley_app;
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON events USING (organization_id = parley_org()) WITH CHECK (organization_id = parley_org());

-- Retention: a browser away for longer than this reloads its inbox instead of resuming. Every
-- instance's event hub calls this periodically (hourly); concurrent calls are harmless. Runs as the
-- migration owner because it spans organizations; returns how many events it deleted.
--
-- event_horizon remembers the last id deleted, so that a browser asking to resume from before it
-- is told to reload rather than silently handed a stream with a hole. Ids are shared by every
-- organization, so this may also send a browser whose own events were all kept to reload: a cost
-- of one reload, never a missed event.
CREATE TABLE event_horizon (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    deleted_through bigint NOT NULL
);
INSERT INTO event_horizon (deleted_through) VALUES (0);
GRANT SELECT ON event_horizon TO parley_app;

CREATE FUNCTION delete_expired_events(keep interval DEFAULT interval '2 days')
RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS
$$
    WITH gone AS (DELETE FROM events WHERE created_at < now() - keep RETURNING id),
    horizon AS (
        UPDATE event_horizon SET deleted_through = greatest(deleted_through, (SELECT max(id) FROM gone))
        WHERE EXISTS (SELECT 1 FROM gone)
    )
    SELECT count(*) FROM gone
$$;
REVOKE ALL ON FUNCTION delete_expired_events(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION delete_expired_events(interval) TO parley_app;
