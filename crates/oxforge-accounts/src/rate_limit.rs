//! Failure-counting limiters for sign-in and sign-up.
//!
//! A [`Limiter`] counts *failures* per key (a client address bucket, an address and an email, …).
//! A key with `free` failures behind it must wait before its next attempt; the wait starts at
//! `first_wait` and doubles with each further failure, up to `max_wait`; failures are forgotten
//! `forget_after` the last one. Attempts in flight count as failures until they end, so a burst
//! of concurrent attempts cannot slip past the limit; an attempt that succeeds, or is abandoned,
//! gives its place back. A correct password therefore only meets the failures of its own keys.
//!
//! Memory is bounded: at most `capacity` keys are tracked; the least recently touched is
//! forgotten to make room.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

use oxforge_edge::client_ip::{self, TrustedProxies};

use crate::AccountsSettings;

/// How a limiter treats failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures allowed before any wait.
    pub free: u32,
    /// The wait after the `free`-th failure; each further failure doubles it.
    pub first_wait: Duration,
    pub max_wait: Duration,
    /// Failures are forgotten this long after the last one.
    pub forget_after: Duration,
}

impl Policy {
    /// `limit` failures, then one attempt per `window`; forgotten after a quiet `window`.
    pub fn per_window(limit: u32, window: Duration) -> Policy {
        Policy {
            free: limit,
            first_wait: window,
            max_wait: window,
            forget_after: window,
        }
    }

    fn wait_after(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(self.free).min(31);
        self.first_wait
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.max_wait)
            .min(self.max_wait)
    }
}

/// Tracked keys per limiter, at most.
pub const DEFAULT_CAPACITY: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    pending: u32,
    last_failure: Instant,
    blocked_until: Option<Instant>,
    /// Position in the eviction order.
    touched: u64,
}

/// Keys and their recency, bounded.
#[derive(Default)]
struct Table {
    entries: HashMap<String, Entry>,
    order: BTreeMap<u64, String>,
    clock: u64,
}

impl Table {
    fn touch(&mut self, key: &str, capacity: usize, now: Instant) -> &mut Entry {
        self.clock += 1;
        let tick = self.clock;
        if let Some(entry) = self.entries.get(key) {
            self.order.remove(&entry.touched);
        } else {
            while self.entries.len() >= capacity.max(1) {
                let Some((_, oldest)) = self.order.pop_first() else {
                    break;
                };
                self.entries.remove(&oldest);
            }
        }
        self.order.insert(tick, key.to_owned());
        let entry = self.entries.entry(key.to_owned()).or_insert(Entry {
            failures: 0,
            pending: 0,
            last_failure: now,
            blocked_until: None,
            touched: tick,
        });
        entry.touched = tick;
        entry
    }

    fn remove(&mut self, key: &str) {
        if let Some(entry) = self.entries.remove(key) {
            self.order.remove(&entry.touched);
        }
    }

    /// Ends an attempt on `key`: its place is given back; a failure is counted.
    fn finish(&mut self, key: &str, policy: &Policy, failed: bool, forget: bool, now: Instant) {
        let Some(entry) = self.entries.get_mut(key) else { return };
        entry.pending = entry.pending.saturating_sub(1);
        if failed {
            entry.failures = entry.failures.saturating_add(1);
            entry.last_failure = now;
            if entry.failures >= policy.free {
                entry.blocked_until = Some(now + policy.wait_after(entry.failures));
            }
        } else if forget {
            entry.failures = 0;
            entry.blocked_until = None;
        }
        if entry.failures == 0 && entry.pending == 0 {
            self.remove(key);
        }
    }
}

/// Refused: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub retry_after: Duration,
}

impl Refused {
    /// Whole seconds for `Retry-After`, at least 1.
    pub fn seconds(&self) -> u32 {
        let secs = self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0);
        u32::try_from(secs.max(1)).unwrap_or(u32::MAX)
    }

    fn max_by_wait(self, other: Refused) -> Refused {
        if other.retry_after > self.retry_after {
            other
        } else {
            self
        }
    }
}

pub struct Limiter {
    policy: Policy,
    capacity: usize,
    table: Mutex<Table>,
}

impl Limiter {
    pub fn new(policy: Policy) -> Limiter {
        Limiter::with_capacity(policy, DEFAULT_CAPACITY)
    }

    pub fn with_capacity(policy: Policy, capacity: usize) -> Limiter {
        Limiter {
            policy,
            capacity,
            table: Mutex::new(Table::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether `entry` may make one more attempt now.
    fn check(&self, entry: &mut Entry, now: Instant) -> Result<(), Refused> {
        if entry.pending == 0
            && entry.failures > 0
            && now.duration_since(entry.last_failure) >= self.policy.forget_after
        {
            entry.failures = 0;
            entry.blocked_until = None;
        }
        if entry.failures.saturating_add(entry.pending) < self.policy.free {
            return Ok(());
        }
        if let Some(until) = entry.blocked_until.filter(|until| now < *until) {
            return Err(Refused {
                retry_after: until - now,
            });
        }
        if entry.pending > 0 {
            // Other attempts still fill the budget; one of them may give its place back.
            return Err(Refused {
                retry_after: Duration::from_secs(1),
            });
        }
        // The wait is over: one attempt.
        Ok(())
    }

    /// Starts an attempt counted against every key, or refuses it (then nothing is counted).
    pub fn begin(&self, keys: Vec<String>) -> Result<Attempt<'_>, Refused> {
        let now = Instant::now();
        let mut table = self.lock();
        let mut refused: Option<Refused> = None;
        for key in &keys {
            let entry = table.touch(key, self.capacity, now);
            if let Err(r) = self.check(entry, now) {
                refused = Some(refused.map_or(r, |prev| prev.max_by_wait(r)));
            }
        }
        if let Some(refused) = refused {
            for key in &keys {
                if table
                    .entries
                    .get(key)
                    .is_some_and(|e| e.failures == 0 && e.pending == 0)
                {
                    table.remove(key);
                }
            }
            return Err(refused);
        }
        for key in &keys {
            table.touch(key, self.capacity, now).pending += 1;
        }
        Ok(Attempt {
            limiter: self,
            keys,
            done: false,
        })
    }

    /// Counts a failure against every key at once (sign-ups: every attempt counts).
    pub fn hit(&self, keys: Vec<String>) -> Result<(), Refused> {
        self.begin(keys)?.failed();
        Ok(())
    }

    /// How many keys are tracked.
    pub fn tracked(&self) -> usize {
        self.lock().entries.len()
    }

    fn finish(&self, keys: &[String], failed: bool, forget: Option<&str>) {
        let now = Instant::now();
        let mut table = self.lock();
        for key in keys {
            table.finish(key, &self.policy, failed, forget == Some(key.as_str()), now);
        }
    }
}

/// An attempt in flight. Dropping it without an outcome gives its place back.
pub struct Attempt<'a> {
    limiter: &'a Limiter,
    keys: Vec<String>,
    done: bool,
}

impl Attempt<'_> {
    /// The attempt failed: it counts against every key.
    pub fn failed(mut self) {
        self.done = true;
        self.limiter.finish(&self.keys, true, None);
    }

    /// The attempt succeeded; `forget`'s failures (one of the keys) are forgotten.
    pub fn succeeded(mut self, forget: Option<&str>) {
        self.done = true;
        self.limiter.finish(&self.keys, false, forget);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.limiter.finish(&self.keys, false, None);
        }
    }
}

/// Admin sign-in: the first wait after the allowed failures; it doubles up to [`ADMIN_MAX_WAIT`].
pub const ADMIN_FIRST_WAIT: Duration = Duration::from_secs(4);
pub const ADMIN_MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// An address's admin sign-in failures are forgotten this long after its last one.
pub const ADMIN_FORGET_AFTER: Duration = Duration::from_secs(3600);
const MINUTE: Duration = Duration::from_secs(60);

/// The limiters of `/api/auth`, and how the client's address is found.
pub struct AuthLimits {
    proxies: TrustedProxies,
    user_sign_in: Option<Limiter>,
    sign_up: Option<Limiter>,
    admin: Option<Limiter>,
    admin_global: Option<Limiter>,
}

fn enabled(limit: u32, policy: impl FnOnce(u32) -> Policy) -> Option<Limiter> {
    (limit > 0).then(|| Limiter::new(policy(limit)))
}

impl AuthLimits {
    /// The limits of `settings` (each `0` turns its limit off); `proxies` are those whose
    /// `X-Forwarded-For` is believed.
    pub fn new(settings: &AccountsSettings, proxies: TrustedProxies) -> AuthLimits {
        let per_minute = |limit| Policy::per_window(limit, MINUTE);
        AuthLimits {
            proxies,
            user_sign_in: enabled(settings.auth_rate_limit, per_minute),
            sign_up: enabled(settings.auth_rate_limit, per_minute),
            admin: enabled(settings.admin_sign_in_failures, |free| Policy {
                free,
                first_wait: ADMIN_FIRST_WAIT,
                max_wait: ADMIN_MAX_WAIT,
                forget_after: ADMIN_FORGET_AFTER,
            }),
            admin_global: enabled(settings.admin_sign_in_global_failures, per_minute),
        }
    }

    /// The client's address bucket (see [`oxforge_edge::client_ip`]).
    pub fn client(&self, peer: SocketAddr, headers: &HeaderMap) -> String {
        client_ip::bucket(self.proxies.client(peer.ip(), headers))
    }

    /// A user sign-in, counted per address and per (address, email).
    pub fn user_sign_in(&self, client: &str, email: &str) -> Result<SignInAttempt<'_>, Refused> {
        let pair = format!("ip-email:{client}:{email}");
        let mut attempt = SignInAttempt::new(pair.clone());
        if let Some(limiter) = &self.user_sign_in {
            attempt.push(limiter.begin(vec![format!("ip:{client}"), pair])?);
        }
        Ok(attempt)
    }

    /// A sign-up: every one counts against the address.
    pub fn sign_up(&self, client: &str) -> Result<(), Refused> {
        match &self.sign_up {
            Some(limiter) => limiter.hit(vec![format!("ip:{client}")]),
            None => Ok(()),
        }
    }

    /// An admin sign-in, counted per address (with growing waits) and over all addresses.
    pub fn admin_sign_in(&self, client: &str) -> Result<SignInAttempt<'_>, Refused> {
        let key = format!("ip:{client}");
        let mut attempt = SignInAttempt::new(key.clone());
        if let Some(limiter) = &self.admin_global {
            attempt.push(limiter.begin(vec!["all".to_owned()])?);
        }
        if let Some(limiter) = &self.admin {
            attempt.push(limiter.begin(vec![key])?);
        }
        Ok(attempt)
    }
}

/// A sign-in in flight, counted by one or more limiters.
pub struct SignInAttempt<'a> {
    attempts: Vec<Attempt<'a>>,
    /// The key whose failures a success forgets.
    forget: String,
}

impl<'a> SignInAttempt<'a> {
    fn new(forget: String) -> Self {
        SignInAttempt {
            attempts: Vec::new(),
            forget,
        }
    }

    fn push(&mut self, attempt: Attempt<'a>) {
        self.attempts.push(attempt);
    }

    pub fn failed(self) {
        self.attempts.into_iter().for_each(Attempt::failed);
    }

    pub fn succeeded(self) {
        for attempt in self.attempts {
            attempt.succeeded(Some(&self.forget));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn failures_not_attempts_are_counted_and_reset() {
        let limiter = Limiter::new(Policy::per_window(2, Duration::from_millis(80)));
        // Successes cost nothing.
        for _ in 0..10 {
            limiter.begin(keys(&["a"])).unwrap().succeeded(None);
        }
        assert_eq!(limiter.tracked(), 0);
        limiter.begin(keys(&["a"])).unwrap().failed();
        limiter.begin(keys(&["a"])).unwrap().failed();
        let refused = limiter.begin(keys(&["a"])).err().unwrap();
        assert!(refused.retry_after <= Duration::from_millis(80));
        assert_eq!(refused.seconds(), 1);
        // Another key is not affected.
        assert!(limiter.begin(keys(&["b"])).is_ok());
        std::thread::sleep(Duration::from_millis(90));
        limiter.begin(keys(&["a"])).unwrap().succeeded(Some("a"));
        assert!(limiter.begin(keys(&["a"])).is_ok());
    }

    #[test]
    fn attempts_in_flight_hold_their_place_and_dropping_gives_it_back() {
        let limiter = Limiter::new(Policy::per_window(2, Duration::from_secs(60)));
        let first = limiter.begin(keys(&["ip", "ip+e"])).unwrap();
        let second = limiter.begin(keys(&["ip", "ip+e"])).unwrap();
        assert!(
            limiter.begin(keys(&["ip", "ip+other"])).is_err(),
            "two in flight fill the budget"
        );
        assert_eq!(limiter.tracked(), 2, "a refused attempt leaves no new key behind");
        drop(first);
        second.succeeded(None);
        assert_eq!(limiter.tracked(), 0);
        assert!(limiter.begin(keys(&["ip"])).is_ok());
    }

    #[test]
    fn waits_double_up_to_the_maximum() {
        let policy = Policy {
            free: 3,
            first_wait: Duration::from_secs(4),
            max_wait: Duration::from_secs(900),
            forget_after: Duration::from_secs(3600),
        };
        let waits: Vec<u64> = (3..=13).map(|f| policy.wait_after(f).as_secs()).collect();
        assert_eq!(waits, [4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]);
        assert_eq!(policy.wait_after(u32::MAX), Duration::from_secs(900));
        let limiter = Limiter::new(policy);
        for _ in 0..3 {
            limiter.begin(keys(&["x"])).unwrap().failed();
        }
        let refused = limiter.begin(keys(&["x"])).err().unwrap();
        assert!(refused.retry_after > Duration::from_secs(3) && refused.seconds() == 4);
    }

    #[test]
    fn memory_is_bounded_and_the_oldest_key_goes_first() {
        let limiter = Limiter::with_capacity(Policy::per_window(1, Duration::from_secs(60)), 100);
        limiter.begin(keys(&["victim"])).unwrap().failed();
        assert!(limiter.begin(keys(&["victim"])).is_err());
        for i in 0..10_000 {
            limiter.hit(keys(&[&format!("flood-{i}")])).unwrap();
            assert!(limiter.tracked() <= 100);
        }
        assert_eq!(limiter.tracked(), 100);
        // The oldest were forgotten, the newest kept.
        assert!(limiter.begin(keys(&["flood-9999"])).is_err());
        assert!(limiter.begin(keys(&["flood-0"])).is_ok());
    }
}
