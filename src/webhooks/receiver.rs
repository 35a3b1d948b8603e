//! The webhook receiver behind `/webhooks/whatsapp/{key}`: finds the channel of a callback URL's
//! key (briefly cached, so a burst of deliveries costs no lookup each), answers Meta's verification
//! handshake, checks signatures and hands signed payloads to the [`Ingestor`].

use super::ingest::Ingestor;
use super::signature::{self, SignatureError};
use crate::channels::{self, WebhookChannel};
use crate::secrets::SecretKey;
use crate::{Error, Result};
use bytes::Bytes;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// How long a channel's key, organization and app secret are trusted from memory: a changed app
/// secret or a deleted channel takes effect within this delay.
const FOUND_TTL: Duration = Duration::from_secs(30);
/// Unknown keys are remembered for less long, so a channel just created starts receiving quickly.
const MISSING_TTL: Duration = Duration::from_secs(5);
/// Beyond this many cached keys (a flood of made-up keys), lookups go to the database uncached.
const CACHE_CAPACITY: usize = 10_000;

/// Why a delivery or a handshake is refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("no channel has this webhook key")]
    UnknownChannel,
    #[error("the verify token does not match the channel's")]
    WrongVerifyToken,
    #[error("the channel has no app secret yet, so no delivery can be authenticated")]
    NoAppSecret,
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error("the body is not a JSON document")]
    NotJson,
    #[error(transparent)]
    Unavailable(#[from] Error),
}

#[derive(Clone)]
pub struct Receiver {
    pool: PgPool,
    secrets: SecretKey,
    cache: Arc<Mutex<HashMap<String, Cached>>>,
    ingestor: Ingestor,
}

struct Cached {
    channel: Option<WebhookChannel>,
    until: Instant,
}

impl Receiver {
    /// Starts the receiver's ingest task; call from within the Tokio runtime.
    pub fn start(pool: PgPool, secrets: SecretKey) -> Self {
        let ingestor = Ingestor::start(pool.clone());
        Self { pool, secrets, cache: Arc::default(), ingestor }
    }

    /// Meta's verification handshake: the challenge to echo when the token is the channel's.
    pub async fn verify(&self, key: &str, mode: Option<&str>, token: Option<&str>, challenge: Option<&str>) -> Result<String, Refusal> {
        let channel = self.channel(key).await?.ok_or(Refusal::UnknownChannel)?;
        let token_matches = token.is_some_and(|t| bool::from(t.as_bytes().ct_eq(channel.verify_token.as_bytes())));
        match (mode, challenge) {
            (Some("subscribe"), Some(challenge)) if token_matches => Ok(challenge.to_owned()),
            _ => Err(Refusal::WrongVerifyToken),
        }
    }

    /// Checks a delivery's signature and returns once its payload is committed.
    pub async fn receive(&self, key: &str, signature_header: Option<&str>, body: Bytes) -> Result<(), Refusal> {
        let channel = self.channel(key).await?.ok_or(Refusal::UnknownChannel)?;
        let app_secret = channel.app_secret.as_deref().ok_or(Refusal::NoAppSecret)?;
        signature::verify(app_secret, signature_header, &body)?;
        self.ingestor.accept(channel.organization_id, channel.channel_id, body).await.map_err(|e| match e {
            Error::Invalid { .. } => Refusal::NotJson,
            other => Refusal::Unavailable(other),
        })
    }

    async fn channel(&self, key: &str) -> Result<Option<WebhookChannel>> {
        let now = Instant::now();
        if let Some(hit) = self.lock_cache().get(key).filter(|c| c.until > now) {
            return Ok(hit.channel.clone());
        }
        let channel = channels::webhook_channel(&self.pool, &self.secrets, key).await?;
        let until = now + if channel.is_some() { FOUND_TTL } else { MISSING_TTL };
        let mut cache = self.lock_cache();
        if cache.len() >= CACHE_CAPACITY {
            cache.retain(|_, c| c.until > now);
        }
        if cache.len() < CACHE_CAPACITY {
            cache.insert(key.to_owned(), Cached { channel: channel.clone(), until });
        }
        Ok(channel)
    }

    /// The cache holds no invariant a panicking holder could break, so a poisoned lock is used as is.
    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
