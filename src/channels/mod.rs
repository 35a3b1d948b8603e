//! WhatsApp channels: an organization's connected numbers, their credentials (sealed at rest), and
//! what the webhook receiver and the senders need to know about them.

use crate::auth::{authorize, token};
use crate::cloud::{CloudClient, GraphAccount};
use crate::db;
use crate::domain::channel::{ChannelName, ChannelSecret, ChannelStatus, GraphApiBaseUrl, GraphId, VerifyToken};
pub use crate::domain::channel::{Channel, ChannelForm};
use crate::domain::{Actor, ChannelId, OrganizationId, Permission};
use crate::error::{OnField, conflict_on_unique};
use crate::secrets::SecretKey;
use crate::{Error, Result};
use sqlx::PgPool;

/// The form, parsed. Ids are optional while the channel is being set up (status Pending).
struct ChannelSettings {
    name: ChannelName,
    phone_number_id: Option<GraphId>,
    waba_id: Option<GraphId>,
    app_id: Option<GraphId>,
    app_secret: Option<ChannelSecret>,
    access_token: Option<ChannelSecret>,
    verify_token: Option<VerifyToken>,
    graph_api_base_url: GraphApiBaseUrl,
}

fn optional<T>(raw: &str, parse: impl FnOnce(&str) -> std::result::Result<T, crate::domain::InvalidInput>, field: &'static str) -> Result<Option<T>> {
    if raw.trim().is_empty() { Ok(None) } else { parse(raw).map(Some).on_field(field) }
}

impl ChannelForm {
    fn parse(&self) -> Result<ChannelSettings> {
        Ok(ChannelSettings {
            name: ChannelName::parse(&self.name).on_field("name")?,
            phone_number_id: optional(&self.phone_number_id, |r| GraphId::parse(r, "Phone number id"), "phone_number_id")?,
            waba_id: optional(&self.waba_id, |r| GraphId::parse(r, "WhatsApp Business Account id"), "waba_id")?,
            app_id: optional(&self.app_id, |r| GraphId::parse(r, "App id"), "app_id")?,
            app_secret: optional(&self.app_secret, |r| ChannelSecret::parse(r, "App secret"), "app_secret")?,
            access_token: optional(&self.access_token, |r| ChannelSecret::parse(r, "Access token"), "access_token")?,
            verify_token: optional(&self.verify_token, VerifyToken::parse, "verify_token")?,
            graph_api_base_url: GraphApiBaseUrl::parse(&self.graph_api_base_url).on_field("graph_api_base_url")?,
        })
    }
}

const COLUMNS: &str = "id, name, webhook_key, phone_number_id, waba_id, app_id, app_secret_hint, access_token_hint,
    verify_token, graph_api_base_url, api_token_hint, status, status_message, display_phone_number, verified_name,
    quality_rating, subscribed";

const DUPLICATE: &str = "Another channel of this organization already has this name or phone number id";

pub async fn list(pool: &PgPool, actor: &Actor) -> Result<Vec<Channel>> {
    authorize(actor, Permission::SettingsChannels)?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    let channels = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM channels WHERE organization_id = $1 ORDER BY lower(name), id"
    ))
    .bind(actor.organization_id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(channels)
}

pub async fn get(pool: &PgPool, actor: &Actor, id: ChannelId) -> Result<Channel> {
    authorize(actor, Permission::SettingsChannels)?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    let channel = sqlx::query_as(&format!("SELECT {COLUMNS} FROM channels WHERE organization_id = $1 AND id = $2"))
        .bind(actor.organization_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(channel)
}

/// A new channel, and the external API token, shown this once.
pub struct CreatedChannel {
    pub channel: Channel,
    pub api_token: String,
}

pub async fn create(pool: &PgPool, secrets: &SecretKey, actor: &Actor, form: &ChannelForm) -> Result<CreatedChannel> {
    authorize(actor, Permission::SettingsChannels)?;
    let settings = form.parse()?;
    let id = ChannelId(db::new_id());
    let api_token = format!("pk_{}", token::generate());
    let verify_token = match &settings.verify_token {
        Some(v) => v.as_str().to_owned(),
        None => token::generate(),
    };
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    sqlx::query(
        "INSERT INTO channels (id, organization_id, name, webhook_key, phone_number_id, waba_id, app_id,
            app_secret_sealed, app_secret_hint, access_token_sealed, access_token_hint, verify_token,
            graph_api_base_url, api_token_hash, api_token_hint, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(id)
    .bind(actor.organization_id)
    .bind(settings.name.as_str())
    .bind(token::generate())
    .bind(settings.phone_number_id.as_ref().map(GraphId::as_str))
    .bind(settings.waba_id.as_ref().map(GraphId::as_str))
    .bind(settings.app_id.as_ref().map(GraphId::as_str))
    .bind(settings.app_secret.as_ref().map(|s| secrets.encrypt(s.expose())))
    .bind(settings.app_secret.as_ref().map(ChannelSecret::hint))
    .bind(settings.access_token.as_ref().map(|s| secrets.encrypt(s.expose())))
    .bind(settings.access_token.as_ref().map(ChannelSecret::hint))
    .bind(verify_token)
    .bind(settings.graph_api_base_url.as_str())
    .bind(token::digest(&api_token))
    .bind(format!("••••{}", &api_token[api_token.len() - 4..]))
    .bind(ChannelStatus::Pending.key())
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict_on_unique(e, DUPLICATE))?;
    tx.commit().await?;
    let channel = get(pool, actor, id).await?;
    Ok(CreatedChannel { channel, api_token })
}

/// Saves the form over one channel; empty secret fields keep what is stored. Any change of what
/// identifies the number or authenticates to Meta sends the channel back to Pending until it is
/// validated again.
pub async fn update(pool: &PgPool, secrets: &SecretKey, actor: &Actor, id: ChannelId, form: &ChannelForm) -> Result<Channel> {
    authorize(actor, Permission::SettingsChannels)?;
    let settings = form.parse()?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    let updated = sqlx::query(
        "UPDATE channels SET
            name = $3, phone_number_id = $4, waba_id = $5, app_id = $6,
            app_secret_sealed = COALESCE($7, app_secret_sealed), app_secret_hint = COALESCE($8, app_secret_hint),
            access_token_sealed = COALESCE($9, access_token_sealed), access_token_hint = COALESCE($10, access_token_hint),
            verify_token = COALESCE($11, verify_token), graph_api_base_url = $12,
            status = CASE WHEN phone_number_id IS DISTINCT FROM $4 OR waba_id IS DISTINCT FROM $5
                           OR graph_api_base_url IS DISTINCT FROM $12 OR $9::text IS NOT NULL
                      THEN 'pending' ELSE status END,
            subscribed = CASE WHEN waba_id IS DISTINCT FROM $5 OR graph_api_base_url IS DISTINCT FROM $12
                      THEN false ELSE subscribed END,
            updated_at = now()
         WHERE organization_id = $1 AND id = $2",
    )
    .bind(actor.organization_id)
    .bind(id)
    .bind(settings.name.as_str())
    .bind(settings.phone_number_id.as_ref().map(GraphId::as_str))
    .bind(settings.waba_id.as_ref().map(GraphId::as_str))
    .bind(settings.app_id.as_ref().map(GraphId::as_str))
    .bind(settings.app_secret.as_ref().map(|s| secrets.encrypt(s.expose())))
    .bind(settings.app_secret.as_ref().map(ChannelSecret::hint))
    .bind(settings.access_token.as_ref().map(|s| secrets.encrypt(s.expose())))
    .bind(settings.access_token.as_ref().map(ChannelSecret::hint))
    .bind(settings.verify_token.as_ref().map(VerifyToken::as_str))
    .bind(settings.graph_api_base_url.as_str())
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict_on_unique(e, DUPLICATE))?;
    if updated.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    get(pool, actor, id).await
}

/// What the webhook receiver knows about a callback URL's key, before any organization is known.
#[derive(Debug, Clone)]
pub struct WebhookChannel {
    pub organization_id: OrganizationId,
    pub channel_id: ChannelId,
    /// None until the admin enters it: such a channel cannot accept signed posts.
    pub app_secret: Option<String>,
    pub verify_token: String,
}

pub async fn webhook_channel(pool: &PgPool, secrets: &SecretKey, key: &str) -> Result<Option<WebhookChannel>> {
    let row: Option<(OrganizationId, ChannelId, Option<String>, String)> =
        sqlx::query_as("SELECT organization_id, channel_id, app_secret_sealed, verify_token FROM webhook_channel($1)")
            .bind(key)
            .fetch_optional(pool)
            .await?;
    let Some((organization_id, channel_id, sealed, verify_token)) = row else { return Ok(None) };
    let app_secret = sealed
        .map(|s| secrets.decrypt(&s))
        .transpose()
        .map_err(|e| Error::Internal(format!("channel {channel_id}: {e}")))?;
    Ok(Some(WebhookChannel { organization_id, channel_id, app_secret, verify_token }))
}

/// What a sender needs to call the Graph API for a channel.
#[derive(Clone)]
pub struct ChannelAccount {
    pub channel_id: ChannelId,
    pub graph_api_base_url: String,
    pub phone_number_id: Option<String>,
    pub waba_id: Option<String>,
    pub access_token: Option<String>,
}

/// The channel's Graph API account. The caller has already authorized the action it serves
/// (an agent's reply, a worker's job); this only reads within the organization.
pub async fn account(pool: &PgPool, secrets: &SecretKey, organization: OrganizationId, id: ChannelId) -> Result<ChannelAccount> {
    let mut tx = db::scoped(pool, Some(organization), None).await?;
    let row: Option<(String, Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT graph_api_base_url, phone_number_id, waba_id, access_token_sealed
         FROM channels WHERE organization_id = $1 AND id = $2",
    )
    .bind(organization)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let (graph_api_base_url, phone_number_id, waba_id, sealed) = row.ok_or(Error::NotFound)?;
    let access_token = sealed
        .map(|s| secrets.decrypt(&s))
        .transpose()
        .map_err(|e| Error::Internal(format!("channel {id}: {e}")))?;
    Ok(ChannelAccount { channel_id: id, graph_api_base_url, phone_number_id, waba_id, access_token })
}

/// The channel's callback URL, as Meta (or the sandbox) must be told.
pub fn callback_url(public_url: &str, channel: &Channel) -> String {
    format!("{}/webhooks/whatsapp/{}", public_url.trim_end_matches('/'), channel.webhook_key)
}

fn missing_for_validation(account: &ChannelAccount, has_app_secret: bool) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if account.phone_number_id.is_none() {
        missing.push("phone number id");
    }
    if account.waba_id.is_none() {
        missing.push("WhatsApp Business Account id");
    }
    if !has_app_secret {
        missing.push("app secret");
    }
    if account.access_token.is_none() {
        missing.push("access token");
    }
    missing
}

/// "Validate & Update": asks the Graph API for the phone number with the stored credentials.
/// Good keeps the number's display name and quality; Invalid keeps Meta's message for the admin.
pub async fn validate(pool: &PgPool, secrets: &SecretKey, cloud: &CloudClient, actor: &Actor, id: ChannelId) -> Result<Channel> {
    let channel = get(pool, actor, id).await?;
    let account = account(pool, secrets, actor.organization_id, id).await?;
    let missing = missing_for_validation(&account, channel.app_secret_hint.is_some());
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    let record = "UPDATE channels SET status = $3, status_message = $4, validated_at = now(),
            display_phone_number = COALESCE($5, display_phone_number), verified_name = COALESCE($6, verified_name),
            quality_rating = COALESCE($7, quality_rating), updated_at = now()
         WHERE organization_id = $1 AND id = $2";
    let (status, message, info) = match (missing.is_empty(), &account.phone_number_id, graph_account(&account)) {
        (true, Some(phone_number_id), Some(graph)) => match cloud.phone_number(&graph, phone_number_id).await {
            Ok(info) => (ChannelStatus::Good, None, Some(info)),
            Err(err) => (ChannelStatus::Invalid, Some(err.to_string()), None),
        },
        _ => (ChannelStatus::Pending, Some(format!("Fill in the {} first.", missing.join(", "))), None),
    };
    sqlx::query(record)
        .bind(actor.organization_id)
        .bind(id)
        .bind(status.key())
        .bind(message)
        .bind(info.as_ref().map(|i| i.display_phone_number.clone()))
        .bind(info.as_ref().map(|i| i.verified_name.clone()))
        .bind(info.as_ref().map(|i| i.quality_rating.as_str()))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    get(pool, actor, id).await
}

fn graph_account(account: &ChannelAccount) -> Option<GraphAccount> {
    Some(GraphAccount { base_url: account.graph_api_base_url.clone(), access_token: account.access_token.clone()? })
}

/// "Subscribe": subscribes the app to the channel's WhatsApp Business Account, pointing its
/// webhooks at this channel's callback URL. Only a Good channel can subscribe.
pub async fn subscribe(
    pool: &PgPool,
    secrets: &SecretKey,
    cloud: &CloudClient,
    public_url: &str,
    actor: &Actor,
    id: ChannelId,
) -> Result<Channel> {
    let channel = get(pool, actor, id).await?;
    if channel.status() != ChannelStatus::Good {
        return Err(Error::Conflict("Validate the channel first: only a channel in status Good can subscribe.".into()));
    }
    let account = account(pool, secrets, actor.organization_id, id).await?;
    let (Some(waba_id), Some(graph)) = (&account.waba_id, graph_account(&account)) else {
        return Err(Error::Conflict("Fill in the WhatsApp Business Account id and access token first.".into()));
    };
    let callback = callback_url(public_url, &channel);
    cloud
        .subscribe_app(&graph, waba_id, Some((&callback, &channel.verify_token)))
        .await
        .map_err(|e| Error::Upstream(e.to_string()))?;
    set_subscribed(pool, actor, id, true).await
}

/// "Unsubscribe": Meta stops sending this channel's webhooks.
pub async fn unsubscribe(pool: &PgPool, secrets: &SecretKey, cloud: &CloudClient, actor: &Actor, id: ChannelId) -> Result<Channel> {
    get(pool, actor, id).await?;
    let account = account(pool, secrets, actor.organization_id, id).await?;
    if let (Some(waba_id), Some(graph)) = (&account.waba_id, graph_account(&account)) {
        cloud.unsubscribe_app(&graph, waba_id).await.map_err(|e| Error::Upstream(e.to_string()))?;
    }
    set_subscribed(pool, actor, id, false).await
}

async fn set_subscribed(pool: &PgPool, actor: &Actor, id: ChannelId, subscribed: bool) -> Result<Channel> {
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    sqlx::query("UPDATE channels SET subscribed = $3, updated_at = now() WHERE organization_id = $1 AND id = $2")
        .bind(actor.organization_id)
        .bind(id)
        .bind(subscribed)
        .execute(&mut *tx)
        .await?;
    if subscribed {
        crate::templates::request_sync(&mut tx, actor.organization_id, id).await?;
    }
    tx.commit().await?;
    get(pool, actor, id).await
}
