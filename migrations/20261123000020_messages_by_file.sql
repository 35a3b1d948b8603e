-- The messages that carry a stored file: whether an agent's upload was ever sent (only unsent
-- ones may be deleted) and the foreign key's check when one is deleted, without reading every
-- message of the organization.
CREATE INDEX messages_by_file ON messages (organization_id, media_id) WHERE media_id IS NOT NULL;
