//! A fixed-window rate limiter for sign-in and sign-up (per client address and per email).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    limit: u32,
    window: Duration,
    hits: Mutex<HashMap<String, (Instant, u32)>>,
}

/// Above this many tracked keys, expired windows are dropped.
const SWEEP_AT: usize = 10_000;

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one attempt for each key; `false` if any of them is over the limit.
    pub fn allow(&self, keys: &[String]) -> bool {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if hits.len() > SWEEP_AT {
            hits.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let mut allowed = true;
        for key in keys {
            let entry = hits.entry(key.clone()).or_insert((now, 0));
            if now.duration_since(entry.0) >= self.window {
                *entry = (now, 0);
            }
            entry.1 += 1;
            allowed &= entry.1 <= self.limit;
        }
        allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_resets() {
        let limiter = RateLimiter::new(2, Duration::from_millis(50));
        let a = vec!["ip:1".to_owned()];
        assert!(limiter.allow(&a) && limiter.allow(&a));
        assert!(!limiter.allow(&a));
        assert!(limiter.allow(&["ip:2".to_owned()]));
        std::thread::sleep(Duration::from_millis(60));
        assert!(limiter.allow(&a));
    }
}
