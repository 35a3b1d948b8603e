//! Reading the inbox: the conversation list (filtered, searched, newest activity first, keyset
//! pages) and a conversation's thread (newest page first, older pages on demand).

use crate::auth::authorize;
use crate::db;
use crate::domain::inbox::{
    AssigneeFilter, Choice, ConversationHeader, ConversationSummary, InboxChoices, InboxCursor, InboxPage, ListScope,
    StatusFilter, Thread, ThreadMessage, ThreadViewer,
};
use crate::domain::conversation::ConversationId;
use crate::domain::{Actor, Permission};
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

pub const PAGE_SIZE: i64 = 30;
pub const THREAD_PAGE_SIZE: i64 = 50;

/// The list as the agent filters it. `search` matches the contact's name, profile name or number,
/// and the text of any message (full-text, Postgres `simple` dictionary).
pub async fn list(
    pool: &PgPool,
    actor: &Actor,
    filter: StatusFilter,
    assignee: AssigneeFilter,
    search: &str,
    after: Option<InboxCursor>,
    scope: ListScope,
) -> Result<InboxPage> {
    authorize(actor, Permission::InboxRead)?;
    let search = search.trim();
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    // Narrowing to a team or channel the organization does not have is a request for something
    // that does not exist, whoever's it may be.
    if scope.team.is_some() || scope.channel.is_some() {
        let known: bool = sqlx::query_scalar(
            "SELECT ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM teams WHERE organization_id = $1 AND id = $2))
                AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM channels WHERE organization_id = $1 AND id = $3))",
        )
        .bind(actor.organization_id)
        .bind(scope.team)
        .bind(scope.channel)
        .fetch_one(&mut *tx)
        .await?;
        if !known {
            return Err(Error::NotFound);
        }
    }
    let mut rows: Vec<ConversationSummary> = sqlx::query_as(
        // `recent` walks the recency index from the cursor. Browsing takes its first page; a search
        // checks only its first hundred conversations, which is enough for a common term. A rare
        // term leaves the page short, and only then is the page asked of the search indexes
        // (inbox_search).
        "WITH recent AS MATERIALIZED (
             SELECT id, contact_id, channel_id, status, last_message_at, unread_count, assignee_user_id, team_id,
                    contact_search
             FROM conversations
             WHERE organization_id = $1 AND last_message_at IS NOT NULL
               AND ($2::text IS NULL OR status = $2)
               AND ($9::uuid IS NULL OR team_id = $9) AND ($10::uuid IS NULL OR channel_id = $10)
               AND (NOT $11 OR id IN (SELECT m.conversation_id FROM message_stars s
                                      JOIN messages m ON m.organization_id = s.organization_id AND m.id = s.message_id
                                      WHERE s.organization_id = $1 AND s.user_id = $8))
               AND ($7 = 'everyone' OR ($7 = 'mine' AND assignee_user_id = $8) OR ($7 = 'unassigned' AND assignee_user_id IS NULL))
               AND (last_message_at, id) < (COALESCE($4::timestamptz, 'infinity'),
                                            COALESCE($5::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
             ORDER BY last_message_at DESC, id DESC
             LIMIT CASE WHEN $3 = '' THEN $6 ELSE 100 END
         ),
         recent_hits AS MATERIALIZED (
             SELECT r.id, r.contact_id, r.channel_id, r.status, r.last_message_at, r.unread_count, r.assignee_user_id, r.team_id
             FROM recent r
             WHERE $3 = ''
                OR r.contact_search ILIKE '%' || $3 || '%'
                OR EXISTS (SELECT 1 FROM messages s WHERE s.conversation_id = r.id
                           AND to_tsvector('simple', s.body) @@ plainto_tsquery('simple', NULLIF($3, '')))
             ORDER BY r.last_message_at DESC, r.id DESC
             LIMIT $6
         ),
         page AS (
             SELECT * FROM recent_hits WHERE $3 = '' OR (SELECT count(*) FROM recent_hits) = $6
             UNION ALL
             SELECT id, contact_id, channel_id, status, last_message_at, unread_count, assignee_user_id, team_id
             FROM conversations
             WHERE $3 <> '' AND (SELECT count(*) FROM recent_hits) < $6 AND organization_id = $1
               AND ($9::uuid IS NULL OR team_id = $9) AND ($10::uuid IS NULL OR channel_id = $10)
               AND (NOT $11 OR id IN (SELECT m.conversation_id FROM message_stars s
                                      JOIN messages m ON m.organization_id = s.organization_id AND m.id = s.message_id
                                      WHERE s.organization_id = $1 AND s.user_id = $8))
               AND id IN (SELECT conversation_id FROM inbox_search($3, $2, $4, $5, $6, $7, $8))
         )
         SELECT c.id,
                COALESCE(NULLIF(k.name, ''), NULLIF(k.profile_name, ''), '+' || k.wa_id) AS contact_name,
                k.wa_id, ch.name AS channel_name, c.status, c.last_message_at,
                -- The customer's messages since this agent last read the conversation (shown up
                -- to 99, which is all a badge says).
                (SELECT count(*)::int FROM (
                     SELECT 1 FROM messages u
                     WHERE u.organization_id = $1 AND u.conversation_id = c.id AND u.direction = 'inbound'
                       AND u.kind <> 'reaction'
                       AND u.created_at > COALESCE((SELECT r.read_at FROM conversation_reads r
                                                    WHERE r.conversation_id = c.id AND r.user_id = $8), '-infinity')
                     LIMIT 99) unread) AS unread_count,
                a.name AS assignee_name, t.name AS team_name,
                m.body AS preview, m.kind AS preview_kind, m.direction AS preview_direction, m.status AS preview_status
         FROM page c
         JOIN contacts k ON k.organization_id = $1 AND k.id = c.contact_id
         JOIN channels ch ON ch.organization_id = $1 AND ch.id = c.channel_id
         LEFT JOIN users a ON a.id = c.assignee_user_id
         LEFT JOIN teams t ON t.organization_id = $1 AND t.id = c.team_id
         LEFT JOIN LATERAL (
             SELECT body, kind, direction, status FROM messages
             WHERE conversation_id = c.id ORDER BY created_at DESC, id DESC LIMIT 1
         ) m ON true
         ORDER BY c.last_message_at DESC, c.id DESC
         LIMIT $6",
    )
    .bind(actor.organization_id)
    .bind(filter.status())
    .bind(search)
    .bind(after.map(|a| a.last_message_at))
    .bind(after.map(|a| a.id))
    .bind(PAGE_SIZE + 1)
    .bind(assignee.key())
    .bind(actor.user_id)
    .bind(scope.team)
    .bind(scope.channel)
    .bind(scope.starred)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let next = if rows.len() as i64 > PAGE_SIZE {
        rows.truncate(PAGE_SIZE as usize);
        rows.last().map(|r| InboxCursor { last_message_at: r.last_message_at, id: r.id })
    } else {
        None
    };
    Ok(InboxPage { conversations: rows, next })
}

/// One conversation's header and a page of its messages: the newest ones, or those before
/// `before` (a message id of the thread) when scrolling up. Reactions are not messages of the
/// thread: each side's latest one is attached to the message it is on.
pub async fn thread(pool: &PgPool, actor: &Actor, conversation: Uuid, before: Option<Uuid>) -> Result<Thread> {
    authorize(actor, Permission::InboxRead)?;
    let mut tx = db::scoped(pool, Some(actor.organization_id), Some(actor.user_id)).await?;
    let header: ConversationHeader = sqlx::query_as(
        "SELECT c.id, COALESCE(NULLIF(k.name, ''), NULLIF(k.profile_name, ''), '+' || k.wa_id) AS contact_name,
                k.wa_id, k.profile_name, ch.name AS channel_name, c.status, c.last_inbound_at,
                c.assignee_user_id AS assignee_id, a.name AS assignee_name, t.name AS team_name,
                x.note AS transfer_note, xb.name AS transfer_by, c.bot_enabled
         FROM conversations c
         JOIN contacts k ON k.organization_id = c.organization_id AND k.id = c.contact_id
         JOIN channels ch ON ch.organization_id = c.organization_id AND ch.id = c.channel_id
         LEFT JOIN users a ON a.id = c.assignee_user_id
         LEFT JOIN teams t ON t.organization_id = c.organization_id AND t.id = c.team_id
         LEFT JOIN LATERAL (
             SELECT note, by_user_id FROM conversation_transfers
             WHERE conversation_id = c.id ORDER BY created_at DESC LIMIT 1
         ) x ON true
         LEFT JOIN users xb ON xb.id = x.by_user_id
         WHERE c.organization_id = $1 AND c.id = $2",
    )
    .bind(actor.organization_id)
    .bind(conversation)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    let boundary: Option<(DateTime<Utc>, Uuid)> = match before {
        Some(id) => Some(
            sqlx::query_as("SELECT created_at, id FROM messages WHERE organization_id = $1 AND conversation_id = $2 AND id = $3")
                .bind(actor.organization_id)
                .bind(conversation)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(Error::NotFound)?,
        ),
        None => None,
    };
    let mut messages: Vec<ThreadMessage> = sqlx::query_as(
        "SELECT id, direction, kind, body, content::text AS content, context_wamid, wamid, status,
                CASE WHEN error IS NULL THEN NULL
                     ELSE concat_ws(': ', '(#' || (error->>'code') || ')', error->>'title',
                                    NULLIF(error->>'message', error->>'title'), error->>'details') END AS error,
                created_at,
                EXISTS (SELECT 1 FROM message_stars s WHERE s.organization_id = $1 AND s.user_id = $6
                        AND s.message_id = messages.id) AS starred,
                (SELECT NULLIF(r.content->'reaction'->>'emoji', '') FROM messages r
                 WHERE r.organization_id = $1 AND r.conversation_id = $2 AND r.kind = 'reaction' AND r.direction = 'inbound'
                   AND r.content->'reaction'->>'message_id' = messages.wamid
                 ORDER BY r.created_at DESC, r.id DESC LIMIT 1) AS customer_reaction,
                (SELECT NULLIF(r.content->'reaction'->>'emoji', '') FROM messages r
                 WHERE r.organization_id = $1 AND r.conversation_id = $2 AND r.kind = 'reaction' AND r.direction = 'outbound' AND r.status <> 'failed'
                   AND r.content->'reaction'->>'message_id' = messages.wamid
                 ORDER BY r.created_at DESC, r.id DESC LIMIT 1) AS team_reaction,
                (SELECT f.download_state FROM media f WHERE f.organization_id = $1 AND f.id = messages.media_id) AS media_state
         FROM messages
         WHERE organization_id = $1 AND conversation_id = $2 AND kind <> 'reaction'
           AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))
         ORDER BY created_at DESC, id DESC
         LIMIT $5",
    )
    .bind(actor.organization_id)
    .bind(conversation)
    .bind(boundary.map(|b| b.0))
    .bind(boundary.map(|b| b.1))
    .bind(THREAD_PAGE_SIZE + 1)
    .bind(actor.user_id)
    .fetch_all(&mut *tx)
    .await?;
    let team_lets_reply = super::assignment::team_lets_reply(&mut tx, actor, ConversationId(conversation)).await?;
    tx.commit().await?;
    let has_older = messages.len() as i64 > THREAD_PAGE_SIZE;
    messages.truncate(THREAD_PAGE_SIZE as usize);
    messages.reverse();
    let is_assignee = header.assignee_id == Some(actor.user_id.0);
    let may_assign = actor.can(Permission::InboxAssign);
    let viewer = ThreadViewer {
        is_assignee,
        may_reply: actor.can(Permission::InboxReply)
            && (is_assignee || may_assign || (header.assignee_id.is_none() && team_lets_reply)),
        may_assign,
        may_switch_bot: actor.can(Permission::InboxReply) && (header.assignee_id.is_none() || is_assignee),
    };
    Ok(Thread { conversation: header, messages, has_older, viewer })
}

/// The people, teams and channels the inbox offers: whom to hand a conversation to, what to
/// narrow the list to.
pub async fn choices(pool: &PgPool, actor: &Actor) -> Result<InboxChoices> {
    authorize(actor, Permission::InboxRead)?;
    let organization = actor.organization_id;
    let mut tx = db::scoped(pool, Some(organization), Some(actor.user_id)).await?;
    let members: Vec<(Uuid, String, Vec<String>)> = sqlx::query_as(
        "SELECT u.id, u.name, r.permissions FROM memberships m
         JOIN users u ON u.id = m.user_id
         JOIN roles r ON r.organization_id = m.organization_id AND r.id = m.role_id
         WHERE m.organization_id = $1 AND m.active
         ORDER BY lower(u.name), u.id",
    )
    .bind(organization)
    .fetch_all(&mut *tx)
    .await?;
    let teams: Vec<Choice> =
        sqlx::query_as("SELECT id, name FROM teams WHERE organization_id = $1 ORDER BY lower(name), id")
            .bind(organization)
            .fetch_all(&mut *tx)
            .await?;
    let channels: Vec<Choice> =
        sqlx::query_as("SELECT id, name FROM channels WHERE organization_id = $1 ORDER BY lower(name), id")
            .bind(organization)
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    let reads_inbox = Permission::InboxRead.key();
    let people = members
        .into_iter()
        .filter(|(_, _, permissions)| permissions.iter().any(|p| p == reads_inbox))
        .map(|(id, name, _)| Choice { id, name })
        .collect();
    Ok(InboxChoices { people, teams, channels })
}
