-- The sandbox's whole state. It lives in the schema `cloud_sandbox` (the connection's search_path),
-- never in `public`, so it can share a database with Parley.

CREATE SEQUENCE graph_object_ids START WITH 1100000000000001;

CREATE TABLE businesses (
    phone_number_id      text PRIMARY KEY,
    waba_id              text NOT NULL,
    app_id               text NOT NULL,
    app_secret           text NOT NULL,
    access_token         text NOT NULL,
    display_phone_number text NOT NULL,
    verified_name        text NOT NULL,
    callback_url         text,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX businesses_waba ON businesses (waba_id);

CREATE TABLE subscriptions (
    waba_id      text PRIMARY KEY,
    app_id       text NOT NULL,
    callback_url text,
    verify_token text,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customers (
    wa_id       text PRIMARY KEY,
    on_whatsapp boolean NOT NULL
);

CREATE TABLE messages (
    wamid           text PRIMARY KEY,
    phone_number_id text NOT NULL REFERENCES businesses ON DELETE CASCADE,
    wa_id           text NOT NULL,
    direction       text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    message_type    text NOT NULL,
    message         jsonb NOT NULL,
    rendered        jsonb,
    profile_name    text,
    status          text,
    errors          jsonb,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX messages_chat ON messages (wa_id, phone_number_id, created_at);

CREATE TABLE scheduled_statuses (
    id      bigserial PRIMARY KEY,
    wamid   text NOT NULL REFERENCES messages ON DELETE CASCADE,
    status  text NOT NULL,
    errors  jsonb,
    pricing jsonb,
    due_at  timestamptz NOT NULL
);
CREATE INDEX scheduled_statuses_due ON scheduled_statuses (due_at);

CREATE TABLE templates (
    id             text PRIMARY KEY,
    waba_id        text NOT NULL,
    name           text NOT NULL,
    language       text NOT NULL,
    category       text NOT NULL,
    components     jsonb NOT NULL,
    status         text NOT NULL,
    reason         text,
    review_due_at  timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (waba_id, name, language)
);

CREATE TABLE media (
    id              text PRIMARY KEY,
    phone_number_id text NOT NULL REFERENCES businesses ON DELETE CASCADE,
    mime_type       text NOT NULL,
    sha256          text NOT NULL,
    file_size       bigint NOT NULL,
    bytes           bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id               bigserial PRIMARY KEY,
    waba_id          text NOT NULL,
    phone_number_id  text NOT NULL,
    field            text NOT NULL,
    body             bytea NOT NULL,
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'delivered', 'failed', 'no_subscriber')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_url         text,
    last_status_code integer,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';

CREATE TABLE settings (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    settings jsonb NOT NULL
);
