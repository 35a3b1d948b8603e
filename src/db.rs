//! Postgres: the pool the app uses, migrations, and tenant-scoped transactions.

use crate::domain::{OrganizationId, UserId};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool, Postgres, Transaction};
use std::time::Duration;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Runs the migrations as the connecting (owner) role.
pub async fn migrate(options: PgConnectOptions) -> Result<(), sqlx::Error> {
    let pool = PgPoolOptions::new().max_connections(1).connect_with(options).await?;
    MIGRATOR.run(&pool).await?;
    pool.close().await;
    Ok(())
}

/// The application's pool. Every connection switches to `parley_app`, a role that does not bypass
/// row-level security, so the policies hold whatever the connecting user is.
pub async fn connect(options: PgConnectOptions, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("SET ROLE parley_app").await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await
}

/// Opens a transaction whose row-level security scope is this organization and person.
pub async fn scoped(
    pool: &PgPool,
    organization: Option<OrganizationId>,
    user: Option<UserId>,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('parley.org_id', $1, true), set_config('parley.user_id', $2, true)")
        .bind(organization.map(|o| o.to_string()).unwrap_or_default())
        .bind(user.map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// A new time-ordered id.
pub fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}
