-- Foundation: accounts, organizations, roles, memberships, teams, sessions.
--
-- The app connects as (or SET ROLEs to) parley_app: not a superuser, no BYPASSRLS, so the
-- row-level security policies below hold even when a query forgets its organization filter.
-- Services scope each transaction with set_config('parley.org_id' / 'parley.user_id', .., true).

DO $$
BEGIN
    CREATE ROLE parley_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- roles are cluster-wide: another database of this cluster created it first
END $$;

DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT pg_has_role(current_user, 'parley_app', 'MEMBER') THEN
        EXECUTE format('GRANT parley_app TO %I', current_user);
    END IF;
END $$;

GRANT USAGE ON SCHEMA public TO parley_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO parley_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO parley_app;

CREATE FUNCTION parley_org() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('parley.org_id', true), '')::uuid $$;
CREATE FUNCTION parley_user() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('parley.user_id', true), '')::uuid $$;

-- Global identities: a person may belong to several organizations.
CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL UNIQUE CHECK (email = lower(email)),
    name text NOT NULL,
    -- NULL until an invited person sets a password through their invite link.
    password_hash text,
    -- The instance's operators (the first account created): they read the dev mailbox.
    instance_owner boolean NOT NULL DEFAULT false,
    language text NOT NULL DEFAULT 'en',
    notification_sound boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organizations (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    website_url text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organization_logos (
    organization_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    content_type text NOT NULL,
    bytes bytea NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE roles (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name text NOT NULL,
    built_in text CHECK (built_in IN ('owner', 'admin', 'agent')),
    permissions text[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX roles_name_per_org ON roles (organization_id, lower(name));
CREATE UNIQUE INDEX roles_built_in_per_org ON roles (organization_id, built_in) WHERE built_in IS NOT NULL;

CREATE TABLE memberships (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id uuid NOT NULL,
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, user_id),
    -- the role must belong to the same organization
    FOREIGN KEY (organization_id, role_id) REFERENCES roles (organization_id, id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE teams (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id)
);
CREATE UNIQUE INDEX teams_name_per_org ON teams (organization_id, lower(name));

CREATE TABLE team_members (
    organization_id uuid NOT NULL,
    team_id uuid NOT NULL,
    user_id uuid NOT NULL,
    PRIMARY KEY (team_id, user_id),
    FOREIGN KEY (organization_id, team_id) REFERENCES teams (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, user_id) REFERENCES memberships (organization_id, user_id) ON DELETE CASCADE
);

-- Server-side sessions; the cookie holds a random token, the table only its SHA-256.
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id uuid REFERENCES organizations (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE login_failures (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    ip text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_by_email ON login_failures (email, failed_at);
CREATE INDEX login_failures_by_ip ON login_failures (ip, failed_at);

-- Single-use links: password resets (1 h) and team invitations (7 days). Stored hashed.
CREATE TABLE account_links (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose text NOT NULL CHECK (purpose IN ('reset', 'invite')),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_links_by_user ON account_links (user_id);

-- Where email goes when no SMTP server is configured, so the flows work on the embedded default.
CREATE TABLE dev_mailbox (
    id uuid PRIMARY KEY,
    recipient_user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    to_address text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO parley_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO parley_app;

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organization_logos ENABLE ROW LEVEL SECURITY;
ALTER TABLE roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE teams ENABLE ROW LEVEL SECURITY;
ALTER TABLE team_members ENABLE ROW LEVEL SECURITY;

-- Reads may reach a little beyond the current organization (a person sees the organizations they
-- belong to and their roles there: the switcher and the login page need them). Writes never do:
-- every write policy is pinned to the current organization.
CREATE POLICY tenant_read ON organizations FOR SELECT
    USING (id = parley_org() OR EXISTS (
        SELECT 1 FROM memberships m WHERE m.organization_id = organizations.id AND m.user_id = parley_user()));
CREATE POLICY tenant_insert ON organizations FOR INSERT WITH CHECK (id = parley_org());
CREATE POLICY tenant_update ON organizations FOR UPDATE USING (id = parley_org()) WITH CHECK (id = parley_org());
CREATE POLICY tenant_delete ON organizations FOR DELETE USING (id = parley_org());

CREATE POLICY tenant_read ON memberships FOR SELECT
    USING (organization_id = parley_org() OR user_id = parley_user());
CREATE POLICY tenant_insert ON memberships FOR INSERT WITH CHECK (organization_id = parley_org());
CREATE POLICY tenant_update ON memberships FOR UPDATE
    USING (organization_id = parley_org()) WITH CHECK (organization_id = parley_org());
CREATE POLICY tenant_delete ON memberships FOR DELETE USING (organization_id = parley_org());

CREATE POLICY tenant_read ON roles FOR SELECT
    USING (organization_id = parley_org() OR EXISTS (
        SELECT 1 FROM memberships m WHERE m.role_id = roles.id AND m.user_id = parley_user()));
CREATE POLICY tenant_insert ON roles FOR INSERT WITH CHECK (organization_id = parley_org());
CREATE POLICY tenant_update ON roles FOR UPDATE
    USING (organization_id = parley_org()) WITH CHECK (organization_id = parley_org());
CREATE POLICY tenant_delete ON roles FOR DELETE USING (organization_id = parley_org());

CREATE POLICY tenant ON organization_logos
    USING (organization_id = parley_org()) WITH CHECK (organization_id = parley_org());
CREATE POLICY tenant ON teams
    USING (organization_id = parley_org()) WITH CHECK (organization_id = parley_org());
CREATE POLICY tenant ON team_members
    USING (organization_id = parley_org()) WITH CHECK (organization_id = parley_org());
