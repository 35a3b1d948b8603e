//! Where media files live: a local directory by default, any object store by configuration
//! (`object_store` parses the URL; S3-compatible storage is a URL plus object_store's `aws`
//! feature, not new code). Keys are `{organization}/{channel}/{media}`, so a tenant's files can be
//! listed or removed together.

pub mod attachments;
pub mod download;

use crate::auth::authorize;
use crate::db;
use crate::domain::{Actor, OrganizationId, Permission, UserId};
use crate::{Error, Result};
use bytes::Bytes;
use object_store::ObjectStore;
use sqlx::PgPool;
use uuid::Uuid;
use object_store::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum MediaStorageError {
    #[error("media storage URL {0:?} is not valid: {1}")]
    BadUrl(String, String),
    #[error("media storage: {0}")]
    Store(#[from] object_store::Error),
    #[error("media storage directory {0}: {1}")]
    Directory(String, std::io::Error),
}

/// The size of the parts a file is written in by [`MediaStorage::writer`] (S3's smallest part).
pub const PART_BYTES: usize = 5 * 1024 * 1024;

#[derive(Clone)]
pub struct MediaStorage {
    store: Arc<dyn ObjectStore>,
    root: Path,
}

impl std::fmt::Debug for MediaStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MediaStorage({})", self.store)
    }
}

impl MediaStorage {
    /// A local directory (created when missing).
    pub fn directory(dir: &std::path::Path) -> Result<Self, MediaStorageError> {
        std::fs::create_dir_all(dir).map_err(|e| MediaStorageError::Directory(dir.display().to_string(), e))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
        Ok(Self { store: Arc::new(store), root: Path::default() })
    }

    /// `file:///srv/parley/media`, or another scheme object_store was built with.
    pub fn from_url(raw: &str) -> Result<Self, MediaStorageError> {
        let parsed = url::Url::parse(raw).map_err(|e| MediaStorageError::BadUrl(raw.to_owned(), e.to_string()))?;
        if parsed.scheme() == "file" {
            let dir = parsed.to_file_path().map_err(|()| MediaStorageError::BadUrl(raw.to_owned(), "not an absolute path".into()))?;
            return Self::directory(&dir);
        }
        let (store, root) = object_store::parse_url(&parsed).map_err(|e| MediaStorageError::BadUrl(raw.to_owned(), e.to_string()))?;
        Ok(Self { store: Arc::from(store), root })
    }

    fn path(&self, key: &str) -> Path {
        key.split('/').fold(self.root.clone(), |path, part| path.child(part))
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), MediaStorageError> {
        self.store.put(&self.path(key), bytes.into()).await?;
        Ok(())
    }

    /// A file written as its bytes arrive, a part at a time: only the part being written is held.
    pub async fn writer(&self, key: &str) -> Result<object_store::WriteMultipart, MediaStorageError> {
        let upload = self.store.put_multipart(&self.path(key)).await?;
        Ok(object_store::WriteMultipart::new_with_chunk_size(upload, PART_BYTES))
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, MediaStorageError> {
        Ok(self.store.get(&self.path(key)).await?.bytes().await?)
    }

    pub async fn delete(&self, key: &str) -> Result<(), MediaStorageError> {
        self.store.delete(&self.path(key)).await?;
        Ok(())
    }
}

/// A stored file (a customer's or an agent's) as the inbox serves it to an agent.
#[derive(Debug)]
pub struct MessageFile {
    pub content_type: String,
    pub filename: Option<String>,
    pub bytes: Bytes,
}

/// The file of a message in the actor's organization, once it has been downloaded from WhatsApp.
/// Another organization's message, a message without a file, or a file not downloaded (yet) is
/// `NotFound`.
pub async fn message_file(pool: &PgPool, storage: &MediaStorage, actor: &Actor, message: Uuid) -> Result<MessageFile> {
    authorize(actor, Permission::InboxRead)?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    let row: Option<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT f.mime_type, f.filename, f.storage_key FROM messages m
         JOIN media f ON f.organization_id = m.organization_id AND f.id = m.media_id
         WHERE m.organization_id = $1 AND m.id = $2 AND f.download_state = 'stored'",
    )
    .bind(actor.organization_id)
    .bind(message)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    read_file(storage, row).await
}

/// A stored file of `organization` by its own id; another organization's file, or one not stored
/// (yet), is `NotFound`. The caller has checked who may read it (an agent's permission, or the
/// outbound worker sending it).
pub(crate) async fn kept_file(
    pool: &PgPool,
    storage: &MediaStorage,
    organization: OrganizationId,
    user: Option<UserId>,
    file: Uuid,
) -> Result<MessageFile> {
    let mut tx = db::scoped(pool, Some(organization), user).await?;
    let row: Option<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT mime_type, filename, storage_key FROM media
         WHERE organization_id = $1 AND id = $2 AND download_state = 'stored'",
    )
    .bind(organization)
    .bind(file)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    read_file(storage, row).await
}

/// The file a media row (MIME type, file name, storage key) describes; no row or no key is `NotFound`.
async fn read_file(storage: &MediaStorage, row: Option<(Option<String>, Option<String>, Option<String>)>) -> Result<MessageFile> {
    let Some((mime_type, filename, Some(key))) = row else { return Err(Error::NotFound) };
    let bytes = storage.get(&key).await.map_err(|e| Error::Internal(format!("reading media {key}: {e}")))?;
    Ok(MessageFile { content_type: mime_type.unwrap_or_else(|| "application/octet-stream".to_owned()), filename, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_reads_and_deletes_under_nested_keys() {
        let dir = std::env::temp_dir().join(format!("parley-media-test-{}", uuid::Uuid::now_v7()));
        let storage = MediaStorage::from_url(&format!("file://{}", dir.display())).unwrap();
        storage.put("org/channel/media", Bytes::from_static(b"jpeg bytes")).await.unwrap();
        assert_eq!(storage.get("org/channel/media").await.unwrap(), Bytes::from_static(b"jpeg bytes"));
        assert!(dir.join("org/channel/media").exists());
        storage.delete("org/channel/media").await.unwrap();
        assert!(storage.get("org/channel/media").await.is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn refuses_urls_it_cannot_serve() {
        assert!(MediaStorage::from_url("not a url").is_err());
        assert!(MediaStorage::from_url("s3://bucket/prefix").is_err(), "the aws feature is not built in");
    }
}
