//! Keeps each channel under its Cloud API throughput, in this process: a token bucket per channel
//! refilled at `rate` messages a second, holding at most one second's worth. Meta enforces its own
//! limit too (130429); this only avoids asking for refusals. Time is passed in.

use crate::domain::ChannelId;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Meta's default throughput for a business number: 80 messages a second.
pub const DEFAULT_RATE: u32 = 80;

#[derive(Debug)]
pub struct Throttle {
    rate: f64,
    buckets: HashMap<ChannelId, Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(DEFAULT_RATE)
    }
}

impl Throttle {
    /// `rate` messages a second per channel (at least one).
    pub fn new(rate: u32) -> Self {
        Self { rate: f64::from(rate.max(1)), buckets: HashMap::new() }
    }

    /// Takes one message's worth for `channel`, or says how long until there is one.
    pub fn take(&mut self, channel: ChannelId, now: Instant) -> Result<(), Duration> {
        let rate = self.rate;
        let bucket = self.buckets.entry(channel).or_insert(Bucket { tokens: rate, at: now });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(rate);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn a_burst_of_one_seconds_worth_then_the_rate() {
        let (mut throttle, channel, start) = (Throttle::new(4), ChannelId(Uuid::nil()), Instant::now());
        for _ in 0..4 {
            assert_eq!(throttle.take(channel, start), Ok(()));
        }
        let wait = throttle.take(channel, start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(250));
        assert_eq!(throttle.take(channel, start + Duration::from_millis(250)), Ok(()));
        assert!(throttle.take(channel, start + Duration::from_millis(260)).is_err());
    }

    #[test]
    fn channels_have_buckets_of_their_own() {
        let (mut throttle, start) = (Throttle::new(1), Instant::now());
        let (a, b) = (ChannelId(Uuid::from_u128(1)), ChannelId(Uuid::from_u128(2)));
        assert_eq!(throttle.take(a, start), Ok(()));
        assert!(throttle.take(a, start).is_err());
        assert_eq!(throttle.take(b, start), Ok(()), "another channel is not held up");
    }

    #[test]
    fn an_idle_channel_saves_up_no_more_than_one_second() {
        let (mut throttle, channel, start) = (Throttle::new(2), ChannelId(Uuid::nil()), Instant::now());
        assert_eq!(throttle.take(channel, start), Ok(()));
        let later = start + Duration::from_secs(60);
        assert_eq!(throttle.take(channel, later), Ok(()));
        assert_eq!(throttle.take(channel, later), Ok(()));
        assert!(throttle.take(channel, later).is_err());
    }
}
