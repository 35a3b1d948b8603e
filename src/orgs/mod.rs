//! Organizations: creating one (its creator becomes Owner), settings, logo, and switching.

use crate::auth::{authorize, sessions};
use crate::db;
use crate::domain::{
    Actor, BuiltInRole, LogoImage, OrganizationDescription, OrganizationId, OrganizationName, Permission,
    RoleId, UserId, WebsiteUrl,
};
use crate::error::OnField;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};

/// Creates an organization with its three built-in roles and `owner` as its Owner. The caller's
/// transaction must be scoped to `organization`.
pub async fn create_with_owner(
    conn: &mut PgConnection,
    organization: OrganizationId,
    name: &OrganizationName,
    owner: UserId,
) -> Result<()> {
    sqlx::query("INSERT INTO organizations (id, name) VALUES ($1, $2)")
        .bind(organization)
        .bind(name.as_str())
        .execute(&mut *conn)
        .await?;
    let mut owner_role = None;
    for role in BuiltInRole::ALL {
        let id = RoleId(db::new_id());
        sqlx::query("INSERT INTO roles (id, organization_id, name, built_in, permissions) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(organization)
            .bind(role.name())
            .bind(role.key())
            .bind(role.permissions().keys())
            .execute(&mut *conn)
            .await?;
        if role == BuiltInRole::Owner {
            owner_role = Some(id);
        }
    }
    sqlx::query("INSERT INTO memberships (organization_id, user_id, role_id) VALUES ($1, $2, $3)")
        .bind(organization)
        .bind(owner)
        .bind(owner_role)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// "Create a new organization" from the switcher: the person becomes its Owner and the session
/// moves into it.
pub async fn create(pool: &PgPool, user: UserId, session_token: &str, name: &str) -> Result<OrganizationId> {
    let name = OrganizationName::parse(name).on_field("name")?;
    let organization = OrganizationId(db::new_id());
    let mut tx = db::scoped(pool, Some(organization), Some(user)).await?;
    create_with_owner(&mut tx, organization, &name, user).await?;
    tx.commit().await?;
    sessions::switch_organization(pool, session_token, organization).await?;
    Ok(organization)
}

/// An organization the person belongs to, as the switcher lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Membership {
    pub organization_id: OrganizationId,
    pub name: String,
    pub role_name: String,
}

pub async fn memberships(pool: &PgPool, user: UserId) -> Result<Vec<Membership>> {
    let mut tx = db::scoped(pool, None, Some(user)).await?;
    let list = sqlx::query_as(
        "SELECT o.id AS organization_id, o.name, r.name AS role_name
         FROM memberships m
         JOIN organizations o ON o.id = m.organization_id
         JOIN roles r ON r.id = m.role_id
         WHERE m.user_id = $1 AND m.active
         ORDER BY lower(o.name), o.id",
    )
    .bind(user)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(list)
}

/// Moves the session into another organization the person is an active member of.
pub async fn switch(pool: &PgPool, user: UserId, session_token: &str, organization: OrganizationId) -> Result<()> {
    if sessions::actor(pool, user, organization).await?.is_none() {
        return Err(Error::NotFound);
    }
    sessions::switch_organization(pool, session_token, organization).await
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct OrganizationProfile {
    pub id: OrganizationId,
    pub name: String,
    pub description: String,
    pub website_url: Option<String>,
    pub has_logo: bool,
}

/// The current organization as any member sees it (the shell shows its name and logo).
pub async fn profile(pool: &PgPool, actor: &Actor) -> Result<OrganizationProfile> {
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    let org = sqlx::query_as(
        "SELECT o.id, o.name, o.description, o.website_url,
                EXISTS (SELECT 1 FROM organization_logos l WHERE l.organization_id = o.id) AS has_logo
         FROM organizations o WHERE o.id = $1",
    )
    .bind(actor.organization_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(org)
}

pub struct SettingsForm<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub website_url: &'a str,
}

pub async fn update_settings(pool: &PgPool, actor: &Actor, form: SettingsForm<'_>) -> Result<()> {
    authorize(actor, Permission::SettingsOrganization)?;
    let name = OrganizationName::parse(form.name).on_field("name")?;
    let description = OrganizationDescription::parse(form.description).on_field("description")?;
    let website = WebsiteUrl::parse_optional(form.website_url).on_field("website_url")?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    sqlx::query("UPDATE organizations SET name = $2, description = $3, website_url = $4 WHERE id = $1")
        .bind(actor.organization_id)
        .bind(name.as_str())
        .bind(description.as_str())
        .bind(website.as_ref().map(WebsiteUrl::as_str))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_logo(pool: &PgPool, actor: &Actor, bytes: Vec<u8>) -> Result<()> {
    authorize(actor, Permission::SettingsOrganization)?;
    let logo = LogoImage::parse(bytes).on_field("logo")?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    sqlx::query(
        "INSERT INTO organization_logos (organization_id, content_type, bytes) VALUES ($1, $2, $3)
         ON CONFLICT (organization_id) DO UPDATE SET content_type = $2, bytes = $3, updated_at = now()",
    )
    .bind(actor.organization_id)
    .bind(logo.content_type())
    .bind(logo.bytes())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_logo(pool: &PgPool, actor: &Actor) -> Result<()> {
    authorize(actor, Permission::SettingsOrganization)?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    sqlx::query("DELETE FROM organization_logos WHERE organization_id = $1")
        .bind(actor.organization_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The logo of an organization the person belongs to: (content type, bytes).
pub async fn logo(pool: &PgPool, user: UserId, organization: OrganizationId) -> Result<(String, Vec<u8>)> {
    let mut tx = db::scoped(pool, Some(organization), Some(user)).await?;
    let logo = sqlx::query_as(
        "SELECT l.content_type, l.bytes FROM organization_logos l
         JOIN memberships m ON m.organization_id = l.organization_id AND m.user_id = $2 AND m.active
         WHERE l.organization_id = $1",
    )
    .bind(organization)
    .bind(user)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(logo)
}
