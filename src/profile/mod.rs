//! A person's own settings: name, password, language, notification sound.

use crate::auth::{password, sessions};
use crate::domain::{Language, NewPassword, PersonName, UserId};
use crate::error::OnField;
use crate::{Error, Result};
use sqlx::PgPool;

pub struct ProfileForm<'a> {
    pub name: &'a str,
    pub language: &'a str,
    pub notification_sound: bool,
}

pub async fn update(pool: &PgPool, user: UserId, form: ProfileForm<'_>) -> Result<()> {
    let name = PersonName::parse(form.name).on_field("name")?;
    let language = Language::parse(form.language).on_field("language")?;
    sqlx::query("UPDATE users SET name = $2, language = $3, notification_sound = $4 WHERE id = $1")
        .bind(user)
        .bind(name.as_str())
        .bind(language.code())
        .bind(form.notification_sound)
        .execute(pool)
        .await?;
    Ok(())
}

/// Changes the password after checking the current one. Every other session of the person ends,
/// so a stolen session does not outlive the change; the current one stays.
pub async fn change_password(
    pool: &PgPool,
    user: UserId,
    current_session_token: &str,
    current: &str,
    new: &str,
) -> Result<()> {
    let stored: Option<String> = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(user)
        .fetch_one(pool)
        .await?;
    if !password::verify(current, stored).await? {
        return Err(Error::invalid("current_password", "The current password is not correct"));
    }
    let new = NewPassword::parse(new).on_field("new_password")?;
    let hash = password::hash(&new).await?;
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(user)
        .bind(hash)
        .execute(pool)
        .await?;
    sessions::end_others(pool, user, current_session_token).await
}

