//! The people of an organization: members and their roles, custom roles, and teams.

pub mod members;
pub mod roles;
pub mod teams;

use crate::auth::authorize;
use crate::db;
use crate::domain::{Actor, Permission};
use crate::Result;
use sqlx::{PgPool, Postgres, Transaction};

/// A transaction scoped to the actor's organization, opened only if they may manage the team.
async fn managing(pool: &PgPool, actor: &Actor) -> Result<Transaction<'static, Postgres>> {
    authorize(actor, Permission::TeamManage)?;
    Ok(db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?)
}
