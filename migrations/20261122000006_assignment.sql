-- Who has a conversation. Assigned to a person, only they (or someone allowed to assign) reply;
-- unassigned, any agent may. The assignee must be a member of the same organization.

ALTER TABLE conversations
    ADD COLUMN assignee_user_id uuid,
    ADD COLUMN assigned_at timestamptz,
    ADD CONSTRAINT conversations_assignee_is_member
        FOREIGN KEY (organization_id, assignee_user_id) REFERENCES memberships (organization_id, user_id) ON DELETE SET NULL (assignee_user_id);

CREATE INDEX conversations_by_assignee ON conversations (organization_id, assignee_user_id, last_message_at DESC);
