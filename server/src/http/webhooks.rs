//! `/webhooks/whatsapp/{key}`: Meta's deliveries for the channel whose callback URL ends in `key`.
//! The engine's receiver checks and stores; this only maps its answers to the statuses Meta acts
//! on (a non-2xx makes Meta retry for days, so only a real outage answers 5xx).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use parley::webhooks::signature::{self, SignatureError};
use parley::webhooks::{Receiver, Refusal};
use serde::Deserialize;

/// Meta's deliveries weigh a few kilobytes; nothing this large is one.
pub const BODY_LIMIT: usize = 3 * 1024 * 1024;

#[derive(Deserialize)]
pub struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

pub async fn verify(Extension(receiver): Extension<Receiver>, Path(key): Path<String>, Query(h): Query<Handshake>) -> Response {
    match receiver.verify(&key, h.mode.as_deref(), h.verify_token.as_deref(), h.challenge.as_deref()).await {
        Ok(challenge) => (StatusCode::OK, challenge).into_response(),
        Err(refusal) => refused(refusal),
    }
}

pub async fn receive(Extension(receiver): Extension<Receiver>, Path(key): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers.get(signature::HEADER).and_then(|v| v.to_str().ok());
    match receiver.receive(&key, signature, body).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(refusal) => refused(refusal),
    }
}

fn refused(refusal: Refusal) -> Response {
    let status = match &refusal {
        Refusal::UnknownChannel => StatusCode::NOT_FOUND,
        Refusal::Signature(SignatureError::Missing) => StatusCode::UNAUTHORIZED,
        Refusal::WrongVerifyToken | Refusal::NoAppSecret | Refusal::Signature(SignatureError::Invalid) => StatusCode::FORBIDDEN,
        Refusal::NotJson => StatusCode::BAD_REQUEST,
        Refusal::Unavailable(error) => {
            tracing::error!(%error, "webhook delivery not stored");
            return (StatusCode::SERVICE_UNAVAILABLE, "Temporarily unable to store the delivery").into_response();
        }
    };
    (status, refusal.to_string()).into_response()
}
