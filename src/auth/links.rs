//! Single-use account links: "forgot password" (valid 1 hour) and team invitations (7 days).
//! The link carries a random token; the table keeps its hash.

use super::{password, sessions, token};
pub use crate::domain::account::{LinkInfo, LinkPurpose};
use crate::domain::{EmailAddress, NewPassword, UserId};
use crate::error::OnField;
use crate::mail::{Mailer, OutgoingMail};
use crate::{Error, Result};
use chrono::{Duration, Utc};
use sqlx::{PgConnection, PgPool};

/// Issues a link for `user` and returns its full URL.
pub async fn issue(conn: &mut PgConnection, user: UserId, purpose: LinkPurpose, public_url: &str) -> Result<String> {
    let raw = token::generate();
    sqlx::query("INSERT INTO account_links (token_hash, user_id, purpose, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token::digest(&raw))
        .bind(user)
        .bind(purpose.key())
        .bind(Utc::now() + Duration::hours(purpose.lifetime_hours()))
        .execute(conn)
        .await?;
    Ok(format!("{}{}/{raw}", public_url.trim_end_matches('/'), purpose.path()))
}

/// "Forgot password": mails a reset link when the email has an account. The answer is the same
/// either way, so the form does not reveal who has an account.
pub async fn request_reset(pool: &PgPool, mailer: &Mailer, email: &str, public_url: &str) -> Result<()> {
    let email = EmailAddress::parse(email).on_field("email")?;
    let user: Option<(UserId, String)> = sqlx::query_as("SELECT id, name FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(pool)
        .await?;
    let Some((user, name)) = user else { return Ok(()) };
    let mut conn = pool.acquire().await?;
    let link = issue(&mut conn, user, LinkPurpose::Reset, public_url).await?;
    mailer
        .send(pool, OutgoingMail {
            recipient: user,
            to: email.as_str().to_owned(),
            subject: "Reset your Parley password".into(),
            body: format!(
                "Hello {name},\n\nSomeone asked to reset the password of your Parley account. \
                 Open this link within one hour to choose a new one:\n\n{link}\n\n\
                 If it was not you, ignore this email: your password stays as it is."
            ),
        })
        .await
}

const EXPIRED: &str = "This link has expired or was already used. Ask for a new one.";

pub async fn describe(pool: &PgPool, raw: &str) -> Result<LinkInfo> {
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT l.purpose, u.email, u.name FROM account_links l JOIN users u ON u.id = l.user_id
         WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > now()",
    )
    .bind(token::digest(raw))
    .fetch_optional(pool)
    .await?;
    let (purpose, email, name) = row.ok_or_else(|| Error::Conflict(EXPIRED.into()))?;
    let purpose = LinkPurpose::parse(&purpose).ok_or_else(|| Error::Internal(format!("link purpose {purpose:?}")))?;
    Ok(LinkInfo { purpose, email, name })
}

/// Sets the password through a link, once. Every existing session of the person ends.
pub async fn set_password(pool: &PgPool, raw: &str, new_password: &str) -> Result<()> {
    let new_password = NewPassword::parse(new_password).on_field("password")?;
    let hash = password::hash(&new_password).await?;
    let mut tx = pool.begin().await?;
    let user: Option<UserId> = sqlx::query_scalar(
        "UPDATE account_links SET used_at = now()
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
         RETURNING user_id",
    )
    .bind(token::digest(raw))
    .fetch_optional(&mut *tx)
    .await?;
    let user = user.ok_or_else(|| Error::Conflict(EXPIRED.into()))?;
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(user)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    // Other outstanding links of this person stop working too.
    sqlx::query("UPDATE account_links SET used_at = now() WHERE user_id = $1 AND used_at IS NULL")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    // Proving ownership of the mailbox lifts a login lock-out from failed attempts.
    sqlx::query("DELETE FROM login_failures WHERE email = (SELECT email FROM users WHERE id = $1)")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    sessions::end_all(pool, user, None).await
}
