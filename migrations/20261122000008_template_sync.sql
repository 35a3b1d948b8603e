-- Templates are copied read-only from the Cloud API. A channel's copy is refreshed when someone
-- asks, when the channel subscribes, and after every template status webhook: those only flag the
-- channel here, inside their own transaction, and the template sync worker calls Meta later, so
-- a Cloud API outage never holds up webhook processing.

ALTER TABLE channels
    ADD COLUMN templates_sync_requested_at timestamptz,
    -- The last failed attempt, so a channel whose Cloud API is down is retried after a pause.
    ADD COLUMN templates_sync_failed_at timestamptz,
    ADD COLUMN templates_synced_at timestamptz;

CREATE INDEX channels_template_sync_due ON channels (templates_sync_requested_at)
    WHERE templates_sync_requested_at IS NOT NULL;

-- The template sync worker serves every organization: this function (running as the migration
-- owner, like claim_webhook_events) names the channels due, and each is then synced in
-- transactions scoped to its own organization.
CREATE FUNCTION template_syncs_due(batch integer, retry_seconds integer)
RETURNS TABLE (organization_id uuid, channel_id uuid, requested_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
$$
    SELECT c.organization_id, c.id, c.templates_sync_requested_at FROM channels c
    WHERE c.templates_sync_requested_at IS NOT NULL
      AND (c.templates_sync_failed_at IS NULL
           OR c.templates_sync_failed_at <= now() - make_interval(secs => retry_seconds))
    ORDER BY c.templates_sync_requested_at
    LIMIT batch
$$;
REVOKE ALL ON FUNCTION template_syncs_due(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION template_syncs_due(integer, integer) TO parley_app;
