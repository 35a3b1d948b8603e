//! Graph API objects other than messages, media and templates: phone numbers, registration and
//! the WABA's app subscription with Meta's callback verification handshake.

use crate::business::{Business, authorize_number, authorize_waba, bearer};
use crate::graph_error::GraphError;
use crate::{App, ids, media};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// Any `v{N}.{M}` prefix is accepted, as Meta serves every supported version.
pub fn check_version(version: &str) -> Result<(), GraphError> {
    let valid = version.strip_prefix('v').and_then(|rest| rest.split_once('.')).is_some_and(|(major, minor)| {
        !major.is_empty() && !minor.is_empty() && (major.chars().chain(minor.chars())).all(|c| c.is_ascii_digit())
    });
    if valid { Ok(()) } else { Err(GraphError::unknown_path()) }
}

pub async fn unknown_path() -> GraphError {
    GraphError::unknown_path()
}

fn phone_number_json(business: &Business) -> Value {
    json!({
        "verified_name": business.verified_name,
        "display_phone_number": business.display_phone_number,
        "quality_rating": "GREEN",
        "code_verification_status": "VERIFIED",
        "platform_type": "CLOUD_API",
        "id": business.phone_number_id,
    })
}

/// `GET /{id}`: a phone number or a media object.
pub async fn get_object(
    State(app): State<App>,
    Path((version, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, GraphError> {
    check_version(&version)?;
    let token = bearer(&headers, query.as_deref()).ok_or_else(GraphError::invalid_token)?;
    if Business::find(&app.pool, &id).await?.is_some() {
        let business = authorize_number(&app, Some(token), &id).await?;
        return Ok(Json(phone_number_json(&business)));
    }
    match media::describe(&app, &token, &id).await? {
        Some(media) => Ok(Json(media)),
        None => Err(crate::business::refuse(&app.pool, &token, &id).await),
    }
}

pub async fn register(
    State(app): State<App>,
    Path((version, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Result<Json<Value>, GraphError> {
    check_version(&version)?;
    authorize_number(&app, bearer(&headers, query.as_deref()), &id).await?;
    let params = params(query.as_deref(), &body);
    let pin = params.get("pin").and_then(Value::as_str).unwrap_or_default();
    if pin.len() != 6 || !pin.chars().all(|c| c.is_ascii_digit()) {
        return Err(GraphError::invalid_parameter("The parameter pin is required and has 6 digits."));
    }
    Ok(Json(json!({"success": true})))
}

pub async fn phone_numbers(
    State(app): State<App>,
    Path((version, waba_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, GraphError> {
    check_version(&version)?;
    authorize_waba(&app, bearer(&headers, query.as_deref()), &waba_id).await?;
    let numbers: Vec<String> =
        sqlx::query_scalar("SELECT phone_number_id FROM businesses WHERE waba_id = $1 ORDER BY phone_number_id")
            .bind(&waba_id)
            .fetch_all(&app.pool)
            .await?;
    let mut data = Vec::new();
    for id in numbers {
        if let Some(business) = Business::find(&app.pool, &id).await? {
            data.push(phone_number_json(&business));
        }
    }
    Ok(Json(json!({"data": data})))
}

pub async fn subscribed_apps(
    State(app): State<App>,
    Path((version, waba_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, GraphError> {
    check_version(&version)?;
    authorize_waba(&app, bearer(&headers, query.as_deref()), &waba_id).await?;
    let subscription: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT app_id, callback_url FROM subscriptions WHERE waba_id = $1")
            .bind(&waba_id)
            .fetch_optional(&app.pool)
            .await?;
    let data: Vec<Value> = subscription
        .into_iter()
        .map(|(app_id, callback_url)| {
            let mut entry = json!({"whatsapp_business_api_data": {
                "id": app_id,
                "link": format!("https://www.facebook.com/games/?app_id={app_id}"),
                "name": format!("Sandbox app {app_id}"),
            }});
            if let Some(url) = callback_url {
                entry["override_callback_uri"] = json!(url);
            }
            entry
        })
        .collect();
    Ok(Json(json!({"data": data})))
}

/// Subscribes the app to the WABA. With `override_callback_uri`, Meta first checks that the
/// receiver answers its verification GET by echoing the challenge; so does the sandbox.
pub async fn subscribe(
    State(app): State<App>,
    Path((version, waba_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Result<Json<Value>, GraphError> {
    check_version(&version)?;
    let business = authorize_waba(&app, bearer(&headers, query.as_deref()), &waba_id).await?;
    let params = params(query.as_deref(), &body);
    let text = |key: &str| params.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
    let callback_url = text("override_callback_uri");
    let verify_token = text("verify_token");
    if let Some(url) = &callback_url {
        let token = verify_token.as_deref().ok_or_else(|| {
            GraphError::invalid_parameter("The parameter verify_token is required with override_callback_uri.")
        })?;
        verify_callback(&app, url, token).await?;
    }
    sqlx::query(
        "INSERT INTO subscriptions (waba_id, app_id, callback_url, verify_token) VALUES ($1, $2, $3, $4)
         ON CONFLICT (waba_id) DO UPDATE SET app_id = EXCLUDED.app_id, callback_url = EXCLUDED.callback_url,
                                             verify_token = EXCLUDED.verify_token",
    )
    .bind(&waba_id)
    .bind(&business.app_id)
    .bind(&callback_url)
    .bind(&verify_token)
    .execute(&app.pool)
    .await?;
    Ok(Json(json!({"success": true})))
}

async fn verify_callback(app: &App, url: &str, verify_token: &str) -> Result<(), GraphError> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(GraphError::invalid_parameter("override_callback_uri must be an http(s) URL."));
    }
    let challenge = (ids::random_fraction() * 1e10) as u64 + 1;
    let challenge = challenge.to_string();
    let refused = |why: String| {
        GraphError::invalid_parameter(format!("Callback verification failed with the following errors: {why}"))
    };
    let response = app
        .http
        .get(url)
        .query(&[("hub.mode", "subscribe"), ("hub.verify_token", verify_token), ("hub.challenge", challenge.as_str())])
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| refused(format!("could not reach {url}: {e}")))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if status.as_u16() != 200 {
        return Err(refused(format!("HTTP Status Code = {}", status.as_u16())));
    }
    if body != challenge {
        return Err(refused("the response did not match the challenge (hub.challenge)".into()));
    }
    Ok(())
}

pub async fn unsubscribe(
    State(app): State<App>,
    Path((version, waba_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, GraphError> {
    check_version(&version)?;
    authorize_waba(&app, bearer(&headers, query.as_deref()), &waba_id).await?;
    sqlx::query("DELETE FROM subscriptions WHERE waba_id = $1").bind(&waba_id).execute(&app.pool).await?;
    Ok(Json(json!({"success": true})))
}

/// Graph takes parameters from the query string, a JSON body or a form body, merged.
fn params(query: Option<&str>, body: &[u8]) -> Map<String, Value> {
    let mut params = match form_to_json(query.unwrap_or_default().as_bytes()) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let body = serde_json::from_slice::<Value>(body).unwrap_or_else(|_| form_to_json(body));
    if let Value::Object(map) = body {
        params.extend(map);
    }
    params
}

/// A urlencoded form as a JSON object; values that are JSON arrays or objects are decoded, as
/// Graph does for form posts.
pub fn form_to_json(body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body);
    let map: Map<String, Value> = text
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value);
            let parsed = match serde_json::from_str::<Value>(&value) {
                Ok(json @ (Value::Array(_) | Value::Object(_))) => json,
                _ => Value::String(value),
            };
            (percent_decode(key), parsed)
        })
        .collect();
    Value::Object(map)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'+', _, _) => out.push(b' '),
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 2;
            }
            (byte, _, _) => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(check_version("v21.0").is_ok());
        assert!(check_version("v9.0").is_ok());
        assert!(check_version("sandbox").is_err());
        assert!(check_version("v21").is_err());
    }

    #[test]
    fn forms_decode_with_json_values() {
        let form = form_to_json(b"override_callback_uri=http%3A%2F%2Fx%2Fhook&verify_token=a+b&components=%5B1%5D&p=100%");
        assert_eq!(form["override_callback_uri"], "http://x/hook");
        assert_eq!(form["verify_token"], "a b");
        assert_eq!(form["components"], json!([1]));
        assert_eq!(form["p"], "100%");
    }
}
