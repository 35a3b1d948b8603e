//! The customer behind a conversation, as the team knows them: the name they gave them, tags,
//! custom fields, consent to be messaged, and notes. Reading needs `contacts.read`, changing
//! `contacts.write` (the default Agent role has both). A new name shows in every conversation
//! with the contact, so renaming announces each of them to the live inbox.

use crate::auth::authorize;
use crate::db;
use crate::domain::contact::{
    ContactDetails, ContactName, ContactNote, CustomFieldKey, CustomFieldValue, FIELDS_PER_CONTACT, NoteBody, OptIn, Tag,
    opt_in_source, with_tag,
};
use crate::domain::{Actor, Permission};
use crate::error::OnField;
use crate::realtime;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: Uuid,
    name: Option<String>,
    profile_name: Option<String>,
    wa_id: String,
    tags: Vec<String>,
    custom_fields: sqlx::types::Json<std::collections::BTreeMap<String, String>>,
    opt_in: String,
    opt_in_changed_at: Option<DateTime<Utc>>,
    opt_in_source: Option<String>,
    conversation_count: i64,
    message_count: i64,
}

#[derive(sqlx::FromRow)]
struct NoteRow {
    id: Uuid,
    body: String,
    author_user_id: Option<Uuid>,
    author_name: Option<String>,
    created_at: DateTime<Utc>,
}

/// The contact of a conversation, with its notes (newest first) and how much the organization
/// has talked with them across its channels.
pub async fn for_conversation(pool: &PgPool, actor: &Actor, conversation: Uuid) -> Result<ContactDetails> {
    authorize(actor, Permission::ContactsRead)?;
    let organization = actor.organization_id;
    let mut tx = db::scoped(pool, Some(organization), Some(actor.user_id)).await?;
    let row: ContactRow = sqlx::query_as(
        "SELECT k.id, k.name, k.profile_name, k.wa_id, k.tags, k.custom_fields, k.opt_in, k.opt_in_changed_at, k.opt_in_source,
                (SELECT count(*) FROM conversations c WHERE c.organization_id = $1 AND c.contact_id = k.id) AS conversation_count,
                (SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
                 WHERE c.organization_id = $1 AND c.contact_id = k.id AND m.organization_id = $1) AS message_count
         FROM conversations v JOIN contacts k ON k.organization_id = v.organization_id AND k.id = v.contact_id
         WHERE v.organization_id = $1 AND v.id = $2",
    )
    .bind(organization)
    .bind(conversation)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    let notes: Vec<NoteRow> = sqlx::query_as(
        "SELECT n.id, n.body, n.author_user_id, u.name AS author_name, n.created_at
         FROM contact_notes n LEFT JOIN users u ON u.id = n.author_user_id
         WHERE n.organization_id = $1 AND n.contact_id = $2
         ORDER BY n.created_at DESC, n.id DESC",
    )
    .bind(organization)
    .bind(row.id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(ContactDetails {
        id: row.id,
        name: row.name.filter(|n| !n.is_empty()),
        profile_name: row.profile_name,
        wa_id: row.wa_id,
        tags: row.tags,
        custom_fields: row.custom_fields.0.into_iter().collect(),
        opt_in: OptIn::parse(&row.opt_in).unwrap_or_default(),
        opt_in_changed_at: row.opt_in_changed_at,
        opt_in_source: row.opt_in_source,
        notes: notes
            .into_iter()
            .map(|n| ContactNote {
                id: n.id,
                body: n.body,
                author_name: n.author_name,
                own: n.author_user_id == Some(actor.user_id.0),
                created_at: n.created_at,
            })
            .collect(),
        conversation_count: row.conversation_count,
        message_count: row.message_count,
        may_edit: actor.can(Permission::ContactsWrite),
    })
}

/// Names the contact; an empty name clears it, and the WhatsApp profile name shows again. Other
/// agents' lists and headers follow at once.
pub async fn rename(pool: &PgPool, actor: &Actor, contact: Uuid, name: &str) -> Result<()> {
    let name = ContactName::parse(name).on_field("name")?;
    update(pool, actor, contact, "name = $3", name.as_ref().map(|n| n.as_str().to_owned())).await
}

/// Adds a tag (normalized; once; at most twenty per contact).
pub async fn add_tag(pool: &PgPool, actor: &Actor, contact: Uuid, tag: &str) -> Result<()> {
    let tag = Tag::parse(tag).on_field("tag")?;
    let mut tx = realtime::writing(pool, actor, Permission::ContactsWrite).await?;
    let tags: Vec<String> =
        sqlx::query_scalar("SELECT tags FROM contacts WHERE organization_id = $1 AND id = $2 FOR UPDATE")
            .bind(actor.organization_id)
            .bind(contact)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(Error::NotFound)?;
    let tags = with_tag(&tags, &tag).on_field("tag")?;
    set_column(&mut tx, actor, contact, "tags = $3", tags).await?;
    announced(tx, actor, contact).await
}

pub async fn remove_tag(pool: &PgPool, actor: &Actor, contact: Uuid, tag: &str) -> Result<()> {
    update(pool, actor, contact, "tags = array_remove(tags, $3)", tag.to_owned()).await
}

/// Sets a custom field, adding it or changing its value.
pub async fn set_field(pool: &PgPool, actor: &Actor, contact: Uuid, key: &str, value: &str) -> Result<()> {
    let key = CustomFieldKey::parse(key).on_field("key")?;
    let value = CustomFieldValue::parse(value).on_field("value")?;
    let mut tx = realtime::writing(pool, actor, Permission::ContactsWrite).await?;
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contacts, jsonb_object_keys(custom_fields) k
         WHERE organization_id = $1 AND id = $2 AND k <> $3",
    )
    .bind(actor.organization_id)
    .bind(contact)
    .bind(key.as_str())
    .fetch_one(&mut *tx)
    .await?;
    if count as usize >= FIELDS_PER_CONTACT {
        return Err(Error::invalid("key", format!("A contact can have at most {FIELDS_PER_CONTACT} custom fields")));
    }
    let entry = serde_json::json!({ key.as_str(): value.as_str() });
    set_column(&mut tx, actor, contact, "custom_fields = custom_fields || $3", entry).await?;
    announced(tx, actor, contact).await
}

pub async fn remove_field(pool: &PgPool, actor: &Actor, contact: Uuid, key: &str) -> Result<()> {
    update(pool, actor, contact, "custom_fields = custom_fields - $3", key.to_owned()).await
}

/// Records the customer's consent and where it came from ("Asked in chat"); without a source,
/// the agent who changed it is named.
pub async fn set_opt_in(pool: &PgPool, actor: &Actor, contact: Uuid, status: OptIn, source: &str) -> Result<()> {
    let source = opt_in_source(source).on_field("source")?;
    let mut tx = realtime::writing(pool, actor, Permission::ContactsWrite).await?;
    let updated = sqlx::query(
        "UPDATE contacts SET opt_in = $3, opt_in_changed_at = now(), updated_at = now(),
             opt_in_source = COALESCE($4, 'Set by ' || (SELECT name FROM users WHERE id = $5))
         WHERE organization_id = $1 AND id = $2",
    )
    .bind(actor.organization_id)
    .bind(contact)
    .bind(status.key())
    .bind(source)
    .bind(actor.user_id)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    announced(tx, actor, contact).await
}

pub async fn add_note(pool: &PgPool, actor: &Actor, contact: Uuid, body: &str) -> Result<Uuid> {
    let body = NoteBody::parse(body).on_field("note")?;
    let mut tx = realtime::writing(pool, actor, Permission::ContactsWrite).await?;
    let id = db::new_id();
    let inserted = sqlx::query(
        "INSERT INTO contact_notes (id, organization_id, contact_id, author_user_id, body)
         SELECT $1, organization_id, id, $4, $5 FROM contacts WHERE organization_id = $2 AND id = $3",
    )
    .bind(id)
    .bind(actor.organization_id)
    .bind(contact)
    .bind(actor.user_id)
    .bind(body.as_str())
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    announced(tx, actor, contact).await?;
    Ok(id)
}

/// Deletes a note its author wrote; someone else's note is theirs to delete.
pub async fn delete_note(pool: &PgPool, actor: &Actor, note: Uuid) -> Result<()> {
    let mut tx = realtime::writing(pool, actor, Permission::ContactsWrite).await?;
    let (author, contact): (Option<Uuid>, Uuid) = sqlx::query_as(
        "SELECT author_user_id, contact_id FROM contact_notes WHERE organization_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(actor.organization_id)
    .bind(note)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    if author != Some(actor.user_id.0) {
        return Err(Error::Forbidden);
    }
    sqlx::query("DELETE FROM contact_notes WHERE organization_id = $1 AND id = $2")
        .bind(actor.organization_id)
        .bind(note)
        .execute(&mut *tx)
        .await?;
    announced(tx, actor, contact).await
}

/// Commits the edit, telling every agent with one of the contact's conversations open that it
/// changed: their lists, headers and contact panels follow at once.
async fn announced(mut tx: Transaction<'static, Postgres>, actor: &Actor, contact: Uuid) -> Result<()> {
    let of_contact = "SELECT id FROM conversations WHERE organization_id = $1 AND contact_id = $2 ORDER BY id";
    realtime::announce_conversations(&mut tx, actor.organization_id, of_contact, contact).await?;
    tx.commit().await?;
    Ok(())
}

/// One [`set_column`] in a transaction of its own.
async fn update<T>(pool: &PgPool, actor: &Actor, contact: Uuid, assignment: &str, value: T) -> Result<()>
where
    T: for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Send + 'static,
{
    let mut tx = realtime::writing(pool, actor, Permission::ContactsWrite).await?;
    set_column(&mut tx, actor, contact, assignment, value).await?;
    announced(tx, actor, contact).await
}

/// `UPDATE contacts SET <assignment>` with `$3` bound to `value`; NotFound when the contact is
/// not the organization's.
async fn set_column<T>(conn: &mut PgConnection, actor: &Actor, contact: Uuid, assignment: &str, value: T) -> Result<()>
where
    T: for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Send + 'static,
{
    let sql = format!("UPDATE contacts SET {assignment}, updated_at = now() WHERE organization_id = $1 AND id = $2");
    let updated = sqlx::query(&sql).bind(actor.organization_id).bind(contact).bind(value).execute(&mut *conn).await?;
    if updated.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}
