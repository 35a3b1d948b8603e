//! The durable webhook outbox: payloads are stored with the state change that caused them, then a
//! worker POSTs them, signed with the app secret, retrying with exponential backoff.

use crate::business::Business;
use crate::meta_json::to_ascii_json;
use crate::settings::Settings;
use crate::{App, ids};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use sqlx::PgConnection;
use std::time::Duration;

/// Wraps a change value in Meta's envelope and queues it (twice when the duplicate fault fires).
/// `messages` changes get `messaging_product` and `metadata` like Meta's.
pub async fn enqueue(
    tx: &mut PgConnection,
    settings: &Settings,
    business: &Business,
    field: &str,
    mut value: Value,
) -> Result<(), sqlx::Error> {
    if field == "messages"
        && let Value::Object(map) = &mut value
    {
        map.insert("messaging_product".into(), json!("whatsapp"));
        map.insert(
            "metadata".into(),
            json!({"display_phone_number": business.display_digits(), "phone_number_id": business.phone_number_id}),
        );
    }
    let envelope = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": business.waba_id, "changes": [{"value": value, "field": field}]}],
    });
    let body = to_ascii_json(&envelope).into_bytes();
    let copies = if ids::random_fraction() < settings.faults.duplicate_deliveries { 2 } else { 1 };
    for _ in 0..copies {
        sqlx::query("INSERT INTO webhook_deliveries (waba_id, phone_number_id, field, body) VALUES ($1, $2, $3, $4)")
            .bind(&business.waba_id)
            .bind(&business.phone_number_id)
            .bind(field)
            .bind(&body)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

pub fn signature(app_secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Exponential backoff after the given number of failed attempts, capped.
pub fn backoff(settings: &Settings, failed_attempts: u32) -> Duration {
    let retry = &settings.webhook_retry;
    let factor = 2u64.saturating_pow(failed_attempts.saturating_sub(1));
    Duration::from_millis(retry.initial_backoff_ms.saturating_mul(factor).min(retry.max_backoff_ms.max(retry.initial_backoff_ms)))
}

#[derive(sqlx::FromRow)]
struct Delivery {
    id: i64,
    body: Vec<u8>,
    attempts: i32,
    url: Option<String>,
    app_secret: String,
}

/// Claims due deliveries and sends each in its own task, so a slow receiver holds up nothing else.
/// The lease outlasts the receiver timeout; after a crash, leased deliveries are retried.
pub async fn deliver_due(app: &App) -> Result<usize, sqlx::Error> {
    let settings = app.settings();
    let lease_seconds = settings.faults.receiver_timeout_ms as f64 / 1000.0 + 30.0;
    let due: Vec<Delivery> = sqlx::query_as(
        "WITH due AS (
             SELECT id FROM webhook_deliveries
             WHERE state = 'pending' AND next_attempt_at <= now()
             ORDER BY next_attempt_at LIMIT 32 FOR UPDATE SKIP LOCKED)
         UPDATE webhook_deliveries d SET next_attempt_at = now() + make_interval(secs => $1)
         FROM due, businesses b LEFT JOIN subscriptions s ON s.waba_id = b.waba_id
         WHERE d.id = due.id AND b.phone_number_id = d.phone_number_id
         RETURNING d.id, d.body, d.attempts,
                   CASE WHEN s.waba_id IS NULL THEN NULL ELSE coalesce(s.callback_url, b.callback_url) END AS url,
                   b.app_secret",
    )
    .bind(lease_seconds)
    .fetch_all(&app.pool)
    .await?;
    let count = due.len();
    for delivery in due {
        let app = app.clone();
        let settings = settings.clone();
        tokio::spawn(async move {
            if let Err(error) = deliver(&app, &settings, delivery).await {
                tracing::warn!(%error, "could not record a webhook delivery attempt");
            }
            // A failed attempt may be due again soon: let the worker look.
            app.work.notify_one();
        });
    }
    Ok(count)
}

async fn deliver(app: &App, settings: &Settings, delivery: Delivery) -> Result<(), sqlx::Error> {
    let Some(url) = delivery.url else {
        sqlx::query(
            "UPDATE webhook_deliveries SET state = 'no_subscriber', updated_at = clock_timestamp(),
                    last_error = 'the WABA has no subscribed app with a callback URL' WHERE id = $1",
        )
        .bind(delivery.id)
        .execute(&app.pool)
        .await?;
        return Ok(());
    };
    let response = app
        .http
        .post(&url)
        .header("Content-Type", "application/json")
        .header("X-Hub-Signature-256", signature(&delivery.app_secret, &delivery.body))
        .timeout(Duration::from_millis(settings.faults.receiver_timeout_ms))
        .body(delivery.body)
        .send()
        .await;
    let (status_code, error) = match response {
        Ok(response) if response.status().as_u16() == 200 => (Some(200), None),
        Ok(response) => (Some(i32::from(response.status().as_u16())), Some(format!("HTTP {}", response.status()))),
        Err(error) if error.is_timeout() => (None, Some("receiver timed out".to_owned())),
        Err(error) => (None, Some(format!("could not reach the receiver: {error}"))),
    };
    let attempts = delivery.attempts + 1;
    let (state, next) = match &error {
        None => ("delivered", Duration::ZERO),
        Some(_) if attempts as u32 >= settings.webhook_retry.max_attempts => ("failed", Duration::ZERO),
        Some(_) => ("pending", backoff(settings, attempts as u32)),
    };
    sqlx::query(
        "UPDATE webhook_deliveries SET state = $2, attempts = $3, last_url = $4, last_status_code = $5, last_error = $6,
                next_attempt_at = clock_timestamp() + make_interval(secs => $7), updated_at = clock_timestamp()
         WHERE id = $1",
    )
    .bind(delivery.id)
    .bind(state)
    .bind(attempts)
    .bind(&url)
    .bind(status_code)
    .bind(&error)
    .bind(next.as_secs_f64())
    .execute(&app.pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signature_is_hmac_sha256_hex_of_the_body() {
        // Reference value: printf '{"a":1}' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            signature("secret", br#"{"a":1}"#),
            "sha256=aa9e2e3575f5d7098b6caccd790888c36d5fdb63342a73bada2d6a51747a8494"
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let settings = Settings::default()
            .merged(&json!({"webhook_retry": {"initial_backoff_ms": 1000, "max_backoff_ms": 60000}}))
            .unwrap();
        assert_eq!(backoff(&settings, 1), Duration::from_secs(1));
        assert_eq!(backoff(&settings, 2), Duration::from_secs(2));
        assert_eq!(backoff(&settings, 4), Duration::from_secs(8));
        assert_eq!(backoff(&settings, 30), Duration::from_secs(60));
    }
}
