-- Starred messages: each person's own bookmarks, as in WhatsApp. A star is private to the person
-- who set it, so row-level security checks the person as well as the organization.
CREATE TABLE message_stars (
    organization_id uuid NOT NULL,
    user_id uuid NOT NULL,
    message_id uuid NOT NULL,
    starred_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, message_id),
    -- A member who leaves takes their stars along; a message that goes takes its stars along.
    FOREIGN KEY (organization_id, user_id) REFERENCES memberships (organization_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, message_id) REFERENCES messages (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX message_stars_by_person ON message_stars (organization_id, user_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON message_stars TO parley_app;
ALTER TABLE message_stars ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON message_stars USING (organization_id = parley_org() AND user_id = parley_user())
    WITH CHECK (organization_id = parley_org() AND user_id = parley_user());

-- Whether the chatbot answers in a conversation. Only the person in control switches it: the
-- assignee, or any agent while the conversation is unassigned.
ALTER TABLE conversations ADD COLUMN bot_enabled boolean NOT NULL DEFAULT true;

-- Reactions are messages of their own (kind 'reaction'); the thread attaches each to the message
-- it is on, found by the reacted-to wamid within the conversation.
CREATE INDEX messages_reactions ON messages (conversation_id, (content->'reaction'->>'message_id'), created_at DESC)
    WHERE kind = 'reaction';
