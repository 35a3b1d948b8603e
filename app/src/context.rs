//! What server functions get from the server: shared state, the session cookie, the caller's IP.

use crate::error::AppError;
use axum::extract::ConnectInfo;
use http::header::{COOKIE, SET_COOKIE};
use http::request::Parts;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use parley::auth::sessions::{self, COOKIE_NAME, LIFETIME_DAYS};
use parley::auth::SignedIn;
use parley::domain::{Actor, Permission};
use parley::mail::Mailer;
use parley::cloud::CloudClient;
use parley::media::MediaStorage;
use parley::secrets::SecretKey;
use sqlx::PgPool;
use std::net::SocketAddr;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub mailer: Mailer,
    /// Where people reach this instance; links in emails start with it.
    pub public_url: String,
    pub secure_cookies: bool,
    pub secrets: SecretKey,
    /// One Cloud API client for the process: its connection pool is shared by every request.
    pub cloud: CloudClient,
    /// Media files (inbound attachments): a local directory or an object store.
    pub media: MediaStorage,
}

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

fn parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or(AppError::Internal)
}

/// The session token from the request's cookie, if any.
pub fn session_token() -> Option<String> {
    let parts = use_context::<Parts>()?;
    sessions::token_from_cookies(parts.headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()))
}

/// The signed-in person and their session token, or Unauthenticated.
pub async fn signed_in() -> Result<(AppState, SignedIn, String), AppError> {
    let state = state()?;
    let token = session_token().ok_or_else(|| AppError::Unauthenticated.with_status())?;
    let person = sessions::resolve(&state.pool, &token).await?.ok_or_else(|| AppError::Unauthenticated.with_status())?;
    Ok((state, person, token))
}

/// The signed-in person acting in their current organization.
pub async fn actor() -> Result<(AppState, Actor), AppError> {
    let (state, person, _) = signed_in().await?;
    let actor = person.actor.ok_or_else(|| AppError::Forbidden.with_status())?;
    Ok((state, actor))
}

/// Like [`actor`], refusing unless the role grants `permission`.
pub async fn actor_with(permission: Permission) -> Result<(AppState, Actor), AppError> {
    let (state, actor) = actor().await?;
    parley::auth::authorize(&actor, permission)?;
    Ok((state, actor))
}

pub fn client_ip() -> String {
    parts()
        .ok()
        .and_then(|p| p.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()))
        .unwrap_or_else(|| "unknown".into())
}

pub fn set_session_cookie(state: &AppState, token: &str) {
    let max_age = LIFETIME_DAYS * 24 * 3600;
    write_cookie(state, &format!("{COOKIE_NAME}={token}; Max-Age={max_age}"));
}

pub fn clear_session_cookie(state: &AppState) {
    write_cookie(state, &format!("{COOKIE_NAME}=; Max-Age=0"));
}

fn write_cookie(state: &AppState, cookie: &str) {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let value = format!("{cookie}; Path=/; HttpOnly; SameSite=Lax{secure}");
    if let (Some(response), Ok(value)) = (use_context::<ResponseOptions>(), value.parse()) {
        response.append_header(SET_COOKIE, value);
    }
}
