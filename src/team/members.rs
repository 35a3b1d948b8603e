//! Members: creating agent accounts (with a password or an invite link), editing their name and
//! role, deactivating (their sessions end at once) and removing them.

use super::managing;
use crate::auth::links::{self, LinkPurpose};
use crate::auth::{password, sessions};
use crate::db;
use crate::domain::{Actor, BuiltInRole, EmailAddress, NewPassword, PermissionSet, PersonName, RoleId, TeamId, UserId};
use crate::error::OnField;
use crate::mail::{Mailer, OutgoingMail};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub role_id: RoleId,
    pub role_name: String,
    pub built_in: Option<BuiltInRole>,
    pub active: bool,
    /// False for an invited person who has not opened their link yet.
    pub has_password: bool,
    pub teams: Vec<(TeamId, String)>,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    user_id: UserId,
    name: String,
    email: String,
    role_id: RoleId,
    role_name: String,
    built_in: Option<String>,
    active: bool,
    has_password: bool,
    team_ids: Vec<uuid::Uuid>,
    team_names: Vec<String>,
}

pub async fn list(pool: &PgPool, actor: &Actor) -> Result<Vec<Member>> {
    let mut tx = managing(pool, actor).await?;
    let rows: Vec<MemberRow> = sqlx::query_as(
        "SELECT u.id AS user_id, u.name, u.email, r.id AS role_id, r.name AS role_name, r.built_in, m.active,
                u.password_hash IS NOT NULL AS has_password,
                coalesce(array_agg(t.id ORDER BY lower(t.name)) FILTER (WHERE t.id IS NOT NULL), '{}') AS team_ids,
                coalesce(array_agg(t.name ORDER BY lower(t.name)) FILTER (WHERE t.id IS NOT NULL), '{}') AS team_names
         FROM memberships m
         JOIN users u ON u.id = m.user_id
         JOIN roles r ON r.id = m.role_id
         LEFT JOIN team_members tm ON tm.user_id = m.user_id AND tm.organization_id = m.organization_id
         LEFT JOIN teams t ON t.id = tm.team_id
         WHERE m.organization_id = $1
         GROUP BY u.id, r.id, m.active, m.created_at
         ORDER BY m.active DESC, lower(u.name), u.id",
    )
    .bind(actor.organization_id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| Member {
            user_id: r.user_id,
            name: r.name,
            email: r.email,
            role_id: r.role_id,
            role_name: r.role_name,
            built_in: r.built_in.as_deref().and_then(BuiltInRole::parse),
            active: r.active,
            has_password: r.has_password,
            teams: r.team_ids.into_iter().map(TeamId).zip(r.team_names).collect(),
        })
        .collect())
}

/// How a new member gets in.
pub enum Credential<'a> {
    /// The admin sets an initial password and hands it over.
    Password(&'a str),
    /// Parley mails a link (valid 7 days) where the person chooses their own password.
    InviteLink,
}

pub struct NewMember<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub role: RoleId,
    pub credential: Credential<'a>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Added {
    /// A new account was created; with an invite link when that was asked for.
    Created { user_id: UserId, invite_link: Option<String> },
    /// The email already had a Parley account (in another organization); it was added here with
    /// its existing password.
    ExistingAccount { user_id: UserId },
}

pub async fn add(
    pool: &PgPool,
    actor: &Actor,
    mailer: &Mailer,
    public_url: &str,
    form: NewMember<'_>,
) -> Result<Added> {
    let name = PersonName::parse(form.name).on_field("name")?;
    let email = EmailAddress::parse(form.email).on_field("email")?;
    let initial_password = match form.credential {
        Credential::Password(raw) => Some(NewPassword::parse(raw).on_field("password")?),
        Credential::InviteLink => None,
    };
    let password_hash = match &initial_password {
        Some(p) => Some(password::hash(p).await?),
        None => None,
    };

    let mut tx = managing(pool, actor).await?;
    role_grantable(&mut tx, actor, form.role).await?;
    let existing: Option<UserId> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    let (user, added) = match existing {
        Some(user) => (user, Added::ExistingAccount { user_id: user }),
        None => {
            let user = UserId(db::new_id());
            sqlx::query("INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, $4)")
                .bind(user)
                .bind(email.as_str())
                .bind(name.as_str())
                .bind(&password_hash)
                .execute(&mut *tx)
                .await?;
            let invite_link = match password_hash {
                Some(_) => None,
                None => Some(links::issue(&mut tx, user, LinkPurpose::Invite, public_url).await?),
            };
            (user, Added::Created { user_id: user, invite_link })
        }
    };
    let inserted = sqlx::query(
        "INSERT INTO memberships (organization_id, user_id, role_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(actor.organization_id)
    .bind(user)
    .bind(form.role)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(Error::invalid("email", "This person is already a member of the organization"));
    }
    let organization: String = sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
        .bind(actor.organization_id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;

    if let Added::Created { invite_link: Some(link), .. } = &added {
        mailer
            .send(pool, OutgoingMail {
                recipient: user,
                to: email.as_str().to_owned(),
                subject: format!("You are invited to {organization} on Parley"),
                body: format!(
                    "Hello {},\n\nYou have been added to {organization} on Parley. \
                     Open this link within 7 days to choose your password:\n\n{link}",
                    name.as_str()
                ),
            })
            .await?;
    }
    Ok(added)
}

pub async fn update(pool: &PgPool, actor: &Actor, user: UserId, name: &str, role: RoleId) -> Result<()> {
    let name = PersonName::parse(name).on_field("name")?;
    let mut tx = managing(pool, actor).await?;
    let current = target(&mut tx, actor, user).await?;
    role_grantable(&mut tx, actor, role).await?;
    if user == actor.user_id && current != role {
        return Err(Error::Conflict("You cannot change your own role".into()));
    }
    sqlx::query("UPDATE memberships SET role_id = $3 WHERE organization_id = $1 AND user_id = $2")
        .bind(actor.organization_id)
        .bind(user)
        .bind(role)
        .execute(&mut *tx)
        .await?;
    // A name belongs to the person, not to one organization: an organization may only rename
    // someone whose account exists for it alone; others change their name in their profile.
    let renamed = sqlx::query(
        "UPDATE users SET name = $2 WHERE id = $1 AND name <> $2
         AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = $1 AND m.organization_id <> $3)",
    )
    .bind(user)
    .bind(name.as_str())
    .bind(actor.organization_id)
    .execute(&mut *tx)
    .await?;
    let current_name: String = sqlx::query_scalar("SELECT name FROM users WHERE id = $1")
        .bind(user)
        .fetch_one(&mut *tx)
        .await?;
    if renamed.rows_affected() == 0 && current_name != name.as_str() {
        return Err(Error::invalid(
            "name",
            "This person also belongs to other organizations; only they can change their name (in their profile)",
        ));
    }
    tx.commit().await?;
    Ok(())
}

/// Deactivating keeps the member's history but locks them out of this organization at once.
pub async fn set_active(pool: &PgPool, actor: &Actor, user: UserId, active: bool) -> Result<()> {
    let mut tx = managing(pool, actor).await?;
    target(&mut tx, actor, user).await?;
    if user == actor.user_id {
        return Err(Error::Conflict("You cannot deactivate yourself".into()));
    }
    sqlx::query("UPDATE memberships SET active = $3 WHERE organization_id = $1 AND user_id = $2")
        .bind(actor.organization_id)
        .bind(user)
        .bind(active)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    if !active {
        sessions::end_all(pool, user, Some(actor.organization_id)).await?;
    }
    Ok(())
}

pub async fn remove(pool: &PgPool, actor: &Actor, user: UserId) -> Result<()> {
    let mut tx = managing(pool, actor).await?;
    target(&mut tx, actor, user).await?;
    if user == actor.user_id {
        return Err(Error::Conflict("You cannot remove yourself".into()));
    }
    sqlx::query("DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2")
        .bind(actor.organization_id)
        .bind(user)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    sessions::end_all(pool, user, Some(actor.organization_id)).await
}

/// The member's current role, checking that the actor may act on them: only an owner acts on an
/// owner. A person outside the organization is simply not found.
async fn target(conn: &mut PgConnection, actor: &Actor, user: UserId) -> Result<RoleId> {
    let found: Option<(RoleId, Option<String>)> = sqlx::query_as(
        "SELECT r.id, r.built_in FROM memberships m JOIN roles r ON r.id = m.role_id
         WHERE m.organization_id = $1 AND m.user_id = $2",
    )
    .bind(actor.organization_id)
    .bind(user)
    .fetch_optional(conn)
    .await?;
    let (role, built_in) = found.ok_or(Error::NotFound)?;
    if built_in.as_deref() == Some(BuiltInRole::Owner.key()) && !actor.is_owner() {
        return Err(Error::Forbidden);
    }
    Ok(role)
}

/// The role exists in the actor's organization, and the actor may hand it out: only an owner makes
/// owners, and a manager who is not an owner only grants roles within their own permissions.
async fn role_grantable(conn: &mut PgConnection, actor: &Actor, role: RoleId) -> Result<()> {
    let found: Option<(Option<String>, Vec<String>)> =
        sqlx::query_as("SELECT built_in, permissions FROM roles WHERE id = $1 AND organization_id = $2")
            .bind(role)
            .bind(actor.organization_id)
            .fetch_optional(conn)
            .await?;
    let Some((built_in, stored)) = found else {
        return Err(Error::invalid("role", "Choose one of the organization's roles"));
    };
    if actor.is_owner() {
        return Ok(());
    }
    let permissions = match built_in.as_deref().and_then(BuiltInRole::parse) {
        Some(BuiltInRole::Owner) => return Err(Error::invalid("role", "Only an owner can make someone an owner")),
        Some(b) => b.permissions(),
        None => PermissionSet::parse(stored.iter().map(String::as_str))
            .map_err(|e| Error::Internal(format!("stored role permissions: {e}")))?,
    };
    if permissions.is_subset(&actor.permissions) {
        Ok(())
    } else {
        Err(Error::invalid("role", "You can only give roles whose permissions you hold yourself"))
    }
}
