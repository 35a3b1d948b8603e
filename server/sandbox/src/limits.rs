//! The two send limits Meta enforces synchronously: the number's throughput (messages per second)
//! and the pair limit (one business number sending to one customer too fast). Kept in memory: a
//! restart forgives everyone, as it would after a minute anyway.

use crate::graph_error::GraphError;
use crate::settings::Settings;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone, Copy)]
struct TokenBucket {
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    fn full(capacity: f64, now: Instant) -> Self {
        TokenBucket { tokens: capacity, updated: now }
    }

    fn try_take(&mut self, capacity: f64, per_second: f64, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_second).min(capacity);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[derive(Default)]
pub struct Limiter {
    buckets: Mutex<Buckets>,
}

#[derive(Default)]
struct Buckets {
    numbers: HashMap<String, TokenBucket>,
    pairs: HashMap<(String, String), TokenBucket>,
}

impl Limiter {
    pub fn admit(&self, phone_number_id: &str, wa_id: &str, settings: &Settings, now: Instant) -> Result<(), GraphError> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let rate = f64::from(settings.throughput_per_second);
        let number = buckets
            .numbers
            .entry(phone_number_id.to_owned())
            .or_insert_with(|| TokenBucket::full(rate, now));
        if !number.try_take(rate, rate, now) {
            return Err(GraphError::throughput_reached());
        }
        let burst = f64::from(settings.pair_limit.burst);
        let pair = buckets
            .pairs
            .entry((phone_number_id.to_owned(), wa_id.to_owned()))
            .or_insert_with(|| TokenBucket::full(burst, now));
        if !pair.try_take(burst, 1.0 / settings.pair_limit.refill_seconds, now) {
            return Err(GraphError::pair_rate_limit());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    fn settings(throughput: u32, burst: u32) -> Settings {
        Settings::default()
            .merged(&json!({"throughput_per_second": throughput, "pair_limit": {"burst": burst, "refill_seconds": 6.0}}))
            .unwrap()
    }

    #[test]
    fn throughput_refuses_beyond_the_rate_then_refills() {
        let limiter = Limiter::default();
        let s = settings(2, 100);
        let t0 = Instant::now();
        assert!(limiter.admit("p", "1", &s, t0).is_ok());
        assert!(limiter.admit("p", "2", &s, t0).is_ok());
        assert_eq!(limiter.admit("p", "3", &s, t0).unwrap_err().code, 130429);
        assert!(limiter.admit("p", "3", &s, t0 + Duration::from_millis(600)).is_ok());
        assert!(limiter.admit("other", "3", &s, t0).is_ok());
    }

    #[test]
    fn pair_limit_allows_a_burst_then_one_per_refill_period() {
        let limiter = Limiter::default();
        let s = settings(1000, 2);
        let t0 = Instant::now();
        assert!(limiter.admit("p", "c", &s, t0).is_ok());
        assert!(limiter.admit("p", "c", &s, t0).is_ok());
        assert_eq!(limiter.admit("p", "c", &s, t0).unwrap_err().code, 131056);
        assert!(limiter.admit("p", "other", &s, t0).is_ok());
        assert!(limiter.admit("p", "c", &s, t0 + Duration::from_secs(6)).is_ok());
    }
}
