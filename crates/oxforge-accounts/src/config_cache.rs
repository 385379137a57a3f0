//! The auth configuration as this process last read it, for at most [`TTL`].
//!
//! Sign-up and the public config read it on every request; reading `auth.config` each time would
//! add a round trip to every sign-up. A change made through this process (`PUT
//! /api/auth/config`) replaces the cached record at once; a change made through another process
//! sharing the database is seen here within [`TTL`]. A short TTL rather than `LISTEN/NOTIFY`:
//! it needs no listening connection, cannot miss a notification across a reconnect, and bounds
//! the staleness everywhere with one number (InsForge itself caches the record for 30 s).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::auth_config::AuthConfig;

/// How long a record read from the database is used before it is read again.
pub const TTL: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Slot {
    record: Option<(Instant, Arc<AuthConfig>)>,
    /// Counts the records stored by writes, so that a read which started before a write cannot
    /// put back the older record after it.
    generation: u64,
}

#[derive(Default)]
pub struct ConfigCache {
    slot: Mutex<Slot>,
}

impl ConfigCache {
    fn slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        // A panic while holding this lock cannot leave the slot half-written: take it anyway.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The record if it was read less than [`TTL`] ago; otherwise the generation to hand back to
    /// [`ConfigCache::store_read`] with the record read now.
    pub fn fresh(&self) -> Result<Arc<AuthConfig>, u64> {
        let slot = self.slot();
        match &slot.record {
            Some((at, record)) if at.elapsed() < TTL => Ok(Arc::clone(record)),
            _ => Err(slot.generation),
        }
    }

    /// Keeps a record read from the database, unless a write stored a newer one meanwhile.
    pub fn store_read(&self, generation: u64, record: AuthConfig) -> Arc<AuthConfig> {
        let record = Arc::new(record);
        let mut slot = self.slot();
        if slot.generation == generation {
            slot.record = Some((Instant::now(), Arc::clone(&record)));
        }
        record
    }

    /// Keeps the record a write returned (or a fresh read by an admin): it wins over any read
    /// still under way.
    pub fn store_written(&self, record: AuthConfig) -> Arc<AuthConfig> {
        let record = Arc::new(record);
        let mut slot = self.slot();
        slot.generation += 1;
        slot.record = Some((Instant::now(), Arc::clone(&record)));
        record
    }
}
