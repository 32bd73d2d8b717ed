//! Per-source-IP token buckets. Time is passed in, so tests never depend on the clock.

use crate::config::RateLimit;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Above this many tracked sources, buckets that have refilled completely are dropped (they
/// behave exactly like a source never seen), so a scan from many addresses cannot grow memory
/// without bound.
const MAX_TRACKED_SOURCES: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Token buckets keyed by source address.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> RateLimiter {
        RateLimiter { limit, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token for `source`, or says how long until one is available.
    pub(crate) fn check(&self, source: IpAddr, now: Instant) -> Result<(), Duration> {
        let burst = f64::from(self.limit.burst);
        let rate = self.limit.per_second;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_TRACKED_SOURCES && !buckets.contains_key(&source) {
            buckets.retain(|_, b| {
                let refilled =
                    b.tokens + now.saturating_duration_since(b.last).as_secs_f64() * rate;
                refilled < burst
            });
        }
        let bucket = buckets.entry(source).or_insert(Bucket { tokens: burst, last: now });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let missing = 1.0 - bucket.tokens;
        let wait = if rate > 0.0 { missing / rate } else { 3600.0 };
        Err(Duration::from_secs_f64(wait.min(3600.0)))
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.buckets.lock().map(|b| b.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn burst_then_refill() {
        let limiter = RateLimiter::new(RateLimit { burst: 3, per_second: 2.0 });
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.check(A, t0).unwrap();
        }
        let wait = limiter.check(A, t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500), "one token at 2/s");
        limiter.check(B, t0).expect("sources have separate buckets");
        limiter.check(A, t0 + Duration::from_millis(500)).expect("refilled one token");
        assert!(limiter.check(A, t0 + Duration::from_millis(500)).is_err());
        // A long pause refills to the burst, not beyond.
        let later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            limiter.check(A, later).unwrap();
        }
        assert!(limiter.check(A, later).is_err());
    }

    #[test]
    fn idle_sources_are_forgotten_when_many() {
        let limiter = RateLimiter::new(RateLimit { burst: 1, per_second: 1.0 });
        let t0 = Instant::now();
        for i in 0..MAX_TRACKED_SOURCES as u32 {
            limiter.check(IpAddr::V4(Ipv4Addr::from(i)), t0).unwrap();
        }
        assert_eq!(limiter.tracked(), MAX_TRACKED_SOURCES);
        limiter.check(A, t0 + Duration::from_secs(5)).unwrap();
        assert_eq!(limiter.tracked(), 1, "every old bucket had refilled, so all were dropped");
    }
}
