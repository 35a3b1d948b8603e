//! Quick replies: the organization's canned answers. Every agent who reads the inbox may use
//! them; writing them needs `templates.write`, because like templates they are the team's shared
//! wording, curated by whoever owns it rather than by each agent.

use crate::auth::authorize;
use crate::db;
use crate::domain::quick_reply::{QuickReply, QuickReplyShortcut, QuickReplyText};
use crate::domain::{Actor, ChannelId, Permission};
use crate::error::OnField;
use crate::{Error, Result};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// What the quick reply form submits.
#[derive(Debug, Clone, Default)]
pub struct QuickReplyForm {
    pub shortcut: String,
    pub text: String,
    /// None: every channel.
    pub channel: Option<ChannelId>,
}

/// The organization's quick replies matching `search` (shortcut or text), by shortcut.
pub async fn list(pool: &PgPool, actor: &Actor, search: &str) -> Result<Vec<QuickReply>> {
    authorize(actor, Permission::InboxRead)?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    let rows = select(&mut tx, actor, search, None).await?;
    tx.commit().await?;
    Ok(rows)
}

/// The quick replies usable in a conversation: those for every channel and those for its own.
pub async fn for_conversation(pool: &PgPool, actor: &Actor, conversation: Uuid) -> Result<Vec<QuickReply>> {
    authorize(actor, Permission::InboxRead)?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    let channel: ChannelId =
        sqlx::query_scalar("SELECT channel_id FROM conversations WHERE organization_id = $1 AND id = $2")
            .bind(actor.organization_id)
            .bind(conversation)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(Error::NotFound)?;
    let rows = select(&mut tx, actor, "", Some(channel)).await?;
    tx.commit().await?;
    Ok(rows)
}

/// The channels a quick reply can be restricted to, by name: for the form, so for writers.
pub async fn channel_choices(pool: &PgPool, actor: &Actor) -> Result<Vec<(ChannelId, String)>> {
    authorize(actor, Permission::TemplatesWrite)?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    let rows = sqlx::query_as("SELECT id, name FROM channels WHERE organization_id = $1 ORDER BY lower(name)")
        .bind(actor.organization_id)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(rows)
}

pub async fn create(pool: &PgPool, actor: &Actor, form: &QuickReplyForm) -> Result<Uuid> {
    authorize(actor, Permission::TemplatesWrite)?;
    let (shortcut, text) = parse(form)?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    ensure_channel(&mut tx, actor, form.channel).await?;
    let id = db::new_id();
    sqlx::query(
        "INSERT INTO quick_replies (id, organization_id, shortcut, text, channel_id, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(actor.organization_id)
    .bind(shortcut.as_str())
    .bind(text.as_str())
    .bind(form.channel)
    .bind(actor.user_id)
    .execute(&mut *tx)
    .await
    .map_err(|e| shortcut_taken(e, &shortcut))?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update(pool: &PgPool, actor: &Actor, id: Uuid, form: &QuickReplyForm) -> Result<()> {
    authorize(actor, Permission::TemplatesWrite)?;
    let (shortcut, text) = parse(form)?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    ensure_channel(&mut tx, actor, form.channel).await?;
    let updated = sqlx::query(
        "UPDATE quick_replies SET shortcut = $3, text = $4, channel_id = $5, updated_at = now()
         WHERE organization_id = $1 AND id = $2",
    )
    .bind(actor.organization_id)
    .bind(id)
    .bind(shortcut.as_str())
    .bind(text.as_str())
    .bind(form.channel)
    .execute(&mut *tx)
    .await
    .map_err(|e| shortcut_taken(e, &shortcut))?;
    if updated.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

pub async fn delete(pool: &PgPool, actor: &Actor, id: Uuid) -> Result<()> {
    authorize(actor, Permission::TemplatesWrite)?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    let deleted = sqlx::query("DELETE FROM quick_replies WHERE organization_id = $1 AND id = $2")
        .bind(actor.organization_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

fn parse(form: &QuickReplyForm) -> Result<(QuickReplyShortcut, QuickReplyText)> {
    Ok((QuickReplyShortcut::parse(&form.shortcut).on_field("shortcut")?, QuickReplyText::parse(&form.text).on_field("text")?))
}

/// Another organization's channel is refused like a missing one, on the form's channel field.
async fn ensure_channel(conn: &mut PgConnection, actor: &Actor, channel: Option<ChannelId>) -> Result<()> {
    let Some(channel) = channel else { return Ok(()) };
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM channels WHERE organization_id = $1 AND id = $2)")
        .bind(actor.organization_id)
        .bind(channel)
        .fetch_one(&mut *conn)
        .await?;
    if exists { Ok(()) } else { Err(Error::invalid("channel", "Choose one of your channels, or all channels")) }
}

/// The duplicate belongs beside the shortcut field, where the agent can change it.
fn shortcut_taken(err: sqlx::Error, shortcut: &QuickReplyShortcut) -> Error {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            Error::invalid("shortcut", format!("/{} is already used by another quick reply", shortcut.as_str()))
        }
        _ => Error::Database(err),
    }
}

/// Quick replies matching `search`, and usable on `channel` when one is given.
async fn select(conn: &mut PgConnection, actor: &Actor, search: &str, channel: Option<ChannelId>) -> Result<Vec<QuickReply>> {
    let search = search.trim().trim_start_matches('/');
    Ok(sqlx::query_as(
        "SELECT q.id, q.shortcut, q.text, q.channel_id, ch.name AS channel_name
         FROM quick_replies q
         LEFT JOIN channels ch ON ch.organization_id = q.organization_id AND ch.id = q.channel_id
         WHERE q.organization_id = $1
           AND ($2 = '' OR q.shortcut ILIKE '%' || $2 || '%' OR q.text ILIKE '%' || $2 || '%')
           AND ($3::uuid IS NULL OR q.channel_id IS NULL OR q.channel_id = $3)
         ORDER BY lower(q.shortcut)",
    )
    .bind(actor.organization_id)
    .bind(search)
    .bind(channel)
    .fetch_all(&mut *conn)
    .await?)
}
