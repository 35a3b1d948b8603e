-- Files agents send: uploaded in the inbox and kept by Parley like customers' files, then put on
-- Meta by the outbound worker when a message carries them. A customer's file came with Meta's id
-- from its webhook; an agent's file has an uploader instead, and Meta's id per channel below.
ALTER TABLE media ALTER COLUMN meta_media_id DROP NOT NULL;
ALTER TABLE media ADD COLUMN uploaded_by uuid;
ALTER TABLE media ADD COLUMN file_size bigint;
ALTER TABLE media ADD CONSTRAINT media_has_origin CHECK (meta_media_id IS NOT NULL OR uploaded_by IS NOT NULL);

-- The library of stored files, newest first, that the composer's "Stored files" picker pages through.
CREATE INDEX media_library ON media (organization_id, created_at DESC, id DESC) WHERE download_state = 'stored';

-- Meta's id for a stored file on one channel's number. Meta keeps an upload for 30 days; within
-- that a resend or another message with the same file reuses it instead of uploading again.
CREATE TABLE media_uploads (
    organization_id uuid NOT NULL,
    media_id uuid NOT NULL,
    channel_id uuid NOT NULL,
    meta_media_id text NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (media_id, channel_id),
    FOREIGN KEY (organization_id, media_id) REFERENCES media (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, channel_id) REFERENCES channels (organization_id, id) ON DELETE CASCADE
);

GRANT SELECT, INSERT, UPDATE, DELETE ON media_uploads TO parley_app;
ALTER TABLE media_uploads ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON media_uploads USING (organization_id = parley_org())
    WITH CHECK (organization_id = parley_org());
