//! Server-side sessions in Postgres. Ending one (logout, deactivation, password change) takes
//! effect on the very next request, on every instance.

use super::token;
use crate::db;
use crate::domain::{Actor, BuiltInRole, Language, OrganizationId, PermissionSet, UserId};
use crate::{Error, Result};
use chrono::{Duration, Utc};
use sqlx::PgPool;

pub const COOKIE_NAME: &str = "parley_session";
pub const LIFETIME_DAYS: i64 = 14;

/// The secret the browser holds in its cookie.
#[derive(Clone)]
pub struct SessionToken(pub String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(..)")
    }
}

/// Everything a request needs to know about who is asking.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub language: Language,
    pub notification_sound: bool,
    /// None when the person has no active membership in the session's organization.
    pub actor: Option<Actor>,
}

impl SignedIn {
    pub fn actor(&self) -> Result<&Actor> {
        self.actor.as_ref().ok_or(Error::Forbidden)
    }
}

pub async fn start(pool: &PgPool, user: UserId, organization: Option<OrganizationId>) -> Result<SessionToken> {
    let token = token::generate();
    sqlx::query("INSERT INTO sessions (token_hash, user_id, organization_id, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token::digest(&token))
        .bind(user)
        .bind(organization)
        .bind(Utc::now() + Duration::days(LIFETIME_DAYS))
        .execute(pool)
        .await?;
    Ok(SessionToken(token))
}

pub async fn end(pool: &PgPool, token: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token::digest(token))
        .execute(pool)
        .await?;
    Ok(())
}

/// Ends every session of a person, or only those inside one organization.
pub async fn end_all(pool: &PgPool, user: UserId, organization: Option<OrganizationId>) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ($2::uuid IS NULL OR organization_id = $2)")
        .bind(user)
        .bind(organization)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn switch_organization(pool: &PgPool, token: &str, organization: OrganizationId) -> Result<()> {
    sqlx::query("UPDATE sessions SET organization_id = $2 WHERE token_hash = $1")
        .bind(token::digest(token))
        .bind(organization)
        .execute(pool)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: UserId,
    organization_id: Option<OrganizationId>,
    name: String,
    email: String,
    language: String,
    notification_sound: bool,
}

#[derive(sqlx::FromRow)]
struct RoleRow {
    built_in: Option<String>,
    permissions: Vec<String>,
}

/// Resolves a cookie token to the person and their role in the session's organization.
pub async fn resolve(pool: &PgPool, token: &str) -> Result<Option<SignedIn>> {
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT s.user_id, s.organization_id, u.name, u.email, u.language, u.notification_sound
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.expires_at > now()",
    )
    .bind(token::digest(token))
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let actor = match row.organization_id {
        Some(org) => actor(pool, row.user_id, org).await?,
        None => None,
    };
    Ok(Some(SignedIn {
        user_id: row.user_id,
        name: row.name,
        email: row.email,
        language: Language::parse(&row.language).unwrap_or_default(),
        notification_sound: row.notification_sound,
        actor,
    }))
}

/// The person's active role in an organization, as an [`Actor`]; None when not an active member.
pub async fn actor(pool: &PgPool, user: UserId, organization: OrganizationId) -> Result<Option<Actor>> {
    let mut tx = db::scoped(pool, Some(organization), Some(user)).await?;
    let role: Option<RoleRow> = sqlx::query_as(
        "SELECT r.built_in, r.permissions FROM memberships m
         JOIN roles r ON r.id = m.role_id AND r.organization_id = m.organization_id
         WHERE m.organization_id = $1 AND m.user_id = $2 AND m.active",
    )
    .bind(organization)
    .bind(user)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let Some(role) = role else { return Ok(None) };
    let built_in_role = role.built_in.as_deref().and_then(BuiltInRole::parse);
    // Built-in roles always carry their current permission set, so a new permission reaches
    // every existing Owner and Admin without a data migration.
    let permissions = match built_in_role {
        Some(r) => r.permissions(),
        None => PermissionSet::parse(role.permissions.iter().map(String::as_str))
            .map_err(|e| Error::Internal(format!("stored role permissions: {e}")))?,
    };
    Ok(Some(Actor { user_id: user, organization_id: organization, built_in_role, permissions }))
}

/// Ends every session of the person except the one holding `keep`.
pub async fn end_others(pool: &PgPool, user: UserId, keep: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user)
        .bind(token::digest(keep))
        .execute(pool)
        .await?;
    Ok(())
}

/// The session token among the values of a request's `Cookie` headers.
pub fn token_from_cookies<'a>(cookie_headers: impl IntoIterator<Item = &'a str>) -> Option<String> {
    cookie_headers
        .into_iter()
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE_NAME && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_cookie_among_others() {
        assert_eq!(token_from_cookies(["a=1; parley_session=abc; b=2"]), Some("abc".into()));
        assert_eq!(token_from_cookies(["a=1", "parley_session=xyz"]), Some("xyz".into()));
        assert_eq!(token_from_cookies(["parley_session="]), None);
        assert_eq!(token_from_cookies(["other=1"]), None);
    }
}
