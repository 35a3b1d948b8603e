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

/// A file as the browser sent it, whole (tests and small callers; the browser's uploads stream
/// through [`begin`]).
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
    let mut receiving = begin(pool, storage, actor, upload.conversation, upload.filename, upload.mime_type).await?;
    if let Err(refused) = receiving.write(&upload.bytes).await {
        receiving.abort().await;
        return Err(refused);
    }
    receiving.finish(pool).await
}

/// Parts written to the storage at once, at most: with the part being filled, what an upload
/// holds in memory (a few [`super::PART_BYTES`]), whatever the file's size.
const PARTS_IN_FLIGHT: usize = 2;

/// An upload under way: its name, format and conversation are checked, and its bytes go to the
/// storage as they arrive, counted and hashed, never held whole. Finish it, or abort it.
pub struct Receiving {
    writer: object_store::WriteMultipart,
    key: String,
    id: Uuid,
    kind: MediaKind,
    filename: FileName,
    mime_type: String,
    organization: crate::domain::OrganizationId,
    channel: ChannelId,
    uploaded_by: crate::domain::UserId,
    size: u64,
    sha256: Sha256,
}

/// Checks what can be checked before the bytes (the person may reply, the name, the format, the
/// conversation is the organization's) and opens the file in the storage.
pub async fn begin(
    pool: &PgPool,
    storage: &MediaStorage,
    actor: &Actor,
    conversation: ConversationId,
    filename: &str,
    mime_type: &str,
) -> Result<Receiving> {
    authorize(actor, Permission::InboxReply)?;
    let filename = FileName::parse(filename).on_field("file")?;
    let kind = MediaKind::for_upload_format(mime_type).map_err(|e| Error::invalid("file", e.to_string()))?;
    let organization = actor.organization_id;
    let mut tx = db::scoped(pool, Some(organization), Some(actor.user_id)).await?;
    let channel: ChannelId = sqlx::query_scalar("SELECT channel_id FROM conversations WHERE organization_id = $1 AND id = $2")
        .bind(organization)
        .bind(conversation)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    let id = db::new_id();
    let key = format!("{organization}/{channel}/{id}");
    let writer = storage.writer(&key).await.map_err(|e| Error::Internal(format!("storing upload {key}: {e}")))?;
    Ok(Receiving {
        writer,
        key,
        id,
        kind,
        filename,
        mime_type: mime_type.to_owned(),
        organization,
        channel,
        uploaded_by: actor.user_id,
        size: 0,
        sha256: Sha256::new(),
    })
}

impl Receiving {
    /// The next bytes of the file. Past WhatsApp's limit for its kind, the upload is refused
    /// (and must be aborted).
    pub async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.size += bytes.len() as u64;
        if self.size > self.kind.max_bytes() {
            return Err(Error::invalid("file", self.kind.too_large("").to_string()));
        }
        self.sha256.update(bytes);
        self.writer
            .wait_for_capacity(PARTS_IN_FLIGHT)
            .await
            .map_err(|e| Error::Internal(format!("storing upload {}: {e}", self.key)))?;
        self.writer.write(bytes);
        Ok(())
    }

    /// Completes the file in the storage and lists it among the organization's stored files. An
    /// empty file is refused.
    pub async fn finish(self, pool: &PgPool) -> Result<StoredFile> {
        if self.size == 0 {
            self.abort().await;
            return Err(Error::invalid("file", "The file is empty"));
        }
        let Self { writer, key, id, kind, filename, mime_type, organization, channel, uploaded_by, size, sha256 } = self;
        writer.finish().await.map_err(|e| Error::Internal(format!("storing upload {key}: {e}")))?;
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        let mut tx = db::scoped(pool, Some(organization), Some(uploaded_by)).await?;
        let created_at: DateTime<Utc> = sqlx::query_scalar(
            "INSERT INTO media (id, organization_id, channel_id, mime_type, sha256, filename, storage_key, download_state,
                 uploaded_by, file_size)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'stored', $8, $9)
             RETURNING created_at",
        )
        .bind(id)
        .bind(organization)
        .bind(channel)
        .bind(&mime_type)
        .bind(hex::encode(sha256.finalize()))
        .bind(filename.as_str())
        .bind(&key)
        .bind(uploaded_by)
        .bind(size)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(StoredFile {
            id,
            kind,
            filename: Some(filename.as_str().to_owned()),
            mime_type,
            size: Some(size),
            created_at,
            uploaded: true,
            unsent_upload: true,
        })
    }

    /// Gives the upload up: nothing of it stays in the storage.
    pub async fn abort(self) {
        if let Err(e) = self.writer.abort().await {
            tracing::warn!(key = %self.key, error = %e, "an abandoned upload's parts were not removed");
        }
    }
}

/// Whether a `media` row is an agent's upload that no message carries: the only kind of file that
/// may be deleted. One definition for the picker, which offers the deletion, and for the deletion.
const UNSENT_UPLOAD: &str = "uploaded_by IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM messages m WHERE m.organization_id = media.organization_id AND m.media_id = media.id)";

/// How many stored files a page of the picker holds.
pub const PAGE: i64 = 30;

/// The organization's stored files that WhatsApp would take again, newest first.
pub async fn library(pool: &PgPool, actor: &Actor, after: Option<FileCursor>) -> Result<FileLibrary> {
    authorize(actor, Permission::InboxReply)?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    type Row = (Uuid, Option<String>, Option<String>, Option<i64>, DateTime<Utc>, bool, bool);
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT id, mime_type, filename, file_size, created_at, uploaded_by IS NOT NULL, {UNSENT_UPLOAD}
         FROM media
         WHERE organization_id = $1 AND download_state = 'stored'
           AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
         ORDER BY created_at DESC, id DESC
         LIMIT $4",
    ))
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
    let found: Option<(Option<String>, bool)> = sqlx::query_as(&format!(
        "SELECT storage_key, {UNSENT_UPLOAD}
         FROM media WHERE organization_id = $1 AND id = $2 AND download_state = 'stored'
         FOR UPDATE",
    ))
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
