//! `POST /{phone-number-id}/messages`: validate like Meta, enforce the limits, accept, and schedule
//! what happens next (sent → delivered → read, or an asynchronous failure), and the status
//! webhooks that report it.

use crate::business::{Business, authorize_number, bearer};
use crate::graph_error::GraphError;
use crate::send::{self, OutboundMessage};
use crate::settings::Settings;
use crate::templates::{self, StoredTemplate};
use crate::{App, customers, ids, webhooks};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};
use sqlx::PgConnection;
use std::time::Instant;

pub async fn send(
    State(app): State<App>,
    Path((version, phone_number_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Result<Json<Value>, GraphError> {
    crate::graph::check_version(&version)?;
    let business = authorize_number(&app, bearer(&headers, query.as_deref()), &phone_number_id).await?;
    let body: Value = serde_json::from_slice(&body)
        .map_err(|_| GraphError::invalid_parameter("Invalid parameter: the body must be a JSON object"))?;
    if let Some(read) = send::mark_as_read(&body) {
        return mark_read(&app, &business, &read?).await;
    }
    let message = send::validate(&body)?;
    let template = match &message.template {
        Some(call) => Some(approved_template(&app, &business, call).await?),
        None => None,
    };
    let rendered = match (&template, &message.template) {
        (Some(template), Some(call)) => Some(templates::render(template, &call.components)?),
        _ => None,
    };
    let settings = app.settings();
    app.limiter.admit(&business.phone_number_id, &message.wa_id, &settings, Instant::now())?;

    let wamid = ids::wamid();
    let mut tx = app.pool.begin().await?;
    sqlx::query(
        "INSERT INTO messages (wamid, phone_number_id, wa_id, direction, message_type, message, rendered, status)
         VALUES ($1, $2, $3, 'outbound', $4, $5, $6, 'accepted')",
    )
    .bind(&wamid)
    .bind(&business.phone_number_id)
    .bind(&message.wa_id)
    .bind(&message.kind)
    .bind(sqlx::types::Json(&body))
    .bind(rendered.map(sqlx::types::Json))
    .execute(&mut *tx)
    .await?;
    schedule_outcome(&mut tx, &settings, &business, &message, template.as_ref(), &wamid).await?;
    tx.commit().await?;
    app.work.notify_one();
    Ok(Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": message.input, "wa_id": message.wa_id}],
        "messages": [{"id": wamid, "message_status": "accepted"}],
    })))
}

async fn approved_template(
    app: &App,
    business: &Business,
    call: &send::TemplateCall,
) -> Result<StoredTemplate, GraphError> {
    let missing = || {
        GraphError::template_missing(format!("template name ({}) does not exist in {}", call.name, call.language))
    };
    let template = templates::find_for_send(app, &business.waba_id, &call.name, &call.language)
        .await?
        .ok_or_else(missing)?;
    match template.status.as_str() {
        "APPROVED" => Ok(template),
        "PAUSED" => Err(GraphError::template_paused(format!("Template {} is paused", call.name))),
        "DISABLED" => Err(GraphError::template_disabled(format!("Template {} is disabled", call.name))),
        _ => Err(missing()),
    }
}

async fn mark_read(app: &App, business: &Business, wamid: &str) -> Result<Json<Value>, GraphError> {
    let updated = sqlx::query(
        "UPDATE messages SET status = 'read'
         WHERE wamid = $1 AND phone_number_id = $2 AND direction = 'inbound'",
    )
    .bind(wamid)
    .bind(&business.phone_number_id)
    .execute(&app.pool)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(GraphError::parameter_not_valid(format!(
            "message_id {wamid} is not a message this number received"
        )));
    }
    Ok(Json(json!({"success": true})))
}

fn failure(code: u32, title: &str, details: &str) -> Value {
    json!([{
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details},
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
    }])
}

/// Decides now, from the rules in force at acceptance, which statuses the message will go through.
async fn schedule_outcome(
    tx: &mut PgConnection,
    settings: &Settings,
    business: &Business,
    message: &OutboundMessage,
    template: Option<&StoredTemplate>,
    wamid: &str,
) -> Result<(), sqlx::Error> {
    let delays = &settings.status_delays_ms;
    let mut plan: Vec<(&str, u64, Option<Value>)> = Vec::new();
    if !customers::on_whatsapp(&mut *tx, &message.wa_id).await? {
        plan.push((
            "failed",
            delays.sent,
            Some(failure(131026, "Message undeliverable", "Message Undeliverable.")),
        ));
    } else if template.is_none() && !customers::window_open(&mut *tx, &business.phone_number_id, &message.wa_id).await? {
        plan.push((
            "failed",
            delays.sent,
            Some(failure(
                131047,
                "Re-engagement message",
                "Message failed to send because more than 24 hours have passed since the customer last replied to \
                 this number.",
            )),
        ));
    } else {
        plan.push(("sent", delays.sent, None));
        let delivered = delays.delivered.max(delays.sent);
        match delays.read.map(|read| read.max(delivered)) {
            Some(read) if settings.faults.out_of_order_statuses => {
                plan.push(("read", delivered, None));
                plan.push(("delivered", read, None));
            }
            Some(read) => {
                plan.push(("delivered", delivered, None));
                plan.push(("read", read, None));
            }
            None => plan.push(("delivered", delivered, None)),
        }
    }
    let pricing = match template {
        Some(template) => json!({"billable": true, "pricing_model": "PMP", "type": "regular",
                                 "category": template.category.to_ascii_lowercase()}),
        None => json!({"billable": false, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"}),
    };
    for (status, delay_ms, errors) in plan {
        let pricing = (status != "failed").then(|| sqlx::types::Json(pricing.clone()));
        sqlx::query(
            "INSERT INTO scheduled_statuses (wamid, status, errors, pricing, due_at)
             VALUES ($1, $2, $3, $4, clock_timestamp() + make_interval(secs => $5))",
        )
        .bind(wamid)
        .bind(status)
        .bind(errors.map(sqlx::types::Json))
        .bind(pricing)
        .bind(delay_ms as f64 / 1000.0)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct DueStatus {
    id: i64,
    wamid: String,
    status: String,
    errors: Option<sqlx::types::Json<Value>>,
    pricing: Option<sqlx::types::Json<Value>>,
    phone_number_id: String,
    wa_id: String,
    opaque: Option<String>,
}

/// Applies the statuses that are due and queues their webhooks, in one transaction.
pub async fn apply_due_statuses(app: &App) -> Result<usize, sqlx::Error> {
    let mut tx = app.pool.begin().await?;
    let due: Vec<DueStatus> = sqlx::query_as(
        "SELECT s.id, s.wamid, s.status, s.errors, s.pricing, m.phone_number_id, m.wa_id,
                m.message->>'biz_opaque_callback_data' AS opaque
         FROM scheduled_statuses s JOIN messages m ON m.wamid = s.wamid
         WHERE s.due_at <= clock_timestamp()
         ORDER BY s.due_at, s.id LIMIT 200 FOR UPDATE OF s SKIP LOCKED",
    )
    .fetch_all(&mut *tx)
    .await?;
    let settings = app.settings();
    for DueStatus { id, wamid, status, errors, pricing, phone_number_id, wa_id, opaque } in &due {
        // Monotonic like the real thing: a late "delivered" does not downgrade "read"; failed is final.
        sqlx::query(
            "UPDATE messages SET status = $2, errors = $3
             WHERE wamid = $1 AND status <> 'failed'
               AND array_position(ARRAY['accepted','sent','delivered','read'], status)
                   < coalesce(array_position(ARRAY['accepted','sent','delivered','read'], $2), 99)",
        )
        .bind(wamid)
        .bind(status)
        .bind(errors)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM scheduled_statuses WHERE id = $1").bind(id).execute(&mut *tx).await?;
        let Some(business) = Business::find(&app.pool, phone_number_id).await? else { continue };
        let mut entry = json!({
            "id": wamid,
            "status": status,
            "timestamp": chrono::Utc::now().timestamp().to_string(),
            "recipient_id": wa_id,
        });
        if let Some(pricing) = pricing {
            entry["pricing"] = pricing.0.clone();
        }
        if let Some(errors) = errors {
            entry["errors"] = errors.0.clone();
        }
        if let Some(opaque) = opaque {
            entry["biz_opaque_callback_data"] = json!(opaque);
        }
        webhooks::enqueue(&mut tx, &settings, &business, "messages", json!({"statuses": [entry]})).await?;
    }
    tx.commit().await?;
    Ok(due.len())
}
