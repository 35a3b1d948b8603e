-- WhatsApp channels: one WhatsApp Business phone number connected to an organization.
--
-- Secrets (app secret, access token) are sealed with the instance's AEAD key before they get
-- here; only a short hint ("••••1234") is kept in clear for the settings page. The external API
-- token is stored as its SHA-256 only.

CREATE TABLE channels (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name text NOT NULL,
    -- Random, URL-safe: the last segment of the callback URL Meta posts to.
    webhook_key text NOT NULL UNIQUE,
    phone_number_id text,
    waba_id text,
    app_id text,
    app_secret_sealed text,
    app_secret_hint text,
    access_token_sealed text,
    access_token_hint text,
    verify_token text NOT NULL,
    graph_api_base_url text NOT NULL,
    api_token_hash bytea NOT NULL UNIQUE,
    api_token_hint text NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'good', 'invalid')),
    status_message text,
    validated_at timestamptz,
    display_phone_number text,
    verified_name text,
    quality_rating text,
    subscribed boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX channels_name_per_org ON channels (organization_id, lower(name));
-- One phone number is connected once per organization (Meta routes its webhooks to one app).
CREATE UNIQUE INDEX channels_phone_per_org ON channels (organization_id, phone_number_id)
    WHERE phone_number_id IS NOT NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON channels TO parley_app;
ALTER TABLE channels ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON channels
    USING (organization_id = parley_org()) WITH CHECK (organization_id = parley_org());

-- A webhook arrives before anyone knows its organization: the only thing it carries is the
-- channel key in its URL. This function (running as the migration owner, so above row-level
-- security) answers exactly what the receiver needs for that key and nothing else.
CREATE FUNCTION webhook_channel(key text)
RETURNS TABLE (organization_id uuid, channel_id uuid, app_secret_sealed text, verify_token text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
$$ SELECT c.organization_id, c.id, c.app_secret_sealed, c.verify_token FROM channels c WHERE c.webhook_key = key $$;
REVOKE ALL ON FUNCTION webhook_channel(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhook_channel(text) TO parley_app;
