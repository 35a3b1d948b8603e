-- Conversations handed over: to a person or to a team's queue, with an optional note for whoever
-- takes it. While a team holds a conversation and no one in it has taken it, its members (and
-- whoever may assign) reply.

ALTER TABLE conversations
    ADD COLUMN team_id uuid,
    ADD CONSTRAINT conversations_team_in_organization
        FOREIGN KEY (organization_id, team_id) REFERENCES teams (organization_id, id) ON DELETE SET NULL (team_id);
CREATE INDEX conversations_by_team ON conversations (organization_id, team_id, last_message_at DESC) WHERE team_id IS NOT NULL;

CREATE TABLE conversation_transfers (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    conversation_id uuid NOT NULL,
    by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    to_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    to_team_id uuid,
    note text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (to_user_id IS NOT NULL OR to_team_id IS NOT NULL OR note IS NULL),
    FOREIGN KEY (organization_id, conversation_id) REFERENCES conversations (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, to_team_id) REFERENCES teams (organization_id, id) ON DELETE SET NULL (to_team_id)
);
CREATE INDEX conversation_transfers_latest ON conversation_transfers (conversation_id, created_at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON conversation_transfers TO parley_app;
ALTER TABLE conversation_transfers ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON conversation_transfers USING (organization_id = parley_org())
    WITH CHECK (organization_id = parley_org());
