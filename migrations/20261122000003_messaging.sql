-- Messaging: webhook deliveries as received, and what processing them builds — contacts,
-- conversations, messages with their status history, templates' review state, channel errors,
-- and inbound media waiting to be downloaded.
--
-- Every table carries organization_id and the same row-level security policy as channels. Rows
-- that reference a channel reference it together with its organization, so a row can never point
-- at another organization's channel.

-- Raw webhook deliveries, committed before Meta gets its 200 and processed afterwards by workers
-- that claim rows with a lease (locked_until): a worker that dies mid-batch leaves its rows to the
-- next one once the lease expires.
CREATE TABLE webhook_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id uuid NOT NULL,
    channel_id uuid NOT NULL,
    payload jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    last_error text,
    FOREIGN KEY (organization_id, channel_id) REFERENCES channels (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_events_unprocessed ON webhook_events (id) WHERE processed_at IS NULL;

CREATE TABLE contacts (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    wa_id text NOT NULL,
    -- The name the customer set in WhatsApp, refreshed by every message they send.
    profile_name text,
    -- The name the organization gave them; shown instead of the profile name when set.
    name text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, wa_id),
    UNIQUE (organization_id, id)
);

-- One conversation per contact and channel.
CREATE TABLE conversations (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    channel_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'resolved')),
    last_message_at timestamptz,
    -- The customer's last message: it opens the 24-hour customer service window.
    last_inbound_at timestamptz,
    unread_count integer NOT NULL DEFAULT 0 CHECK (unread_count >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (contact_id, channel_id),
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, channel_id) REFERENCES channels (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX conversations_inbox ON conversations (organization_id, status, last_message_at DESC);

-- Inbound media as Meta announced it; the file itself is fetched later through the Cloud API.
CREATE TABLE media (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    channel_id uuid NOT NULL,
    meta_media_id text NOT NULL,
    mime_type text,
    sha256 text,
    caption text,
    filename text,
    storage_key text,
    download_state text NOT NULL DEFAULT 'pending' CHECK (download_state IN ('pending', 'stored', 'failed')),
    download_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel_id, meta_media_id),
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, channel_id) REFERENCES channels (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX media_pending ON media (created_at) WHERE download_state = 'pending';

CREATE TABLE messages (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    conversation_id uuid NOT NULL,
    channel_id uuid NOT NULL,
    -- Meta's id; NULL only for an outbound message Meta has not accepted yet.
    wamid text,
    direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    kind text NOT NULL,
    -- What search and previews read: the text, a caption, a button's or list row's title.
    body text NOT NULL DEFAULT '',
    -- The message object as Meta sent it (inbound) or as Parley sent it (outbound).
    content jsonb NOT NULL,
    context_wamid text,
    media_id uuid,
    status text NOT NULL CHECK (status IN ('received', 'accepted', 'sent', 'delivered', 'read', 'failed')),
    -- Meta's error for a failed message: code, title, message, details.
    error jsonb,
    -- Meta's timestamp of the message.
    sent_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((direction = 'inbound') = (status = 'received')),
    UNIQUE (channel_id, wamid),
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, conversation_id) REFERENCES conversations (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, channel_id) REFERENCES channels (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, media_id) REFERENCES media (organization_id, id)
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at);
CREATE INDEX messages_search ON messages USING gin (to_tsvector('simple', body));

-- Each status Meta reported for an outbound message, once: the history behind messages.status.
CREATE TABLE message_status_events (
    organization_id uuid NOT NULL,
    message_id uuid NOT NULL,
    status text NOT NULL CHECK (status IN ('accepted', 'sent', 'delivered', 'read', 'failed')),
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (message_id, status),
    FOREIGN KEY (organization_id, message_id) REFERENCES messages (organization_id, id) ON DELETE CASCADE
);

-- Statuses whose message is not (yet) known: Meta's status can overtake the commit of the send
-- that produced its wamid, or concern a message sent from outside Parley. Kept here and applied as
-- soon as the message appears, never dropped.
CREATE TABLE pending_statuses (
    organization_id uuid NOT NULL,
    channel_id uuid NOT NULL,
    wamid text NOT NULL,
    status text NOT NULL CHECK (status IN ('accepted', 'sent', 'delivered', 'read', 'failed')),
    occurred_at timestamptz NOT NULL,
    error jsonb,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_id, wamid, status),
    FOREIGN KEY (organization_id, channel_id) REFERENCES channels (organization_id, id) ON DELETE CASCADE
);

CREATE TABLE templates (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    channel_id uuid NOT NULL,
    meta_template_id text,
    name text NOT NULL,
    language text NOT NULL,
    category text,
    status text NOT NULL,
    components jsonb NOT NULL DEFAULT '[]',
    -- Why Meta rejected, paused or disabled it.
    reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel_id, name, language),
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, channel_id) REFERENCES channels (organization_id, id) ON DELETE CASCADE
);

-- Errors Meta reports about a channel as a whole (webhook field messages, value.errors): shown to
-- the organization's admins.
CREATE TABLE channel_errors (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id uuid NOT NULL,
    channel_id uuid NOT NULL,
    code bigint NOT NULL,
    title text NOT NULL DEFAULT '',
    message text NOT NULL DEFAULT '',
    details text NOT NULL DEFAULT '',
    occurred_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (organization_id, channel_id) REFERENCES channels (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX channel_errors_recent ON channel_errors (organization_id, channel_id, occurred_at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_events, contacts, conversations, media, messages,
    message_status_events, pending_statuses, templates, channel_errors TO parley_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO parley_app;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['webhook_events', 'contacts', 'conversations', 'media', 'messages',
                             'message_status_events', 'pending_statuses', 'templates', 'channel_errors'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I USING (organization_id = parley_org())
                        WITH CHECK (organization_id = parley_org())', t);
    END LOOP;
END $$;

-- Webhook workers serve every organization: these functions (running as the migration owner, like
-- webhook_channel) hand them exactly the work that is due, and each item is then processed in a
-- transaction scoped to its own organization.

-- Claims up to `batch` unprocessed deliveries whose lease is free or expired, leases them and
-- counts the attempt. Rows past max_attempts stay, with their last_error, for an operator.
CREATE FUNCTION claim_webhook_events(batch integer, lease_seconds integer, max_attempts integer)
RETURNS TABLE (id bigint, organization_id uuid, channel_id uuid, payload jsonb, attempts integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS
$$
    UPDATE webhook_events e
    SET locked_until = now() + make_interval(secs => lease_seconds), attempts = e.attempts + 1
    WHERE e.id IN (
        SELECT w.id FROM webhook_events w
        WHERE w.processed_at IS NULL AND w.attempts < max_attempts
          AND (w.locked_until IS NULL OR w.locked_until <= now())
        ORDER BY w.id
        LIMIT batch
        FOR UPDATE SKIP LOCKED
    )
    RETURNING e.id, e.organization_id, e.channel_id, e.payload, e.attempts
$$;
REVOKE ALL ON FUNCTION claim_webhook_events(integer, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION claim_webhook_events(integer, integer, integer) TO parley_app;

-- Organizations holding pending statuses whose outbound message now exists.
CREATE FUNCTION organizations_with_resolvable_statuses(batch integer)
RETURNS TABLE (organization_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
$$
    SELECT DISTINCT p.organization_id FROM pending_statuses p
    JOIN messages m ON m.channel_id = p.channel_id AND m.wamid = p.wamid AND m.direction = 'outbound'
    LIMIT batch
$$;
REVOKE ALL ON FUNCTION organizations_with_resolvable_statuses(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION organizations_with_resolvable_statuses(integer) TO parley_app;

-- Inbound media waiting for download, oldest first, across organizations.
CREATE FUNCTION pending_media(batch integer)
RETURNS TABLE (id uuid, organization_id uuid, channel_id uuid, meta_media_id text, mime_type text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
$$
    SELECT m.id, m.organization_id, m.channel_id, m.meta_media_id, m.mime_type FROM media m
    WHERE m.download_state = 'pending' ORDER BY m.created_at, m.id LIMIT batch
$$;
REVOKE ALL ON FUNCTION pending_media(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pending_media(integer) TO parley_app;
