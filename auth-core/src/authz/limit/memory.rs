//! [`MemoryRateLimits`]: GCRA state in this process, in a bounded table.

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use foldhash::fast::RandomState;

use super::{Clock, Quota, RateLimitStore, Verdict, gcra};
use crate::AuthError;

/// How many independently locked parts the table has: requests on different
/// keys rarely wait for each other.
const SHARDS: usize = 16;

/// Rate limits counted by this process alone, on a [`Clock`] (monotonic by
/// default).
///
/// **Per instance**: behind a load balancer with `n` instances, a principal gets
/// up to `n` times its quota. Share the count with `RedisRateLimits` (feature
/// `redis`) instead.
///
/// The table holds at most `capacity` keys, in 16 shards of `capacity / 16`, each
/// behind its own mutex. A key whose theoretical arrival time has passed holds
/// nothing (it is the same as no entry), so a full shard first drops those. When
/// every key of a shard is still in its window, it drops the one closest to
/// whole again (the smallest arrival time): that principal may then pass up to
/// the few requests its quota would have refilled by then, sooner than it
/// should. It happens only with more than `capacity` principals in their
/// window at once; [`evictions`](Self::evictions) counts it, with a warning in
/// the log. Size the capacity above the number of principals active within
/// your longest period.
///
/// ```
/// use std::time::Duration;
/// use auth_core::limit::{Clock, ManualClock, MemoryRateLimits, Quota, RateLimitStore};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let time = ManualClock::new(Duration::ZERO);
/// let limits = MemoryRateLimits::new(10_000).with_clock(Clock::from(time.clone()));
/// let quota = Quota::per_second(2).unwrap();
/// assert!(limits.check("alice", quota).await.unwrap().is_admitted());
/// assert!(limits.check("alice", quota).await.unwrap().is_admitted());
/// assert!(!limits.check("alice", quota).await.unwrap().is_admitted());
/// time.advance(Duration::from_millis(500));
/// assert!(limits.check("alice", quota).await.unwrap().is_admitted());
/// # });
/// ```
pub struct MemoryRateLimits {
    shards: Box<[Mutex<Shard>]>,
    shard_capacity: usize,
    router: RandomState,
    clock: Clock,
    evictions: AtomicU64,
}

type Shard = HashMap<Box<str>, u64, RandomState>;

impl MemoryRateLimits {
    /// The default capacity: 100 000 keys (a few MB).
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// A table of at most `capacity` keys (at least 16), on a monotonic clock.
    pub fn new(capacity: usize) -> Self {
        let shard_capacity = capacity.div_ceil(SHARDS).max(1);
        MemoryRateLimits {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(HashMap::with_hasher(RandomState::default())))
                .collect(),
            shard_capacity,
            router: RandomState::default(),
            clock: Clock::monotonic(),
            evictions: AtomicU64::new(0),
        }
    }

    /// Reads the time from `clock` instead.
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// How many keys still in their window were dropped to make room.
    pub fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    /// How many keys the table holds (dropped lazily: some may be past).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|shard| lock(shard).len()).sum()
    }

    /// Whether the table holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The decision, made under the shard's lock.
    pub(crate) fn check_now(&self, key: &str, quota: Quota) -> Verdict {
        let index = usize::try_from(self.router.hash_one(key) % SHARDS as u64).unwrap_or(0);
        let Some(shard) = self.shards.get(index) else {
            // `index < SHARDS`: unreachable; refusing is the safe answer.
            return Verdict::Limited {
                retry_after: quota.period(),
                reset: quota.period(),
            };
        };
        let mut shard = lock(shard);
        let now = self.clock.now_micros();
        let (verdict, store) = gcra::decide(quota, shard.get(key).copied(), now);
        if let Some(tat) = store {
            if let Some(entry) = shard.get_mut(key) {
                *entry = tat;
            } else {
                if shard.len() >= self.shard_capacity {
                    self.make_room(&mut shard, now);
                }
                shard.insert(key.into(), tat);
            }
        }
        verdict
    }

    /// Drops the keys whose window has passed, or else the one nearest to it.
    #[cold]
    fn make_room(&self, shard: &mut Shard, now: u64) {
        shard.retain(|_, tat| *tat > now);
        if shard.len() < self.shard_capacity {
            return;
        }
        let nearest = shard
            .iter()
            .min_by_key(|(_, tat)| **tat)
            .map(|(key, _)| key.clone());
        if let Some(key) = nearest {
            shard.remove(&key);
            let evictions = self.evictions.fetch_add(1, Ordering::Relaxed) + 1;
            if evictions.is_power_of_two() {
                tracing::warn!(
                    evictions,
                    "the rate limit table is full of keys in their window; dropping the nearest to whole (raise its capacity)"
                );
            }
        }
    }
}

impl Default for MemoryRateLimits {
    /// [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) keys, monotonic clock.
    fn default() -> Self {
        MemoryRateLimits::new(Self::DEFAULT_CAPACITY)
    }
}

impl fmt::Debug for MemoryRateLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryRateLimits")
            .field("capacity", &(self.shard_capacity * SHARDS))
            .field("clock", &self.clock)
            .field("evictions", &self.evictions())
            .finish_non_exhaustive()
    }
}

/// A poisoned shard still holds valid numbers (a panic cannot leave one half
/// written): keep using it.
fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl RateLimitStore for MemoryRateLimits {
    fn check(
        &self,
        key: &str,
        quota: Quota,
    ) -> impl Future<Output = Result<Verdict, AuthError>> + Send {
        std::future::ready(Ok(self.check_now(key, quota)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::limit::ManualClock;

    #[test]
    fn a_full_table_drops_past_keys_first_then_the_nearest() {
        let time = ManualClock::new(Duration::from_secs(100));
        let limits = MemoryRateLimits::new(16).with_clock(Clock::from(time.clone()));
        let quota = Quota::per_second(1).unwrap();
        for i in 0..64 {
            let _ = limits.check_now(&format!("k{i}"), quota);
        }
        assert!(limits.len() <= 16, "{}", limits.len());
        assert!(limits.evictions() > 0);
        let before = limits.evictions();
        time.advance(Duration::from_secs(2));
        let _ = limits.check_now("late", quota);
        // Every earlier key had passed its window: room without evicting.
        assert_eq!(limits.evictions(), before);
    }

    #[test]
    fn concurrent_requests_never_take_more_than_the_burst() {
        let limits = std::sync::Arc::new(
            MemoryRateLimits::new(1000).with_clock(Clock::from(ManualClock::new(Duration::ZERO))),
        );
        let quota = Quota::per_hour(100).unwrap();
        let admitted: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let limits = &limits;
                    scope.spawn(move || {
                        (0..50)
                            .filter(|_| limits.check_now("shared", quota).is_admitted())
                            .count()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
        });
        assert_eq!(admitted, 100);
    }
}
