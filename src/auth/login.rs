//! Signing in through one of the two tabs, with failed attempts rate-limited per email and per IP
//! (kept in Postgres, so the limit holds across instances).

use super::{SessionToken, password, sessions};
use crate::db;
use crate::domain::{BuiltInRole, EmailAddress, LoginTab, OrganizationId, UserId};
use crate::error::OnField;
use crate::{Error, Result};
use sqlx::PgPool;

/// Failures allowed in [`WINDOW_SECS`] before the email, or the address, must wait.
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
pub const MAX_FAILURES_PER_IP: i64 = 30;
pub const WINDOW_SECS: i64 = 15 * 60;

pub struct LoginAttempt<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub tab: LoginTab,
    pub ip: &'a str,
}

#[derive(sqlx::FromRow)]
struct Account {
    id: UserId,
    password_hash: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Door {
    organization_id: OrganizationId,
    built_in: Option<String>,
}

pub async fn login(pool: &PgPool, attempt: LoginAttempt<'_>) -> Result<SessionToken> {
    let email = EmailAddress::parse(attempt.email).on_field("email")?;
    if attempt.password.is_empty() {
        return Err(Error::invalid("password", "Password is required"));
    }
    wait_if_limited(pool, email.as_str(), attempt.ip).await?;

    let account: Option<Account> = sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(pool)
        .await?;
    let (user, stored) = match account {
        Some(a) => (Some(a.id), a.password_hash),
        None => (None, None),
    };
    let verified = password::verify(attempt.password, stored).await?;
    let Some(user) = user.filter(|_| verified) else {
        record_failure(pool, email.as_str(), attempt.ip).await?;
        return Err(Error::BadCredentials);
    };

    let doors = active_memberships(pool, user).await?;
    if doors.is_empty() {
        return Err(Error::Deactivated);
    }
    let through_this_tab = doors.iter().find(|d| {
        BuiltInRole::login_tab(d.built_in.as_deref().and_then(BuiltInRole::parse)) == attempt.tab
    });
    let Some(door) = through_this_tab else {
        return Err(Error::WrongLoginTab { use_tab: attempt.tab.other() });
    };
    sqlx::query("DELETE FROM login_failures WHERE email = $1")
        .bind(email.as_str())
        .execute(pool)
        .await?;
    sessions::start(pool, user, Some(door.organization_id)).await
}

async fn active_memberships(pool: &PgPool, user: UserId) -> Result<Vec<Door>> {
    let mut tx = db::scoped(pool, None, Some(user)).await?;
    let doors = sqlx::query_as(
        "SELECT m.organization_id, r.built_in FROM memberships m
         JOIN roles r ON r.id = m.role_id
         WHERE m.user_id = $1 AND m.active ORDER BY m.created_at",
    )
    .bind(user)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(doors)
}

async fn wait_if_limited(pool: &PgPool, email: &str, ip: &str) -> Result<()> {
    let (email_failures, email_oldest, ip_failures, ip_oldest): (i64, Option<f64>, i64, Option<f64>) = sqlx::query_as(
        "SELECT
            count(*) FILTER (WHERE email = $1),
            max(extract(epoch FROM now() - failed_at)::float8) FILTER (WHERE email = $1),
            count(*) FILTER (WHERE ip = $2),
            max(extract(epoch FROM now() - failed_at)::float8) FILTER (WHERE ip = $2)
         FROM login_failures
         WHERE (email = $1 OR ip = $2) AND failed_at > now() - make_interval(secs => $3)",
    )
    .bind(email)
    .bind(ip)
    .bind(WINDOW_SECS as f64)
    .fetch_one(pool)
    .await?;
    // Attempts are allowed again once the oldest failure in the window ages out of it.
    let retry = |age_of_oldest: Option<f64>| {
        let age = age_of_oldest.unwrap_or(0.0).max(0.0);
        ((WINDOW_SECS as f64 - age).ceil() as u64).max(1)
    };
    if email_failures >= MAX_FAILURES_PER_EMAIL {
        return Err(Error::RateLimited { retry_after_secs: retry(email_oldest) });
    }
    if ip_failures >= MAX_FAILURES_PER_IP {
        return Err(Error::RateLimited { retry_after_secs: retry(ip_oldest) });
    }
    Ok(())
}

async fn record_failure(pool: &PgPool, email: &str, ip: &str) -> Result<()> {
    sqlx::query("INSERT INTO login_failures (email, ip) VALUES ($1, $2)")
        .bind(email)
        .bind(ip)
        .execute(pool)
        .await?;
    Ok(())
}
