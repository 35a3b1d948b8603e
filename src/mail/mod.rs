//! Outgoing email: through SMTP when configured, otherwise into the dev mailbox (a page owners can
//! open), so account flows work on a machine with no mail server.

use crate::db;
use crate::domain::UserId;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

pub struct OutgoingMail {
    pub recipient: UserId,
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Clone)]
pub enum Mailer {
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox },
    DevMailbox,
}

impl Mailer {
    /// `smtp_url` is lettre's form, e.g. `smtps://user:pass@smtp.example.com` or
    /// `smtp://smtp.example.com:587?tls=required`.
    pub fn from_config(smtp_url: Option<&str>, from: &str) -> Result<Self> {
        let Some(url) = smtp_url.filter(|u| !u.trim().is_empty()) else {
            return Ok(Mailer::DevMailbox);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| Error::Internal(format!("PARLEY_SMTP_URL: {e}")))?
            .build();
        let from = from.parse().map_err(|e| Error::Internal(format!("PARLEY_MAIL_FROM: {e}")))?;
        Ok(Mailer::Smtp { transport, from })
    }

    pub fn is_dev_mailbox(&self) -> bool {
        matches!(self, Mailer::DevMailbox)
    }

    pub async fn send(&self, pool: &PgPool, mail: OutgoingMail) -> Result<()> {
        match self {
            Mailer::Smtp { transport, from } => {
                let to: Mailbox = mail.to.parse().map_err(|e| Error::Internal(format!("recipient: {e}")))?;
                let message = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(mail.subject)
                    .body(mail.body)
                    .map_err(|e| Error::Internal(format!("building mail: {e}")))?;
                transport
                    .send(message)
                    .await
                    .map_err(|e| Error::Internal(format!("SMTP: {e}")))?;
            }
            Mailer::DevMailbox => {
                sqlx::query(
                    "INSERT INTO dev_mailbox (id, recipient_user_id, to_address, subject, body) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(db::new_id())
                .bind(mail.recipient)
                .bind(&mail.to)
                .bind(&mail.subject)
                .bind(&mail.body)
                .execute(pool)
                .await?;
                tracing::info!(to = %mail.to, subject = %mail.subject, "mail written to the dev mailbox");
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow)]
pub struct DevMail {
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// The dev mailbox, for the instance's owners only: it holds every mail the instance would have
/// sent, password resets included, so no organization's owner may read it.
pub async fn dev_mailbox(pool: &PgPool, user: UserId) -> Result<Vec<DevMail>> {
    if !is_instance_owner(pool, user).await? {
        return Err(Error::Forbidden);
    }
    let mails = sqlx::query_as(
        "SELECT to_address, subject, body, created_at FROM dev_mailbox ORDER BY created_at DESC, id DESC LIMIT 200",
    )
    .fetch_all(pool)
    .await?;
    Ok(mails)
}

pub async fn is_instance_owner(pool: &PgPool, user: UserId) -> Result<bool> {
    let owner: Option<bool> = sqlx::query_scalar("SELECT instance_owner FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(pool)
        .await?;
    Ok(owner.unwrap_or(false))
}
