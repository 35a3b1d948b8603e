//! Who has a conversation, and its status. An agent takes control of a conversation for
//! themselves; giving it to someone else, or taking it from someone, needs `inbox.assign`.
//! While a conversation is assigned, only its assignee (or someone allowed to assign) replies.

use crate::auth::authorize;
use crate::db;
use crate::domain::conversation::{ConversationId, ConversationStatus, TransferNote, TransferTarget};
use crate::domain::event::Event;
use crate::domain::{Actor, Permission, UserId};
use crate::domain::notification::NotificationKind;
use crate::notifications;
use crate::realtime;
use crate::{Error, Result};
use sqlx::{PgConnection, PgPool};

/// Assigns the conversation to `assignee`, or unassigns it (`None`).
pub async fn assign(pool: &PgPool, actor: &Actor, conversation: ConversationId, assignee: Option<UserId>) -> Result<()> {
    hand_over(pool, actor, conversation, assignee, None).await
}

async fn hand_over(
    pool: &PgPool,
    actor: &Actor,
    conversation: ConversationId,
    assignee: Option<UserId>,
    note: Option<TransferNote>,
) -> Result<()> {
    let organization = actor.organization_id;
    let mut tx = realtime::writing(pool, actor, Permission::InboxReply).await?;
    let current: Option<UserId> = sqlx::query_scalar(
        "SELECT assignee_user_id FROM conversations WHERE organization_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(organization)
    .bind(conversation)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    // Taking a free conversation, or letting go of one's own, is every agent's; anything that
    // moves it between other people is an assigner's.
    let own_move = match (current, assignee) {
        (None, Some(to)) => to == actor.user_id,
        (Some(from), None) => from == actor.user_id,
        (from, to) => from == to,
    };
    if !own_move {
        authorize(actor, Permission::InboxAssign)?;
    }
    if let Some(to) = assignee {
        let active: Option<bool> =
            sqlx::query_scalar("SELECT active FROM memberships WHERE organization_id = $1 AND user_id = $2")
                .bind(organization)
                .bind(to)
                .fetch_optional(&mut *tx)
                .await?;
        if active != Some(true) {
            return Err(Error::invalid("assignee", "Choose an active member of your organization"));
        }
    }
    sqlx::query(
        "UPDATE conversations SET assignee_user_id = $3, assigned_at = CASE WHEN $3::uuid IS NULL THEN NULL ELSE now() END,
             updated_at = now()
         WHERE organization_id = $1 AND id = $2",
    )
    .bind(organization)
    .bind(conversation)
    .bind(assignee)
    .execute(&mut *tx)
    .await?;
    if let Some(to) = assignee.filter(|to| *to != actor.user_id && current != Some(*to)) {
        let detail = note.as_ref().map(TransferNote::as_str);
        notifications::notify(&mut tx, organization, to, NotificationKind::Assigned, conversation.0, Some(actor.user_id), detail)
            .await?;
    }
    if let Some(to) = assignee.filter(|to| current != Some(*to)) {
        record_transfer(&mut tx, actor, conversation, TransferTarget::Person(to), note.as_ref()).await?;
    }
    announce(&mut tx, actor, conversation).await?;
    tx.commit().await?;
    Ok(())
}

/// Open, pending (waiting for the customer) or resolved. A customer writing again reopens a
/// resolved conversation (see the webhook processor).
pub async fn set_status(pool: &PgPool, actor: &Actor, conversation: ConversationId, status: ConversationStatus) -> Result<()> {
    let organization = actor.organization_id;
    let mut tx = realtime::writing(pool, actor, Permission::InboxReply).await?;
    let updated = sqlx::query("UPDATE conversations SET status = $3, updated_at = now() WHERE organization_id = $1 AND id = $2")
        .bind(organization)
        .bind(conversation)
        .bind(status.key())
        .execute(&mut *tx)
        .await?;
    if updated.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    announce(&mut tx, actor, conversation).await?;
    tx.commit().await?;
    Ok(())
}

/// Hands the conversation to a person or to a team, with an optional note for them. Moving a
/// conversation to someone else needs `inbox.assign`; taking a free one for oneself does not.
/// The person is told (with the note); a team's members find it under their team.
pub async fn transfer(
    pool: &PgPool,
    actor: &Actor,
    conversation: ConversationId,
    to: TransferTarget,
    note: Option<TransferNote>,
) -> Result<()> {
    let team = match to {
        TransferTarget::Person(person) => return hand_over(pool, actor, conversation, Some(person), note).await,
        TransferTarget::Team(team) => team,
    };
    let organization = actor.organization_id;
    let mut tx = realtime::writing(pool, actor, Permission::InboxAssign).await?;
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM conversations WHERE organization_id = $1 AND id = $2 FOR UPDATE")
        .bind(organization)
        .bind(conversation)
        .fetch_optional(&mut *tx)
        .await?;
    exists.ok_or(Error::NotFound)?;
    let team_exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM teams WHERE organization_id = $1 AND id = $2")
        .bind(organization)
        .bind(team)
        .fetch_optional(&mut *tx)
        .await?;
    if team_exists.is_none() {
        return Err(Error::invalid("team", "Choose one of your organization's teams"));
    }
    sqlx::query(
        "UPDATE conversations SET team_id = $3, assignee_user_id = NULL, assigned_at = NULL, updated_at = now()
         WHERE organization_id = $1 AND id = $2",
    )
    .bind(organization)
    .bind(conversation)
    .bind(team)
    .execute(&mut *tx)
    .await?;
    record_transfer(&mut tx, actor, conversation, to, note.as_ref()).await?;
    announce(&mut tx, actor, conversation).await?;
    tx.commit().await?;
    Ok(())
}

async fn record_transfer(
    conn: &mut PgConnection,
    actor: &Actor,
    conversation: ConversationId,
    to: TransferTarget,
    note: Option<&TransferNote>,
) -> Result<()> {
    let (person, team) = match to {
        TransferTarget::Person(p) => (Some(p), None),
        TransferTarget::Team(t) => (None, Some(t)),
    };
    sqlx::query(
        "INSERT INTO conversation_transfers (id, organization_id, conversation_id, by_user_id, to_user_id, to_team_id, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(db::new_id())
    .bind(actor.organization_id)
    .bind(conversation)
    .bind(actor.user_id)
    .bind(person)
    .bind(team)
    .bind(note.map(TransferNote::as_str))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether the team holding the conversation, if any, lets the actor reply: no team holds it, or
/// the actor is one of its members. False for a conversation not in the actor's organization.
pub(crate) async fn team_lets_reply(conn: &mut PgConnection, actor: &Actor, conversation: ConversationId) -> Result<bool> {
    let lets: Option<bool> = sqlx::query_scalar(
        "SELECT c.team_id IS NULL OR EXISTS (SELECT 1 FROM team_members t
                                            WHERE t.organization_id = c.organization_id AND t.team_id = c.team_id
                                              AND t.user_id = $3)
         FROM conversations c WHERE c.organization_id = $1 AND c.id = $2",
    )
    .bind(actor.organization_id)
    .bind(conversation)
    .bind(actor.user_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(lets == Some(true))
}

/// Refuses a reply to a conversation someone else has, or that waits for another team, unless
/// the actor may assign. The caller holds the conversation's row lock.
pub(crate) async fn ensure_may_reply(conn: &mut PgConnection, actor: &Actor, conversation: ConversationId) -> Result<()> {
    if actor.can(Permission::InboxAssign) {
        return Ok(());
    }
    let holder: Option<(Option<UserId>, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT c.assignee_user_id, u.name, t.name FROM conversations c
         LEFT JOIN users u ON u.id = c.assignee_user_id
         LEFT JOIN teams t ON t.organization_id = c.organization_id AND t.id = c.team_id
         WHERE c.organization_id = $1 AND c.id = $2",
    )
    .bind(actor.organization_id)
    .bind(conversation)
    .fetch_optional(&mut *conn)
    .await?;
    match holder {
        Some((Some(user), name, _)) if user != actor.user_id => Err(Error::Conflict(format!(
            "{} has this conversation. Take control to reply.",
            name.unwrap_or_else(|| "Someone else".to_owned())
        ))),
        Some((None, _, Some(team))) if !team_lets_reply(conn, actor, conversation).await? => {
            Err(Error::Conflict(format!("The team {team} has this conversation: one of its members replies.")))
        }
        _ => Ok(()),
    }
}

async fn announce(conn: &mut PgConnection, actor: &Actor, conversation: ConversationId) -> Result<()> {
    realtime::publish(conn, actor.organization_id, &Event::ConversationUpdated { conversation_id: conversation.0 }).await?;
    Ok(())
}
