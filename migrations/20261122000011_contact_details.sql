-- What agents keep about a customer beside the thread: tags, custom fields, consent to be
-- messaged (with when and where it last changed), and notes written by the team.

ALTER TABLE contacts
    ADD COLUMN tags text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20),
    ADD COLUMN custom_fields jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(custom_fields) = 'object'),
    ADD COLUMN opt_in text NOT NULL DEFAULT 'unknown' CHECK (opt_in IN ('unknown', 'opted_in', 'opted_out')),
    ADD COLUMN opt_in_changed_at timestamptz,
    ADD COLUMN opt_in_source text;

-- Segments and broadcasts pick contacts by tag.
CREATE INDEX contacts_tags ON contacts USING gin (tags);

CREATE TABLE contact_notes (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    -- Kept when the author leaves: the note is the team's, only its byline goes.
    author_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 4096),
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_notes_by_contact ON contact_notes (organization_id, contact_id, created_at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON contact_notes TO parley_app;
ALTER TABLE contact_notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON contact_notes
    USING (organization_id = parley_org()) WITH CHECK (organization_id = parley_org());
