//! Roles: the three built-ins and the organization's custom roles with their permission matrix.

use super::managing;
use crate::db;
use crate::domain::{Actor, BuiltInRole, PermissionSet, RoleId, RoleName};
use crate::error::{OnField, conflict_on_unique};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub id: RoleId,
    pub name: String,
    pub built_in: Option<BuiltInRole>,
    pub permissions: PermissionSet,
    pub member_count: i64,
}

#[derive(sqlx::FromRow)]
struct RoleRow {
    id: RoleId,
    name: String,
    built_in: Option<String>,
    permissions: Vec<String>,
    member_count: i64,
}

const NAME_TAKEN: &str = "A role with this name already exists";

pub async fn list(pool: &PgPool, actor: &Actor) -> Result<Vec<Role>> {
    let mut tx = managing(pool, actor).await?;
    let rows: Vec<RoleRow> = sqlx::query_as(
        "SELECT r.id, r.name, r.built_in, r.permissions,
                (SELECT count(*) FROM memberships m WHERE m.role_id = r.id AND m.organization_id = r.organization_id) AS member_count
         FROM roles r WHERE r.organization_id = $1
         ORDER BY r.built_in IS NULL, array_position(ARRAY['owner','admin','agent'], r.built_in), lower(r.name)",
    )
    .bind(actor.organization_id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.into_iter()
        .map(|row| {
            let built_in = row.built_in.as_deref().and_then(BuiltInRole::parse);
            let permissions = match built_in {
                Some(b) => b.permissions(),
                None => PermissionSet::parse(row.permissions.iter().map(String::as_str))
                    .map_err(|e| Error::Internal(format!("stored role permissions: {e}")))?,
            };
            Ok(Role { id: row.id, name: row.name, built_in, permissions, member_count: row.member_count })
        })
        .collect()
}

/// Parses a role's permissions; a manager who is not an owner may only hand out what they hold.
pub(super) fn grantable_permissions(actor: &Actor, keys: &[String]) -> Result<PermissionSet> {
    let permissions = PermissionSet::parse(keys.iter().map(String::as_str)).on_field("permissions")?;
    if !actor.is_owner() && !permissions.is_subset(&actor.permissions) {
        return Err(Error::invalid("permissions", "You can only grant permissions you hold yourself"));
    }
    Ok(permissions)
}

pub async fn create(pool: &PgPool, actor: &Actor, name: &str, permissions: &[String]) -> Result<RoleId> {
    let mut tx = managing(pool, actor).await?;
    let name = RoleName::parse(name).on_field("name")?;
    let permissions = grantable_permissions(actor, permissions)?;
    let id = RoleId(db::new_id());
    sqlx::query("INSERT INTO roles (id, organization_id, name, permissions) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(actor.organization_id)
        .bind(name.as_str())
        .bind(permissions.keys())
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, NAME_TAKEN))?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update(pool: &PgPool, actor: &Actor, role: RoleId, name: &str, permissions: &[String]) -> Result<()> {
    let mut tx = managing(pool, actor).await?;
    let name = RoleName::parse(name).on_field("name")?;
    let permissions = grantable_permissions(actor, permissions)?;
    let updated = sqlx::query(
        "UPDATE roles SET name = $3, permissions = $4 WHERE id = $1 AND organization_id = $2 AND built_in IS NULL",
    )
    .bind(role)
    .bind(actor.organization_id)
    .bind(name.as_str())
    .bind(permissions.keys())
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict_on_unique(e, NAME_TAKEN))?;
    if updated.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// Deletes a custom role nobody holds. Built-in roles cannot be deleted.
pub async fn delete(pool: &PgPool, actor: &Actor, role: RoleId) -> Result<()> {
    let mut tx = managing(pool, actor).await?;
    let found: Option<(Option<String>, i64)> = sqlx::query_as(
        "SELECT r.built_in, (SELECT count(*) FROM memberships m WHERE m.role_id = r.id AND m.organization_id = r.organization_id)
         FROM roles r WHERE r.id = $1 AND r.organization_id = $2",
    )
    .bind(role)
    .bind(actor.organization_id)
    .fetch_optional(&mut *tx)
    .await?;
    match found {
        None => return Err(Error::NotFound),
        Some((Some(_), _)) => return Err(Error::Conflict("Built-in roles cannot be deleted".into())),
        Some((None, holders)) if holders > 0 => {
            return Err(Error::Conflict(format!(
                "{holders} member(s) hold this role; give them another role first"
            )));
        }
        Some(_) => {}
    }
    sqlx::query("DELETE FROM roles WHERE id = $1 AND organization_id = $2")
        .bind(role)
        .bind(actor.organization_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
