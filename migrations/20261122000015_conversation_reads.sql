-- Unread per agent: when each person last read each conversation. The list counts the customer's
-- messages since then, so one agent opening a conversation does not clear it for the others.
CREATE TABLE conversation_reads (
    organization_id uuid NOT NULL,
    conversation_id uuid NOT NULL,
    user_id uuid NOT NULL,
    read_at timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, user_id),
    FOREIGN KEY (organization_id, conversation_id) REFERENCES conversations (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, user_id) REFERENCES memberships (organization_id, user_id) ON DELETE CASCADE
);

GRANT SELECT, INSERT, UPDATE, DELETE ON conversation_reads TO parley_app;
ALTER TABLE conversation_reads ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON conversation_reads USING (organization_id = parley_org())
    WITH CHECK (organization_id = parley_org());
