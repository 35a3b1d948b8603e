//! The demo organization a fresh install starts with: an owner and an agent whose logins `run`
//! prints. Idempotent: an existing demo owner is left as it is.

use parley::auth::register::{Registration, register_owner};
use parley::auth::sessions;
use parley::domain::BuiltInRole;
use parley::mail::Mailer;
use parley::team::{members, roles};
use sqlx::PgPool;

pub struct DemoLogin {
    pub role: &'static str,
    pub email: &'static str,
    pub password: &'static str,
}

pub const DEMO_ORGANIZATION: &str = "Demo Company";
pub const DEMO_OWNER: DemoLogin = DemoLogin { role: "Owner", email: "owner@demo.parley.test", password: "parley-demo-owner" };
pub const DEMO_AGENT: DemoLogin = DemoLogin { role: "Agent", email: "agent@demo.parley.test", password: "parley-demo-agent" };

/// Creates the demo organization unless its owner exists. Returns whether it created anything.
pub async fn demo(pool: &PgPool, public_url: &str) -> parley::Result<bool> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)")
        .bind(DEMO_OWNER.email)
        .fetch_one(pool)
        .await?;
    if exists {
        return Ok(false);
    }
    let token = register_owner(pool, Registration {
        name: "Olivia Owner",
        email: DEMO_OWNER.email,
        password: DEMO_OWNER.password,
        organization_name: DEMO_ORGANIZATION,
    })
    .await?;
    let owner = sessions::resolve(pool, &token.0).await?.ok_or(parley::Error::Unauthenticated)?;
    sessions::end(pool, &token.0).await?;
    let actor = owner.actor()?;
    let agent_role = roles::list(pool, actor)
        .await?
        .into_iter()
        .find(|r| r.built_in == Some(BuiltInRole::Agent))
        .ok_or_else(|| parley::Error::Internal("new organization has no Agent role".into()))?;
    members::add(pool, actor, &Mailer::DevMailbox, public_url, members::NewMember {
        name: "Andre Agent",
        email: DEMO_AGENT.email,
        role: agent_role.id,
        credential: members::Credential::Password(DEMO_AGENT.password),
    })
    .await?;
    Ok(true)
}
