//! The sandbox's own control API (`/sandbox/...`): a local development tool, no authentication.

use crate::App;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug)]
pub struct ControlError {
    status: StatusCode,
    message: String,
}

impl ControlError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ControlError { status: StatusCode::BAD_REQUEST, message: message.into() }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ControlError { status: StatusCode::NOT_FOUND, message: message.into() }
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

impl From<sqlx::Error> for ControlError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "sandbox database error");
        ControlError { status: StatusCode::INTERNAL_SERVER_ERROR, message: "database error".into() }
    }
}

pub async fn get_settings(State(app): State<App>) -> Json<Value> {
    Json(json!(app.settings()))
}

pub async fn put_settings(State(app): State<App>, Json(patch): Json<Value>) -> Result<Json<Value>, ControlError> {
    let settings = app.settings().merged(&patch).map_err(ControlError::bad_request)?;
    settings.save(&app.pool).await?;
    app.set_settings(settings.clone());
    Ok(Json(json!(settings)))
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    waba_id: String,
    phone_number_id: String,
    field: String,
    body: Vec<u8>,
    state: String,
    attempts: i32,
    last_url: Option<String>,
    last_status_code: Option<i32>,
    last_error: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Deserialize)]
pub struct LogQuery {
    limit: Option<i64>,
}

/// The most recent webhook deliveries, newest first, with their bodies, for debugging receivers.
pub async fn webhook_log(State(app): State<App>, Query(query): Query<LogQuery>) -> Result<Json<Value>, ControlError> {
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT id, waba_id, phone_number_id, field, body, state, attempts, last_url, last_status_code,
                last_error, created_at, updated_at
         FROM webhook_deliveries ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&app.pool)
    .await?;
    let deliveries: Vec<Value> = rows
        .into_iter()
        .map(|row| {
            json!({
                "id": row.id,
                "waba_id": row.waba_id,
                "phone_number_id": row.phone_number_id,
                "field": row.field,
                "state": row.state,
                "attempts": row.attempts,
                "url": row.last_url,
                "status_code": row.last_status_code,
                "error": row.last_error,
                "created_at": row.created_at,
                "updated_at": row.updated_at,
                "body": serde_json::from_slice::<Value>(&row.body).unwrap_or(Value::Null),
            })
        })
        .collect();
    Ok(Json(json!({ "deliveries": deliveries })))
}
