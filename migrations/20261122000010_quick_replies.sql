-- Quick replies: canned answers an agent inserts in the composer by typing "/shortcut". A reply
-- restricted to a channel is offered only in that channel's conversations (NULL: every channel).
-- The shortcut is stored without its slash and is unique per organization whatever its case, so
-- "/Ship" and "/ship" cannot mean two different texts.

CREATE TABLE quick_replies (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    shortcut text NOT NULL CHECK (shortcut ~ '^[A-Za-z0-9_-]{1,32}$'),
    text text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 4096),
    channel_id uuid,
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, channel_id) REFERENCES channels (organization_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX quick_replies_shortcut_per_org ON quick_replies (organization_id, lower(shortcut));

GRANT SELECT, INSERT, UPDATE, DELETE ON quick_replies TO parley_app;
ALTER TABLE quick_replies ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON quick_replies
    USING (organization_id = parley_org()) WITH CHECK (organization_id = parley_org());
