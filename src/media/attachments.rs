//! Agents' attachments: a file uploaded in a conversation's composer is kept like a customer's
//! file, listed in the organization's stored files, and sent (by `inbox::outbound::send_file`)
//! as often as agents pick it.

use super::{MediaStorage, MessageFile};
use crate::auth::authorize;
use crate::db;
use crate::domain::attachment::{FileCursor, FileLibrary, FileName, StoredFile};
use crate::domain::cloud::MediaKind;
use crate::domain::conversation::ConversationId;
use crate::domain::{Actor, ChannelId, Permission};
use crate::error::OnField;
use crate::{Error, Result};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

/// A file as the browser sent it.
#[derive(Debug)]
pub struct Upload<'a> {
    pub conversation: ConversationId,
    pub filename: &'a str,
    pub mime_type: &'a str,
    pub bytes: Bytes,
}

/// Keeps a file an agent means to send in `conversation`, once WhatsApp would take it: a format
/// Meta accepts, within its size limit. Another organization's conversation is `NotFound`.
pub async fn upload(pool: &PgPool, storage: &MediaStorage, actor: &Actor, upload: Upload<'_>) -> Result<StoredFile> {
    authorize(actor, Permission::InboxReply)?;
    let filename = FileName::parse(upload.filename).on_field("file")?;
    let size = upload.bytes.len() as u64;
    let kind = MediaKind::for_upload(upload.mime_type, size).map_err(|e| Error::invalid("file", e.to_string()))?;
    let organization = actor.organization_id;
    let channel: ChannelId = {
        let mut tx = db::scoped(pool, Some(organization), Some(actor.user_id)).await?;
        let channel = sqlx::query_scalar("SELECT channel_id FROM conversations WHERE organization_id = $1 AND id = $2")
            .bind(organization)
            .bind(upload.conversation)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        channel
    };
    let id = db::new_id();
    let key = format!("{organization}/{channel}/{id}");
    let sha256 = hex::encode(Sha256::digest(&upload.bytes));
    storage.put(&key, upload.bytes).await.map_err(|e| Error::Internal(format!("storing upload {key}: {e}")))?;
    let mut tx = db::scoped(pool, Some(organization), Some(actor.user_id)).await?;
    let created_at: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO media (id, organization_id, channel_id, mime_type, sha256, filename, storage_key, download_state,
             uploaded_by, file_size)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'stored', $8, $9)
         RETURNING created_at",
    )
    .bind(id)
    .bind(organization)
    .bind(channel)
    .bind(upload.mime_type)
    .bind(&sha256)
    .bind(filename.as_str())
    .bind(&key)
    .bind(actor.user_id)
    .bind(i64::try_from(size).unwrap_or(i64::MAX))
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(StoredFile {
        id,
        kind,
        filename: Some(filename.as_str().to_owned()),
        mime_type: upload.mime_type.to_owned(),
        size: i64::try_from(size).ok(),
        created_at,
        uploaded: true,
        unsent_upload: true,
    })
}

/// How many stored files a page of the picker holds.
pub const PAGE: i64 = 30;

/// The organization's stored files that WhatsApp would take again, newest first.
pub async fn library(pool: &PgPool, actor: &Actor, after: Option<FileCursor>) -> Result<FileLibrary> {
    authorize(actor, Permission::InboxReply)?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    type Row = (Uuid, Option<String>, Option<String>, Option<i64>, DateTime<Utc>, bool, bool);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, mime_type, filename, file_size, created_at, uploaded_by IS NOT NULL,
                uploaded_by IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM messages m WHERE m.organization_id = media.organization_id AND m.media_id = media.id)
         FROM media
         WHERE organization_id = $1 AND download_state = 'stored'
           AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
         ORDER BY created_at DESC, id DESC
         LIMIT $4",
    )
    .bind(actor.organization_id)
    .bind(after.map(|c| c.created_at))
    .bind(after.map(|c| c.id))
    .bind(PAGE + 1)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let more = rows.len() as i64 > PAGE;
    let page: Vec<Row> = rows.into_iter().take(PAGE as usize).collect();
    let next = more.then(|| page.last().map(|(id, _, _, _, created_at, _, _)| FileCursor { created_at: *created_at, id: *id })).flatten();
    let files = page
        .into_iter()
        .filter_map(|(id, mime_type, filename, size, created_at, uploaded, unsent_upload)| {
            let mime_type = mime_type?;
            // A customer's file in a format Meta does not take from businesses is left out.
            let kind = MediaKind::of_mime(&mime_type)?;
            Some(StoredFile { id, kind, filename, mime_type, size, created_at, uploaded, unsent_upload })
        })
        .collect();
    Ok(FileLibrary { files, next })
}

/// Deletes a file an agent uploaded and nobody has sent, from the database and then from the
/// storage. A file in a message stays with it (`Invalid`); another organization's is `NotFound`.
pub async fn delete_upload(pool: &PgPool, storage: &MediaStorage, actor: &Actor, file: Uuid) -> Result<()> {
    authorize(actor, Permission::InboxReply)?;
    let organization = actor.organization_id;
    let mut tx = db::scoped(pool, Some(organization), Some(actor.user_id)).await?;
    // Locked: a message about to carry the file waits (its foreign key check) and then fails,
    // rather than pointing at a deleted file.
    let found: Option<(Option<String>, bool)> = sqlx::query_as(
        "SELECT storage_key, uploaded_by IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM messages m WHERE m.organization_id = media.organization_id AND m.media_id = media.id)
         FROM media WHERE organization_id = $1 AND id = $2 AND download_state = 'stored'
         FOR UPDATE",
    )
    .bind(organization)
    .bind(file)
    .fetch_optional(&mut *tx)
    .await?;
    let (key, unsent_upload) = found.ok_or(Error::NotFound)?;
    if !unsent_upload {
        return Err(Error::invalid("file", "This file is in a conversation, so it stays with its message"));
    }
    sqlx::query("DELETE FROM media WHERE organization_id = $1 AND id = $2").bind(organization).bind(file).execute(&mut *tx).await?;
    tx.commit().await?;
    // The row is gone, so nothing can reach the bytes any more: a failure here only leaves them
    // behind on disk.
    if let Some(key) = key {
        if let Err(e) = storage.delete(&key).await {
            tracing::warn!(%key, error = %e, "a deleted upload's bytes were not removed from the storage");
        }
    }
    Ok(())
}

/// A stored file of the actor's organization, by its own id (the picker's previews).
pub async fn stored_file(pool: &PgPool, storage: &MediaStorage, actor: &Actor, file: Uuid) -> Result<MessageFile> {
    authorize(actor, Permission::InboxRead)?;
    super::kept_file(pool, storage, actor.organization_id, Some(actor.user_id), file).await
}
