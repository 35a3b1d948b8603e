//! Message templates, copied read-only from the Cloud API into `templates`: [`sync`] pages through
//! Meta's list for a channel; [`request_sync`] only flags the channel (cheap, inside the caller's
//! transaction) and [`sync_due`], run by the template sync worker, does the calling later. Agents
//! pick an approved template in the composer ([`picker`]) and [`send`] it through the outbound queue.

use crate::auth::authorize;
use crate::channels;
use crate::cloud::{CloudClient, GraphAccount};
use crate::db;
use crate::domain::cloud::{MessageContent, TemplateDefinition, TemplateStatus};
use crate::domain::conversation::ConversationId;
use crate::domain::template_fill::{self, ContactFacts, SyncReport, TemplateChoices};
use crate::domain::{Actor, ChannelId, OrganizationId, Permission};
use crate::inbox::outbound::{self, StoredMessage};
use crate::secrets::SecretKey;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use std::time::Duration;

/// How long a channel whose sync failed (Cloud API down, token revoked) waits before the next try.
pub const RETRY_AFTER: Duration = Duration::from_secs(60);
/// How often the worker looks for channels to sync.
pub const POLL: Duration = Duration::from_secs(2);
const BATCH: i64 = 20;

/// A status or category as Meta spells it, as stored: `APPROVED`, `UTILITY`…
fn meta_key(value: impl serde::Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_else(|| "OTHER".into())
}

/// Copies the channel's templates from the Cloud API: new ones are added, known ones updated, and
/// those Meta no longer lists (deleted there) removed. The caller has authorized the sync.
pub async fn sync(
    pool: &PgPool,
    secrets: &SecretKey,
    cloud: &CloudClient,
    organization: OrganizationId,
    channel: ChannelId,
) -> Result<SyncReport> {
    let account = channels::account(pool, secrets, organization, channel).await?;
    let (Some(waba_id), Some(access_token)) = (account.waba_id, account.access_token) else {
        return Err(Error::Conflict(
            "The channel is not connected: it needs a WhatsApp Business Account id and an access token".into(),
        ));
    };
    let graph = GraphAccount { base_url: account.graph_api_base_url, access_token };
    let listed = cloud.list_templates(&graph, &waba_id).await.map_err(|e| Error::Upstream(e.to_string()))?;

    let mut tx = db::scoped(pool, Some(organization), None).await?;
    for template in &listed {
        let components = serde_json::to_value(&template.components)
            .map_err(|e| Error::Internal(format!("template components JSON: {e}")))?;
        sqlx::query(
            "INSERT INTO templates (id, organization_id, channel_id, meta_template_id, name, language, category,
                 status, components)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (channel_id, name, language) DO UPDATE SET
                 meta_template_id = EXCLUDED.meta_template_id, category = EXCLUDED.category,
                 status = EXCLUDED.status, components = EXCLUDED.components,
                 reason = CASE WHEN EXCLUDED.status = 'APPROVED' THEN NULL ELSE templates.reason END,
                 updated_at = now()",
        )
        .bind(db::new_id())
        .bind(organization)
        .bind(channel)
        .bind(Some(template.id.as_str()).filter(|id| !id.is_empty()))
        .bind(&template.name)
        .bind(&template.language)
        .bind(meta_key(template.category))
        .bind(meta_key(template.status))
        .bind(components)
        .execute(&mut *tx)
        .await?;
    }
    let names: Vec<&str> = listed.iter().map(|t| t.name.as_str()).collect();
    let languages: Vec<&str> = listed.iter().map(|t| t.language.as_str()).collect();
    sqlx::query(
        "DELETE FROM templates t WHERE t.organization_id = $1 AND t.channel_id = $2
         AND NOT EXISTS (SELECT 1 FROM unnest($3::text[], $4::text[]) AS l(name, language)
                         WHERE l.name = t.name AND l.language = t.language)",
    )
    .bind(organization)
    .bind(channel)
    .bind(&names)
    .bind(&languages)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE channels SET templates_synced_at = now(), templates_sync_failed_at = NULL
         WHERE organization_id = $1 AND id = $2",
    )
    .bind(organization)
    .bind(channel)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let approved = listed.iter().filter(|t| t.status == TemplateStatus::Approved).count();
    Ok(SyncReport { total: listed.len(), approved })
}

/// "Refresh templates": a person asks for the channel's templates to be copied again now.
pub async fn refresh(
    pool: &PgPool,
    secrets: &SecretKey,
    cloud: &CloudClient,
    actor: &Actor,
    channel: ChannelId,
) -> Result<SyncReport> {
    authorize(actor, Permission::TemplatesRead)?;
    sync(pool, secrets, cloud, actor.organization_id, channel).await
}

/// Flags the channel for the template sync worker; takes effect when the caller commits.
pub async fn request_sync(conn: &mut PgConnection, organization: OrganizationId, channel: ChannelId) -> Result<()> {
    sqlx::query(
        "UPDATE channels SET templates_sync_requested_at = now(), templates_sync_failed_at = NULL
         WHERE organization_id = $1 AND id = $2",
    )
    .bind(organization)
    .bind(channel)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Syncs the channels flagged by [`request_sync`]; returns how many it tried. A channel whose
/// sync fails keeps its flag and is tried again after [`RETRY_AFTER`].
pub async fn sync_due(pool: &PgPool, secrets: &SecretKey, cloud: &CloudClient, retry_after: Duration) -> Result<usize> {
    let retry_seconds = i32::try_from(retry_after.as_secs()).unwrap_or(i32::MAX);
    let due: Vec<(OrganizationId, ChannelId, DateTime<Utc>)> =
        sqlx::query_as("SELECT organization_id, channel_id, requested_at FROM template_syncs_due($1, $2)")
            .bind(i32::try_from(BATCH).unwrap_or(i32::MAX))
            .bind(retry_seconds)
            .fetch_all(pool)
            .await?;
    for (organization, channel, requested_at) in &due {
        let outcome = sync(pool, secrets, cloud, *organization, *channel).await;
        let mut tx = db::scoped(pool, Some(*organization), None).await?;
        match outcome {
            Ok(report) => {
                tracing::debug!(%channel, total = report.total, approved = report.approved, "templates synced");
                clear_request(&mut tx, *organization, *channel, *requested_at).await?;
            }
            // A channel that is not connected (any more) has nothing to sync until it is again.
            Err(Error::Conflict(reason)) => {
                tracing::info!(%channel, reason, "template sync skipped");
                clear_request(&mut tx, *organization, *channel, *requested_at).await?;
            }
            Err(error) => {
                tracing::warn!(%channel, %error, "template sync failed; tried again later");
                sqlx::query(
                    "UPDATE channels SET templates_sync_failed_at = now() WHERE organization_id = $1 AND id = $2",
                )
                .bind(organization)
                .bind(channel)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
    }
    Ok(due.len())
}

/// A request that came in during the sync stays, so the change it announces is not missed.
async fn clear_request(
    conn: &mut PgConnection,
    organization: OrganizationId,
    channel: ChannelId,
    requested_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE channels SET templates_sync_requested_at = NULL
         WHERE organization_id = $1 AND id = $2 AND templates_sync_requested_at <= $3",
    )
    .bind(organization)
    .bind(channel)
    .bind(requested_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Runs forever: syncs flagged channels every [`POLL`].
pub async fn run(pool: PgPool, secrets: SecretKey, cloud: CloudClient) {
    loop {
        if let Err(error) = sync_due(&pool, &secrets, &cloud, RETRY_AFTER).await {
            tracing::error!(%error, "template sync round failed");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The conversation's channel and what the contact offers to prefill.
async fn conversation_facts(
    conn: &mut PgConnection,
    organization: OrganizationId,
    conversation: ConversationId,
) -> Result<(ChannelId, ContactFacts)> {
    let (channel, name, wa_id): (ChannelId, String, String) = sqlx::query_as(
        "SELECT c.channel_id, COALESCE(NULLIF(k.name, ''), NULLIF(k.profile_name, ''), '+' || k.wa_id), k.wa_id
         FROM conversations c JOIN contacts k ON k.organization_id = c.organization_id AND k.id = c.contact_id
         WHERE c.organization_id = $1 AND c.id = $2",
    )
    .bind(organization)
    .bind(conversation)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    Ok((channel, ContactFacts { name, wa_id }))
}

/// A stored template as Meta lists it.
fn definition(row: TemplateRow) -> Result<TemplateDefinition> {
    let (meta_id, name, language, category, status, components) = row;
    serde_json::from_value(json!({
        "id": meta_id.unwrap_or_default(), "name": name, "language": language,
        "category": category.unwrap_or_default(), "status": status, "components": components,
    }))
    .map_err(|e| Error::Internal(format!("stored template {name} ({language}): {e}")))
}

type TemplateRow = (Option<String>, String, String, Option<String>, String, Value);

/// The approved templates of the conversation's channel, and the contact's details for prefilling.
pub async fn picker(pool: &PgPool, actor: &Actor, conversation: ConversationId) -> Result<TemplateChoices> {
    authorize(actor, Permission::InboxReply)?;
    let organization = actor.organization_id;
    let mut tx = db::scoped(pool, Some(organization), Some(actor.user_id)).await?;
    let (channel, contact) = conversation_facts(&mut tx, organization, conversation).await?;
    let rows: Vec<TemplateRow> = sqlx::query_as(
        "SELECT meta_template_id, name, language, category, status, components FROM templates
         WHERE organization_id = $1 AND channel_id = $2 AND status = 'APPROVED' ORDER BY name, language",
    )
    .bind(organization)
    .bind(channel)
    .fetch_all(&mut *tx)
    .await?;
    let synced_at: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT templates_synced_at FROM channels WHERE organization_id = $1 AND id = $2")
            .bind(organization)
            .bind(channel)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    let templates = rows.into_iter().map(definition).collect::<Result<Vec<_>>>()?;
    Ok(TemplateChoices { channel_id: channel.0, contact, templates, synced_at })
}

/// Queues approved template `name` (`language`) with `values` (one per field of
/// `template_fill::fields`, in order) to the conversation's customer; allowed whether or not the
/// 24-hour window is open. The inbox shows and searches it as the customer reads it.
pub async fn send(
    pool: &PgPool,
    actor: &Actor,
    conversation: ConversationId,
    name: &str,
    language: &str,
    values: &[String],
) -> Result<StoredMessage> {
    authorize(actor, Permission::InboxReply)?;
    let organization = actor.organization_id;
    let mut tx = db::scoped(pool, Some(organization), Some(actor.user_id)).await?;
    let (channel, _) = conversation_facts(&mut tx, organization, conversation).await?;
    let row: Option<TemplateRow> = sqlx::query_as(
        "SELECT meta_template_id, name, language, category, status, components FROM templates
         WHERE organization_id = $1 AND channel_id = $2 AND name = $3 AND language = $4 AND status = 'APPROVED'",
    )
    .bind(organization)
    .bind(channel)
    .bind(name)
    .bind(language)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let row = row.ok_or_else(|| {
        Error::invalid("template", "This template is not approved for this channel (any more): pick another one")
    })?;
    let definition = definition(row)?;
    let fields = template_fill::fields(&definition).map_err(|why| Error::invalid("template", why))?;
    let message = template_fill::message(&definition, &fields, values).map_err(|errors| {
        let described = errors
            .iter()
            .map(|e| match e.field.and_then(|i| fields.get(i)) {
                Some(field) if !e.message.contains(&field.label()) => format!("{}: {}", field.label(), e.message),
                _ => e.message.clone(),
            })
            .collect::<Vec<_>>();
        Error::invalid("values", described.join("; "))
    })?;
    let shown = template_fill::render(&definition, &fields, values).text();
    outbound::send_shown_as(pool, actor, conversation, MessageContent::Template(message), None, Some(shown)).await
}
