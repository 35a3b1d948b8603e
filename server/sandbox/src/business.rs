//! Test business numbers (what Meta's developer dashboard provisions) and the bearer-token checks
//! every Graph call goes through.

use crate::control::ControlError;
use crate::graph_error::GraphError;
use crate::App;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::PgPool;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Business {
    pub phone_number_id: String,
    pub waba_id: String,
    pub app_id: String,
    pub app_secret: String,
    pub access_token: String,
    pub display_phone_number: String,
    pub verified_name: String,
    /// The app's own webhook callback (App Dashboard → WhatsApp → Configuration), used when the
    /// WABA is subscribed without `override_callback_uri`.
    pub callback_url: Option<String>,
}

const COLUMNS: &str =
    "phone_number_id, waba_id, app_id, app_secret, access_token, display_phone_number, verified_name, callback_url";

impl Business {
    pub async fn find(pool: &PgPool, phone_number_id: &str) -> Result<Option<Business>, sqlx::Error> {
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM businesses WHERE phone_number_id = $1"))
            .bind(phone_number_id)
            .fetch_optional(pool)
            .await
    }

    /// One number of the WABA, whose app secret signs the WABA-level webhooks (template reviews).
    pub async fn of_waba(pool: &PgPool, waba_id: &str) -> Result<Option<Business>, sqlx::Error> {
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM businesses WHERE waba_id = $1 ORDER BY phone_number_id LIMIT 1"))
            .bind(waba_id)
            .fetch_optional(pool)
            .await
    }

    /// The digits of the display number, which is how Meta fills `context.from`.
    pub fn display_digits(&self) -> String {
        self.display_phone_number.chars().filter(char::is_ascii_digit).collect()
    }
}

/// The token from `Authorization: Bearer …` (or `access_token=` in the query, which Graph accepts too).
pub fn bearer(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    let from_header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(|token| token.trim().to_owned());
    from_header.or_else(|| {
        query?.split('&').find_map(|pair| pair.strip_prefix("access_token=")).map(str::to_owned)
    })
}

async fn token_is_known(pool: &PgPool, token: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM businesses WHERE access_token = $1)")
        .bind(token)
        .fetch_one(pool)
        .await
}

/// A token no business holds is a 190; a valid token asking for an object it may not see gets
/// Meta's "does not exist, cannot be loaded due to missing permissions" 100.
pub async fn refuse(pool: &PgPool, token: &str, id: &str) -> GraphError {
    match token_is_known(pool, token).await {
        Ok(true) => GraphError::unknown_object(id),
        Ok(false) => GraphError::invalid_token(),
        Err(error) => error.into(),
    }
}

pub async fn authorize_number(app: &App, token: Option<String>, phone_number_id: &str) -> Result<Business, GraphError> {
    let token = token.ok_or_else(GraphError::invalid_token)?;
    match Business::find(&app.pool, phone_number_id).await? {
        Some(business) if business.access_token == token => Ok(business),
        _ => Err(refuse(&app.pool, &token, phone_number_id).await),
    }
}

pub async fn authorize_waba(app: &App, token: Option<String>, waba_id: &str) -> Result<Business, GraphError> {
    let token = token.ok_or_else(GraphError::invalid_token)?;
    let business: Option<Business> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM businesses WHERE waba_id = $1 AND access_token = $2 ORDER BY phone_number_id LIMIT 1"
    ))
    .bind(waba_id)
    .bind(&token)
    .fetch_optional(&app.pool)
    .await?;
    match business {
        Some(business) => Ok(business),
        None => Err(refuse(&app.pool, &token, waba_id).await),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessInput {
    waba_id: String,
    app_id: String,
    app_secret: String,
    access_token: String,
    display_phone_number: String,
    verified_name: String,
    callback_url: Option<String>,
}

fn is_graph_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_digit())
}

pub async fn upsert(
    State(app): State<App>,
    Path(phone_number_id): Path<String>,
    Json(input): Json<BusinessInput>,
) -> Result<Json<Value>, ControlError> {
    if !is_graph_id(&phone_number_id) || !is_graph_id(&input.waba_id) || !is_graph_id(&input.app_id) {
        return Err(ControlError::bad_request("phone_number_id, waba_id and app_id are numeric Graph ids"));
    }
    if input.app_secret.is_empty() || input.access_token.is_empty() {
        return Err(ControlError::bad_request("app_secret and access_token must not be empty"));
    }
    if !input.display_phone_number.chars().any(|c| c.is_ascii_digit()) || input.verified_name.trim().is_empty() {
        return Err(ControlError::bad_request("display_phone_number and verified_name are required"));
    }
    if let Some(url) = &input.callback_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(ControlError::bad_request("callback_url must be an http(s) URL"));
    }
    sqlx::query(
        "INSERT INTO businesses
             (phone_number_id, waba_id, app_id, app_secret, access_token, display_phone_number, verified_name, callback_url)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (phone_number_id) DO UPDATE SET
             waba_id = EXCLUDED.waba_id, app_id = EXCLUDED.app_id, app_secret = EXCLUDED.app_secret,
             access_token = EXCLUDED.access_token, display_phone_number = EXCLUDED.display_phone_number,
             verified_name = EXCLUDED.verified_name, callback_url = EXCLUDED.callback_url",
    )
    .bind(&phone_number_id)
    .bind(&input.waba_id)
    .bind(&input.app_id)
    .bind(&input.app_secret)
    .bind(&input.access_token)
    .bind(&input.display_phone_number)
    .bind(&input.verified_name)
    .bind(&input.callback_url)
    .execute(&app.pool)
    .await?;
    let business = Business::find(&app.pool, &phone_number_id)
        .await?
        .ok_or_else(|| ControlError::not_found("business vanished"))?;
    Ok(Json(describe(&app, &business)))
}

fn describe(app: &App, business: &Business) -> Value {
    let mut value = json!(business);
    value["graph_base_url"] = json!(app.graph_base_url());
    value
}

/// Includes the secrets on purpose: this is the "API setup" page's data, like Meta's dashboard.
pub async fn list(State(app): State<App>) -> Result<Json<Value>, ControlError> {
    let businesses: Vec<Business> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM businesses ORDER BY created_at, phone_number_id"))
            .fetch_all(&app.pool)
            .await?;
    let data: Vec<Value> = businesses.iter().map(|b| describe(&app, b)).collect();
    Ok(Json(json!({ "businesses": data, "graph_base_url": app.graph_base_url() })))
}
