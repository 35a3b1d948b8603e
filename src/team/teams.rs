//! Teams ("Sales", "Support"): named groups of members.

use super::managing;
use crate::db;
use crate::domain::{Actor, TeamId, TeamName, UserId};
use crate::error::{OnField, conflict_on_unique};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    /// (member, name), by name.
    pub members: Vec<(UserId, String)>,
}

#[derive(sqlx::FromRow)]
struct TeamRow {
    id: TeamId,
    name: String,
    member_ids: Vec<uuid::Uuid>,
    member_names: Vec<String>,
}

const NAME_TAKEN: &str = "A team with this name already exists";

pub async fn list(pool: &PgPool, actor: &Actor) -> Result<Vec<Team>> {
    let mut tx = managing(pool, actor).await?;
    let rows: Vec<TeamRow> = sqlx::query_as(
        "SELECT t.id, t.name,
                coalesce(array_agg(u.id ORDER BY lower(u.name)) FILTER (WHERE u.id IS NOT NULL), '{}') AS member_ids,
                coalesce(array_agg(u.name ORDER BY lower(u.name)) FILTER (WHERE u.id IS NOT NULL), '{}') AS member_names
         FROM teams t
         LEFT JOIN team_members tm ON tm.team_id = t.id
         LEFT JOIN users u ON u.id = tm.user_id
         WHERE t.organization_id = $1
         GROUP BY t.id ORDER BY lower(t.name)",
    )
    .bind(actor.organization_id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| Team { id: r.id, name: r.name, members: r.member_ids.into_iter().map(UserId).zip(r.member_names).collect() })
        .collect())
}

pub async fn create(pool: &PgPool, actor: &Actor, name: &str) -> Result<TeamId> {
    let name = TeamName::parse(name).on_field("name")?;
    let mut tx = managing(pool, actor).await?;
    let id = TeamId(db::new_id());
    sqlx::query("INSERT INTO teams (id, organization_id, name) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(actor.organization_id)
        .bind(name.as_str())
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, NAME_TAKEN))?;
    tx.commit().await?;
    Ok(id)
}

pub async fn rename(pool: &PgPool, actor: &Actor, team: TeamId, name: &str) -> Result<()> {
    let name = TeamName::parse(name).on_field("name")?;
    let mut tx = managing(pool, actor).await?;
    let updated = sqlx::query("UPDATE teams SET name = $3 WHERE id = $1 AND organization_id = $2")
        .bind(team)
        .bind(actor.organization_id)
        .bind(name.as_str())
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, NAME_TAKEN))?;
    if updated.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

pub async fn delete(pool: &PgPool, actor: &Actor, team: TeamId) -> Result<()> {
    let mut tx = managing(pool, actor).await?;
    let deleted = sqlx::query("DELETE FROM teams WHERE id = $1 AND organization_id = $2")
        .bind(team)
        .bind(actor.organization_id)
        .execute(&mut *tx)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

pub async fn add_member(pool: &PgPool, actor: &Actor, team: TeamId, user: UserId) -> Result<()> {
    let mut tx = managing(pool, actor).await?;
    // Both the team and the member must be of this organization; the composite foreign keys
    // refuse anything else, and that refusal reads as "not found".
    let inserted = sqlx::query(
        "INSERT INTO team_members (organization_id, team_id, user_id)
         SELECT $1, t.id, m.user_id FROM teams t JOIN memberships m ON m.organization_id = t.organization_id
         WHERE t.id = $2 AND t.organization_id = $1 AND m.user_id = $3
         ON CONFLICT DO NOTHING",
    )
    .bind(actor.organization_id)
    .bind(team)
    .bind(user)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        let exists: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM team_members WHERE organization_id = $1 AND team_id = $2 AND user_id = $3)",
        )
        .bind(actor.organization_id)
        .bind(team)
        .bind(user)
        .fetch_one(&mut *tx)
        .await?;
        if !exists {
            return Err(Error::NotFound);
        }
    }
    tx.commit().await?;
    Ok(())
}

pub async fn remove_member(pool: &PgPool, actor: &Actor, team: TeamId, user: UserId) -> Result<()> {
    let mut tx = managing(pool, actor).await?;
    let deleted = sqlx::query("DELETE FROM team_members WHERE organization_id = $1 AND team_id = $2 AND user_id = $3")
        .bind(actor.organization_id)
        .bind(team)
        .bind(user)
        .execute(&mut *tx)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    Ok(())
}
