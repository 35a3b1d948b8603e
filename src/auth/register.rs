//! Registering as an owner: the person, their first organization, and a session, in one go.

use super::{SessionToken, password, sessions};
use crate::db;
use crate::domain::{EmailAddress, NewPassword, OrganizationId, OrganizationName, PersonName, UserId};
use crate::error::OnField;
use crate::orgs;
use crate::{Error, Result};
use sqlx::PgPool;

pub struct Registration<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub organization_name: &'a str,
}

pub const EMAIL_TAKEN: &str = "An account with this email already exists. Log in instead.";

pub async fn register_owner(pool: &PgPool, form: Registration<'_>) -> Result<SessionToken> {
    let name = PersonName::parse(form.name).on_field("name")?;
    let email = EmailAddress::parse(form.email).on_field("email")?;
    let password = NewPassword::parse(form.password).on_field("password")?;
    let organization_name = OrganizationName::parse(form.organization_name).on_field("organization_name")?;
    let password_hash = password::hash(&password).await?;

    let user = UserId(db::new_id());
    let organization = OrganizationId(db::new_id());
    let mut tx = db::scoped(pool, Some(organization), Some(user)).await?;
    // The first account of an instance operates it (reads the dev mailbox).
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, instance_owner)
         VALUES ($1, $2, $3, $4, NOT EXISTS (SELECT 1 FROM users))",
    )
        .bind(user)
        .bind(email.as_str())
        .bind(name.as_str())
        .bind(&password_hash)
        .execute(&mut *tx)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(db) if db.is_unique_violation() => Error::invalid("email", EMAIL_TAKEN),
            other => other.into(),
        })?;
    orgs::create_with_owner(&mut tx, organization, &organization_name, user).await?;
    tx.commit().await?;
    sessions::start(pool, user, Some(organization)).await
}
