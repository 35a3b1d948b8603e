-- Personal notifications: a conversation assigned to someone, a customer writing in a conversation
-- someone has, a message someone wrote that WhatsApp refused. While unread, repeats of the same
-- kind about the same conversation fold into one row (count), so the list stays readable.

CREATE TABLE notifications (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    user_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('assigned', 'message', 'failed')),
    conversation_id uuid NOT NULL,
    -- Who caused it (the assigner), when a person did.
    by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    count integer NOT NULL DEFAULT 1 CHECK (count > 0),
    -- WhatsApp's reason, for a failed message.
    detail text,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at timestamptz,
    FOREIGN KEY (organization_id, conversation_id) REFERENCES conversations (organization_id, id) ON DELETE CASCADE,
    -- Someone who leaves the organization takes their notifications with them.
    FOREIGN KEY (organization_id, user_id) REFERENCES memberships (organization_id, user_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX notifications_unread_once ON notifications (user_id, conversation_id, kind) WHERE read_at IS NULL;
CREATE INDEX notifications_feed ON notifications (organization_id, user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread ON notifications (organization_id, user_id) WHERE read_at IS NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON notifications TO parley_app;
ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON notifications USING (organization_id = parley_org())
    WITH CHECK (organization_id = parley_org());
