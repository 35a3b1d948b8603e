//! Inbound media downloader: the files customers send stay at Meta until fetched through the Cloud
//! API (metadata, then a short-lived URL that needs the channel's token). Each pending media row
//! ends either stored under `{organization}/{channel}/{media}` or failed with the reason.
//!
//! The media table has no attempt counter, so retries are counted in this process: a temporary
//! failure (timeout, unreachable, rate limit, a token being fixed) is tried again with a growing
//! backoff and given up after [`MAX_ATTEMPTS`], close to two hours after the first. A restart gives
//! such media a fresh start, which is what an operator who just fixed the cause wants.

use crate::channels;
use crate::cloud::{CloudClient, CloudError, GraphAccount};
use crate::domain::cloud::{ErrorClass, MediaInfo};
use crate::media::MediaStorage;
use crate::secrets::SecretKey;
use crate::webhooks::media::{self as pending_media, PendingMedia};
use crate::{Error, Result};
use base64::Engine;
use bytes::Bytes;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use uuid::Uuid;

/// Media looked at per pass.
const BATCH: i64 = 20;
/// Downloads of one pass running at once.
const PARALLEL: usize = 4;
/// The webhook worker offers no wake-up for new media, so an idle downloader looks this often.
const IDLE: Duration = Duration::from_secs(1);
pub const MAX_ATTEMPTS: u32 = 12;
const FIRST_BACKOFF: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(30 * 60);

/// Downloads pending media until the process ends.
pub async fn run(pool: PgPool, secrets: SecretKey, cloud: CloudClient, storage: MediaStorage) {
    let mut retries = Retries::default();
    loop {
        match pass(&pool, &secrets, &cloud, &storage, BATCH, &mut retries, Instant::now()).await {
            Ok(settled) if settled > 0 => continue,
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "media downloader: pass interrupted, retrying shortly"),
        }
        tokio::time::sleep(IDLE).await;
    }
}

/// One pass over up to `limit` pending media; returns how many it settled (stored or failed).
/// Media that failed temporarily stays pending for a later pass.
pub async fn download_pending(
    pool: &PgPool,
    secrets: &SecretKey,
    cloud: &CloudClient,
    storage: &MediaStorage,
    limit: i64,
) -> Result<usize> {
    pass(pool, secrets, cloud, storage, limit, &mut Retries::default(), Instant::now()).await
}

async fn pass(
    pool: &PgPool,
    secrets: &SecretKey,
    cloud: &CloudClient,
    storage: &MediaStorage,
    limit: i64,
    retries: &mut Retries,
    now: Instant,
) -> Result<usize> {
    // Media waiting for its backoff is fetched too, so it cannot hide the media behind it.
    let asked = limit.saturating_add(i64::try_from(retries.len()).unwrap_or(i64::MAX));
    let rows = pending_media::pending(pool, asked).await?;
    if i64::try_from(rows.len()).unwrap_or(i64::MAX) < asked {
        retries.forget_all_but(rows.iter().map(|row| row.id));
    }
    let due = rows.into_iter().filter(|row| retries.due(row.id, now)).take(usize::try_from(limit).unwrap_or(0));
    let mut running = JoinSet::new();
    let mut outcomes = Vec::new();
    for row in due {
        if running.len() >= PARALLEL
            && let Some(done) = running.join_next().await
        {
            outcomes.push(done);
        }
        let (pool, secrets, cloud, storage) = (pool.clone(), secrets.clone(), cloud.clone(), storage.clone());
        running.spawn(async move {
            let outcome = fetch(&pool, &secrets, &cloud, &storage, &row).await;
            (row, outcome)
        });
    }
    while let Some(done) = running.join_next().await {
        outcomes.push(done);
    }
    let mut settled = 0;
    for done in outcomes {
        let (row, outcome) = match done {
            Ok(done) => done,
            Err(error) => {
                tracing::error!(%error, "media download task panicked; the media stays pending");
                continue;
            }
        };
        let reason = match outcome {
            Outcome::Stored => {
                retries.forget(row.id);
                settled += 1;
                continue;
            }
            Outcome::Failed(reason) => reason,
            Outcome::Retry(reason) => match retries.failed(row.id, now) {
                Some(attempts) => {
                    tracing::info!(media = %row.id, meta_media_id = %row.meta_media_id, attempts, %reason,
                        "media download failed, will retry");
                    continue;
                }
                None => format!("{reason} (gave up after {MAX_ATTEMPTS} attempts)"),
            },
        };
        retries.forget(row.id);
        tracing::warn!(media = %row.id, meta_media_id = %row.meta_media_id, %reason, "media download failed");
        pending_media::failed(pool, row.organization_id, row.id, &reason).await?;
        settled += 1;
    }
    Ok(settled)
}

enum Outcome {
    Stored,
    /// Will not get better by trying again; the reason is kept on the media.
    Failed(String),
    Retry(String),
}

async fn fetch(
    pool: &PgPool,
    secrets: &SecretKey,
    cloud: &CloudClient,
    storage: &MediaStorage,
    row: &PendingMedia,
) -> Outcome {
    let account = match channels::account(pool, secrets, row.organization_id, row.channel_id).await {
        Ok(account) => account,
        Err(Error::NotFound) => return Outcome::Failed("the channel no longer exists".into()),
        Err(error) => return Outcome::Retry(format!("channel settings unavailable: {error}")),
    };
    let Some(access_token) = account.access_token else {
        return Outcome::Retry("the channel has no access token".into());
    };
    let graph = GraphAccount { base_url: account.graph_api_base_url, access_token };
    let info = match cloud.media_info(&graph, &row.meta_media_id).await {
        Ok(info) => info,
        Err(error) => return classify(&error),
    };
    let bytes = match cloud.download_media(&graph, &info).await {
        Ok(bytes) => bytes,
        Err(error) => return classify(&error),
    };
    if let Err(reason) = check_sha256(&info, &bytes) {
        // A transfer cut short or altered on the way: fetching again can succeed.
        return Outcome::Retry(reason);
    }
    let key = format!("{}/{}/{}", row.organization_id, row.channel_id, row.id);
    let size = bytes.len() as u64;
    if let Err(error) = storage.put(&key, bytes).await {
        return Outcome::Retry(error.to_string());
    }
    match pending_media::stored(pool, row.organization_id, row.id, &key, size).await {
        Ok(()) => Outcome::Stored,
        // Deleted with its channel meanwhile: nothing left to record.
        Err(Error::NotFound) => Outcome::Stored,
        Err(error) => Outcome::Retry(format!("could not record the stored file: {error}")),
    }
}

/// Errors Meta documents as final fail the media at once; rate limits, an expired token (which an
/// admin can replace) and codes Parley does not know are retried within the attempt budget.
fn classify(error: &CloudError) -> Outcome {
    match error {
        CloudError::Graph(graph) if graph.class() == ErrorClass::Permanent => Outcome::Failed(error.to_string()),
        CloudError::Graph(_) | CloudError::Timeout | CloudError::Unreachable(_) => Outcome::Retry(error.to_string()),
        CloudError::UnexpectedResponse { status, .. } if *status == 429 || *status >= 500 => {
            Outcome::Retry(error.to_string())
        }
        CloudError::UnexpectedResponse { .. } | CloudError::Rejected(_) => Outcome::Failed(error.to_string()),
    }
}

/// Meta gives the file's SHA-256 in hex; base64 is accepted too. A checksum in neither form is
/// not held against the file.
fn check_sha256(info: &MediaInfo, bytes: &Bytes) -> std::result::Result<(), String> {
    let announced = info.sha256.trim();
    let expected = match announced.len() {
        64 => hex::decode(announced).ok(),
        43 | 44 => base64::engine::general_purpose::STANDARD
            .decode(announced)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(announced))
            .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(announced))
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(announced))
            .ok(),
        _ => None,
    };
    match expected.filter(|digest| digest.len() == 32) {
        Some(digest) if digest.as_slice() != Sha256::digest(bytes).as_slice() => {
            Err(format!("media {} does not match its SHA-256 checksum", info.id))
        }
        _ => Ok(()),
    }
}

/// Failed attempts per media, with when the next one may start.
#[derive(Debug, Default)]
struct Retries(HashMap<Uuid, Retry>);

#[derive(Debug, Clone, Copy)]
struct Retry {
    attempts: u32,
    not_before: Instant,
}

impl Retries {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn due(&self, id: Uuid, now: Instant) -> bool {
        self.0.get(&id).is_none_or(|retry| retry.not_before <= now)
    }

    /// Counts a failed attempt: the attempts so far while more are allowed, `None` once spent.
    fn failed(&mut self, id: Uuid, now: Instant) -> Option<u32> {
        let attempts = self.0.get(&id).map_or(0, |retry| retry.attempts) + 1;
        if attempts >= MAX_ATTEMPTS {
            self.0.remove(&id);
            return None;
        }
        let backoff = FIRST_BACKOFF.saturating_mul(1 << (attempts - 1).min(16)).min(MAX_BACKOFF);
        self.0.insert(id, Retry { attempts, not_before: now + backoff });
        Some(attempts)
    }

    fn forget(&mut self, id: Uuid) {
        self.0.remove(&id);
    }

    /// Drops what is no longer pending (stored or deleted elsewhere).
    fn forget_all_but(&mut self, pending: impl IntoIterator<Item = Uuid>) {
        let pending: std::collections::HashSet<Uuid> = pending.into_iter().collect();
        self.0.retain(|id, _| pending.contains(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cloud::GraphError;

    fn info(sha256: &str) -> MediaInfo {
        let (url, mime_type) = ("http://x".into(), "image/png".into());
        MediaInfo { url, mime_type, sha256: sha256.into(), file_size: 5, id: "1".into() }
    }

    #[test]
    fn checksum_is_read_as_hex_or_base64() {
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
        let bytes = Bytes::from_static(b"hello");
        let digest = Sha256::digest(&bytes);
        assert_eq!(check_sha256(&info(&hex::encode(digest)), &bytes), Ok(()));
        assert_eq!(check_sha256(&info(&hex::encode(digest).to_uppercase()), &bytes), Ok(()));
        assert_eq!(check_sha256(&info(&STANDARD.encode(digest)), &bytes), Ok(()));
        assert_eq!(check_sha256(&info(&STANDARD_NO_PAD.encode(digest)), &bytes), Ok(()));
        let other = Bytes::from_static(b"hellO");
        assert!(check_sha256(&info(&hex::encode(digest)), &other).is_err());
        assert!(check_sha256(&info(&STANDARD.encode(digest)), &other).is_err());
        assert_eq!(check_sha256(&info(""), &other), Ok(()), "no checksum announced");
        assert_eq!(check_sha256(&info("not-a-digest"), &other), Ok(()));
    }

    #[test]
    fn attempts_back_off_and_run_out() {
        let (mut retries, id, start) = (Retries::default(), Uuid::now_v7(), Instant::now());
        assert!(retries.due(id, start));
        assert_eq!(retries.failed(id, start), Some(1));
        assert!(!retries.due(id, start + FIRST_BACKOFF - Duration::from_millis(1)));
        assert!(retries.due(id, start + FIRST_BACKOFF));
        assert_eq!(retries.failed(id, start), Some(2));
        assert!(!retries.due(id, start + FIRST_BACKOFF), "the second backoff is longer");
        for expected in 3..MAX_ATTEMPTS {
            assert_eq!(retries.failed(id, start), Some(expected));
        }
        assert!(!retries.due(id, start + MAX_BACKOFF - Duration::from_millis(1)), "backoff capped, not below");
        assert_eq!(retries.failed(id, start), None, "attempt {MAX_ATTEMPTS} gives up");
        assert_eq!(retries.len(), 0);
    }

    #[test]
    fn media_no_longer_pending_is_forgotten() {
        let (mut retries, kept, gone, now) = (Retries::default(), Uuid::now_v7(), Uuid::now_v7(), Instant::now());
        retries.failed(kept, now);
        retries.failed(gone, now);
        retries.forget_all_but([kept]);
        assert_eq!(retries.len(), 1);
        assert!(!retries.due(kept, now));
        assert!(retries.due(gone, now));
    }

    #[test]
    fn only_final_errors_fail_the_media_at_once() {
        let graph = |code| {
            CloudError::Graph(GraphError {
                code,
                subcode: None,
                message: "m".into(),
                error_type: None,
                details: None,
                fbtrace_id: None,
            })
        };
        let fails = |error: CloudError| matches!(classify(&error), Outcome::Failed(_));
        assert!(fails(graph(100)), "unknown media id");
        assert!(!fails(graph(130429)), "rate limited");
        assert!(!fails(graph(190)), "expired token: an admin can replace it");
        assert!(!fails(graph(131052)), "codes Parley does not know get the attempt budget");
        assert!(!fails(CloudError::Timeout));
        assert!(!fails(CloudError::Unreachable("refused".into())));
        assert!(!fails(CloudError::UnexpectedResponse { status: 502, snippet: String::new() }));
        assert!(fails(CloudError::UnexpectedResponse { status: 200, snippet: "too large".into() }));
    }
}
