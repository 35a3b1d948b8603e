//! Simulated customers: their reachability on WhatsApp, the messages they write to a business
//! (which open the 24-hour window and arrive as signed webhooks), and their chat history.

use crate::business::Business;
use crate::control::ControlError;
use crate::media::{self, NewMedia};
use crate::send::{MEDIA_TYPES, wa_id_of};
use crate::{App, ids, webhooks};
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

/// Numbers ending in 0000 are not on WhatsApp unless a test says otherwise.
pub fn on_whatsapp_by_default(wa_id: &str) -> bool {
    !wa_id.ends_with("0000")
}

pub async fn on_whatsapp(conn: &mut PgConnection, wa_id: &str) -> Result<bool, sqlx::Error> {
    let explicit: Option<bool> = sqlx::query_scalar("SELECT on_whatsapp FROM customers WHERE wa_id = $1")
        .bind(wa_id)
        .fetch_optional(conn)
        .await?;
    Ok(explicit.unwrap_or_else(|| on_whatsapp_by_default(wa_id)))
}

/// The customer service window: open for 24 hours after the customer's last message.
pub async fn window_open(conn: &mut PgConnection, phone_number_id: &str, wa_id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM messages WHERE phone_number_id = $1 AND wa_id = $2 AND direction = 'inbound'
                        AND created_at > now() - interval '24 hours')",
    )
    .bind(phone_number_id)
    .bind(wa_id)
    .fetch_one(conn)
    .await
}

fn parse_wa_id(wa_id: &str) -> Result<String, ControlError> {
    wa_id_of(wa_id).ok_or_else(|| ControlError::bad_request(format!("{wa_id} is not a phone number (7 to 15 digits)")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reachability {
    on_whatsapp: bool,
}

pub async fn set_reachability(
    State(app): State<App>,
    Path(wa_id): Path<String>,
    Json(input): Json<Reachability>,
) -> Result<Json<Value>, ControlError> {
    let wa_id = parse_wa_id(&wa_id)?;
    sqlx::query(
        "INSERT INTO customers (wa_id, on_whatsapp) VALUES ($1, $2)
         ON CONFLICT (wa_id) DO UPDATE SET on_whatsapp = EXCLUDED.on_whatsapp",
    )
    .bind(&wa_id)
    .bind(input.on_whatsapp)
    .execute(&app.pool)
    .await?;
    Ok(Json(json!({"wa_id": wa_id, "on_whatsapp": input.on_whatsapp})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundInput {
    phone_number_id: String,
    profile_name: Option<String>,
    message: Value,
}

/// What the customer typed, checked and completed into the webhook's message object. Media given
/// as bytes (or the built-in sample image) is stored first so the business can download it.
enum InboundPlan {
    Ready(Map<String, Value>),
    WithMedia { message: Map<String, Value>, kind: String, media: NewMedia },
}

fn plan_inbound(message: &Value) -> Result<InboundPlan, ControlError> {
    let object = message.as_object().ok_or_else(|| ControlError::bad_request("message must be an object"))?;
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| ControlError::bad_request("message.type is required"))?
        .to_owned();
    let content = object.get(&kind).ok_or_else(|| ControlError::bad_request(format!("message.{kind} is required")))?;
    let has = |key: &str| content.get(key).and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    let mut message: Map<String, Value> = Map::new();
    message.insert("type".into(), json!(kind));
    match kind.as_str() {
        "text" if has("body") => {}
        "interactive" => {
            let reply_type = content.get("type").and_then(Value::as_str).unwrap_or_default();
            let reply = content.get(reply_type);
            let valid = matches!(reply_type, "button_reply" | "list_reply")
                && reply.is_some_and(|r| r.get("id").is_some() && r.get("title").is_some());
            if !valid {
                return Err(ControlError::bad_request(
                    "interactive needs type button_reply or list_reply with its {id, title}",
                ));
            }
        }
        "button" if has("payload") && has("text") => {}
        "location" if content.get("latitude").is_some() && content.get("longitude").is_some() => {}
        "contacts" if content.as_array().is_some_and(|c| !c.is_empty()) => {}
        "reaction" if has("message_id") && content.get("emoji").is_some() => {}
        kind if MEDIA_TYPES.contains(&kind) => {
            let media = media::inbound_media(kind, content).map_err(ControlError::bad_request)?;
            let mut described = Map::new();
            for key in ["caption", "filename"] {
                if let Some(value) = content.get(key) {
                    described.insert(key.into(), value.clone());
                }
            }
            message.insert(kind.into(), Value::Object(described));
            if let Some(context) = object.get("context") {
                message.insert("context".into(), context.clone());
            }
            return Ok(match media {
                Some(media) => InboundPlan::WithMedia { message, kind: kind.to_owned(), media },
                None => {
                    let id = content.get("id").cloned().unwrap_or_default();
                    message[kind] = json!({"id": id});
                    InboundPlan::Ready(message)
                }
            });
        }
        other => {
            return Err(ControlError::bad_request(format!(
                "message of type {other} is not supported or misses its fields (see README.md)"
            )));
        }
    }
    message.insert(kind.clone(), content.clone());
    if let Some(context) = object.get("context") {
        message.insert("context".into(), context.clone());
    }
    Ok(InboundPlan::Ready(message))
}

pub async fn send_inbound(
    State(app): State<App>,
    Path(wa_id): Path<String>,
    Json(input): Json<InboundInput>,
) -> Result<Json<Value>, ControlError> {
    let wa_id = parse_wa_id(&wa_id)?;
    let business = Business::find(&app.pool, &input.phone_number_id)
        .await?
        .ok_or_else(|| ControlError::not_found(format!("no business number {}", input.phone_number_id)))?;
    let plan = plan_inbound(&input.message)?;
    let wamid = ids::wamid();
    let mut tx = app.pool.begin().await?;
    let mut message = match plan {
        InboundPlan::Ready(message) => message,
        InboundPlan::WithMedia { mut message, kind, media } => {
            let described = media::store(&mut tx, &business.phone_number_id, &media).await?;
            if let (Some(Value::Object(target)), Value::Object(source)) = (message.get_mut(&kind), described) {
                target.extend(source);
            }
            message
        }
    };
    if let Some(Value::Object(context)) = message.get_mut("context") {
        let replied_to = context.get("id").cloned().unwrap_or_default();
        *context = Map::from_iter([("from".into(), json!(business.display_digits())), ("id".into(), replied_to)]);
    }
    message.insert("from".into(), json!(wa_id));
    message.insert("id".into(), json!(wamid));
    message.insert("timestamp".into(), json!(chrono::Utc::now().timestamp().to_string()));
    let previous_name: Option<String> = sqlx::query_scalar(
        "SELECT profile_name FROM messages WHERE wa_id = $1 AND profile_name IS NOT NULL ORDER BY created_at DESC LIMIT 1",
    )
    .bind(&wa_id)
    .fetch_optional(&mut *tx)
    .await?;
    let profile_name = input
        .profile_name
        .filter(|name| !name.trim().is_empty())
        .or(previous_name)
        .unwrap_or_else(|| format!("Customer {}", &wa_id[wa_id.len().saturating_sub(4)..]));
    let kind = message.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
    let message = Value::Object(message);
    sqlx::query(
        "INSERT INTO messages (wamid, phone_number_id, wa_id, direction, message_type, message, profile_name)
         VALUES ($1, $2, $3, 'inbound', $4, $5, $6)",
    )
    .bind(&wamid)
    .bind(&business.phone_number_id)
    .bind(&wa_id)
    .bind(&kind)
    .bind(sqlx::types::Json(&message))
    .bind(&profile_name)
    .execute(&mut *tx)
    .await?;
    let value = json!({
        "contacts": [{"profile": {"name": profile_name}, "wa_id": wa_id}],
        "messages": [message],
    });
    webhooks::enqueue(&mut tx, &app.settings(), &business, "messages", value).await?;
    tx.commit().await?;
    app.work.notify_one();
    Ok(Json(json!({"wamid": wamid})))
}

#[derive(Deserialize)]
pub struct ChatQuery {
    phone_number_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ChatRow {
    wamid: String,
    phone_number_id: String,
    direction: String,
    message_type: String,
    message: sqlx::types::Json<Value>,
    rendered: Option<sqlx::types::Json<Value>>,
    status: Option<String>,
    errors: Option<sqlx::types::Json<Value>>,
    profile_name: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// The whole chat in both directions, oldest first, with each business message's current status.
pub async fn chat(
    State(app): State<App>,
    Path(wa_id): Path<String>,
    Query(query): Query<ChatQuery>,
) -> Result<Json<Value>, ControlError> {
    let wa_id = parse_wa_id(&wa_id)?;
    let rows: Vec<ChatRow> = sqlx::query_as(
        "SELECT wamid, phone_number_id, direction, message_type, message, rendered, status, errors, profile_name, created_at
         FROM messages WHERE wa_id = $1 AND ($2::text IS NULL OR phone_number_id = $2)
         ORDER BY created_at, wamid",
    )
    .bind(&wa_id)
    .bind(&query.phone_number_id)
    .fetch_all(&app.pool)
    .await?;
    let messages: Vec<Value> = rows
        .into_iter()
        .map(|row| {
            json!({
                "wamid": row.wamid,
                "phone_number_id": row.phone_number_id,
                "direction": row.direction,
                "type": row.message_type,
                "message": row.message.0,
                "rendered": row.rendered.map(|r| r.0),
                "status": row.status,
                "errors": row.errors.map(|e| e.0),
                "profile_name": row.profile_name,
                "timestamp": row.created_at,
            })
        })
        .collect();
    let mut conn = app.pool.acquire().await?;
    let on_whatsapp = on_whatsapp(&mut conn, &wa_id).await?;
    Ok(Json(json!({"wa_id": wa_id, "on_whatsapp": on_whatsapp, "messages": messages})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_ending_in_0000_are_not_on_whatsapp() {
        assert!(!on_whatsapp_by_default("4915100000000"));
        assert!(on_whatsapp_by_default("4915112345678"));
    }

    #[test]
    fn inbound_messages_are_checked() {
        assert!(plan_inbound(&json!({"type": "text", "text": {"body": "hi"}})).is_ok());
        assert!(plan_inbound(&json!({"type": "text", "text": {}})).is_err());
        let reply = json!({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "y", "title": "Yes"}},
                           "context": {"id": "wamid.1"}});
        assert!(matches!(plan_inbound(&reply), Ok(InboundPlan::Ready(m)) if m.contains_key("context")));
        assert!(plan_inbound(&json!({"type": "interactive", "interactive": {"type": "nfm_reply"}})).is_err());
        assert!(matches!(plan_inbound(&json!({"type": "image", "image": {}})), Ok(InboundPlan::WithMedia { .. })));
        assert!(plan_inbound(&json!({"type": "telepathy", "telepathy": {}})).is_err());
    }
}
