//! Inbound media as Meta announced it (id, type, checksum). The file lives at Meta until it is
//! downloaded through the Cloud API: the downloader takes [`pending`] rows and reports each one
//! [`stored`] or [`failed`].

use crate::db;
use crate::domain::{ChannelId, OrganizationId};
use crate::{Error, Result, realtime};
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PendingMedia {
    pub id: Uuid,
    pub organization_id: OrganizationId,
    pub channel_id: ChannelId,
    pub meta_media_id: String,
    pub mime_type: Option<String>,
}

/// Media not downloaded yet, oldest first, across organizations.
pub async fn pending(pool: &PgPool, limit: i64) -> Result<Vec<PendingMedia>> {
    Ok(sqlx::query_as("SELECT id, organization_id, channel_id, meta_media_id, mime_type FROM pending_media($1)")
        .bind(i32::try_from(limit).unwrap_or(i32::MAX))
        .fetch_all(pool)
        .await?)
}

/// The file is in storage under `storage_key`.
pub async fn stored(pool: &PgPool, organization: OrganizationId, id: Uuid, storage_key: &str, size: u64) -> Result<()> {
    set_state(pool, organization, id, "stored", Some((storage_key, size)), None).await
}

/// The file could not be fetched (expired at Meta, too large...); the reason is kept.
pub async fn failed(pool: &PgPool, organization: OrganizationId, id: Uuid, reason: &str) -> Result<()> {
    set_state(pool, organization, id, "failed", None, Some(reason)).await
}

async fn set_state(
    pool: &PgPool,
    organization: OrganizationId,
    id: Uuid,
    state: &str,
    kept: Option<(&str, u64)>,
    reason: Option<&str>,
) -> Result<()> {
    let mut tx = db::scoped(pool, Some(organization), None).await?;
    realtime::lock_order(&mut tx, organization).await?;
    let updated = sqlx::query(
        "UPDATE media SET download_state = $3, storage_key = $4, file_size = $5, download_error = $6, updated_at = now()
         WHERE organization_id = $1 AND id = $2",
    )
    .bind(organization)
    .bind(id)
    .bind(state)
    .bind(kept.map(|(key, _)| key))
    .bind(kept.map(|(_, size)| i64::try_from(size).unwrap_or(i64::MAX)))
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    // Open threads show the file (or why it is missing) instead of "loading".
    let of_file = "SELECT DISTINCT conversation_id FROM messages WHERE organization_id = $1 AND media_id = $2";
    realtime::announce_conversations(&mut tx, organization, of_file, id).await?;
    tx.commit().await?;
    Ok(())
}
