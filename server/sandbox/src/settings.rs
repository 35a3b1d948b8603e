//! The sandbox's behaviour knobs (`/sandbox/config`): status timing, limits, review delay, faults.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgPool;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub status_delays_ms: StatusDelays,
    pub throughput_per_second: u32,
    pub pair_limit: PairLimit,
    pub template_review_delay_ms: u64,
    pub webhook_retry: WebhookRetry,
    pub faults: Faults,
}

/// Offsets from the moment a message is accepted. `read: null` means the customer never reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusDelays {
    pub sent: u64,
    pub delivered: u64,
    pub read: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairLimit {
    pub burst: u32,
    pub refill_seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookRetry {
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
    pub max_attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// Probability in [0, 1] that a webhook body is delivered twice.
    pub duplicate_deliveries: f64,
    /// Deliver "read" before "delivered", as Meta sometimes does.
    pub out_of_order_statuses: bool,
    /// How long the sandbox waits for the receiver before counting the attempt as failed.
    pub receiver_timeout_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            status_delays_ms: StatusDelays { sent: 200, delivered: 500, read: Some(1500) },
            throughput_per_second: 80,
            pair_limit: PairLimit { burst: 10, refill_seconds: 6.0 },
            template_review_delay_ms: 2000,
            webhook_retry: WebhookRetry { initial_backoff_ms: 1000, max_backoff_ms: 60_000, max_attempts: 12 },
            faults: Faults { duplicate_deliveries: 0.0, out_of_order_statuses: false, receiver_timeout_ms: 10_000 },
        }
    }
}

impl Settings {
    /// Applies a partial JSON document (any subset of the fields, nested) on top of these settings.
    pub fn merged(&self, patch: &Value) -> Result<Settings, String> {
        let mut current = serde_json::to_value(self).map_err(|e| e.to_string())?;
        merge(&mut current, patch);
        let settings: Settings = serde_json::from_value(current).map_err(|e| e.to_string())?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), String> {
        if !(1..=1000).contains(&self.throughput_per_second) {
            return Err("throughput_per_second must be between 1 and 1000".into());
        }
        if self.pair_limit.burst == 0 || self.pair_limit.refill_seconds <= 0.0 {
            return Err("pair_limit needs a burst of at least 1 and a positive refill_seconds".into());
        }
        if !(0.0..=1.0).contains(&self.faults.duplicate_deliveries) {
            return Err("faults.duplicate_deliveries is a probability between 0.0 and 1.0".into());
        }
        if self.faults.receiver_timeout_ms == 0 {
            return Err("faults.receiver_timeout_ms must be positive".into());
        }
        if self.webhook_retry.max_attempts == 0 || self.webhook_retry.initial_backoff_ms == 0 {
            return Err("webhook_retry needs at least one attempt and a positive initial backoff".into());
        }
        Ok(())
    }

    pub async fn load(pool: &PgPool) -> Result<Settings, sqlx::Error> {
        let stored: Option<sqlx::types::Json<Value>> =
            sqlx::query_scalar("SELECT settings FROM settings WHERE id").fetch_optional(pool).await?;
        // Settings saved by an older sandbox may lack newer fields: merging keeps the defaults for them.
        Ok(stored.and_then(|s| Settings::default().merged(&s.0).ok()).unwrap_or_default())
    }

    pub async fn save(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO settings (id, settings) VALUES (true, $1)
             ON CONFLICT (id) DO UPDATE SET settings = EXCLUDED.settings",
        )
        .bind(sqlx::types::Json(self))
        .execute(pool)
        .await?;
        Ok(())
    }
}

fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                match target.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => merge(existing, value),
                    _ => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn partial_patch_keeps_other_fields() {
        let s = Settings::default().merged(&json!({"status_delays_ms": {"sent": 5}})).unwrap();
        assert_eq!(s.status_delays_ms.sent, 5);
        assert_eq!(s.status_delays_ms.delivered, 500);
        assert_eq!(s.throughput_per_second, 80);
    }

    #[test]
    fn rejects_out_of_range_values_and_unknown_fields() {
        assert!(Settings::default().merged(&json!({"throughput_per_second": 1001})).is_err());
        assert!(Settings::default().merged(&json!({"faults": {"duplicate_deliveries": 1.5}})).is_err());
        assert!(Settings::default().merged(&json!({"nonsense": 1})).is_err());
    }

    #[test]
    fn read_can_be_disabled() {
        let s = Settings::default().merged(&json!({"status_delays_ms": {"read": null}})).unwrap();
        assert_eq!(s.status_delays_ms.read, None);
    }
}
