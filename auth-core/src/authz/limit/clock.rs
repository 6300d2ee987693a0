//! [`Clock`]: where a rate-limit store reads the time.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// Where a rate-limit store reads the time, in whole microseconds since the
/// clock's own epoch.
///
/// - [`Clock::monotonic`] (the default of [`MemoryRateLimits`](super::MemoryRateLimits)):
///   time since the clock was made, from [`Instant`]; it never goes back, and a
///   change of the system time does not move it.
/// - [`Clock::system`]: microseconds since the Unix epoch. Instances that share
///   state through the caller's clock need one that means the same everywhere.
/// - [`ManualClock`]: moved by hand, for tests.
///
/// Microseconds, because the Redis store runs the same arithmetic in Lua, whose
/// numbers are doubles: exact up to 2^53, which microseconds since 1970 stay far
/// below (2^53 µs is about 285 years).
///
/// ```
/// use std::time::Duration;
/// use auth_core::limit::{Clock, ManualClock};
///
/// let manual = ManualClock::new(Duration::from_secs(10));
/// let clock = Clock::from(manual.clone());
/// manual.advance(Duration::from_millis(1500));
/// assert_eq!(clock.now(), Duration::from_micros(11_500_000));
/// ```
#[derive(Clone)]
pub struct Clock(Kind);

#[derive(Clone)]
enum Kind {
    Monotonic(Instant),
    System,
    Manual(ManualClock),
}

impl Clock {
    /// Time since this call, from the monotonic clock.
    pub fn monotonic() -> Self {
        Clock(Kind::Monotonic(Instant::now()))
    }

    /// Time since the Unix epoch, from the system clock (0 for a time before it).
    /// It follows changes of the system time, backwards too; the limiter then
    /// only refuses longer, never admits more (see [`limit`](super)).
    pub fn system() -> Self {
        Clock(Kind::System)
    }

    /// The time now.
    pub fn now(&self) -> Duration {
        Duration::from_micros(self.now_micros())
    }

    /// The time now, in whole microseconds (saturating).
    pub(crate) fn now_micros(&self) -> u64 {
        let elapsed = match &self.0 {
            Kind::Monotonic(origin) => origin.elapsed(),
            Kind::System => SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default(),
            Kind::Manual(manual) => return manual.micros.load(Ordering::Acquire),
        };
        u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)
    }
}

impl Default for Clock {
    /// [`Clock::monotonic`].
    fn default() -> Self {
        Clock::monotonic()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Monotonic(_) => f.write_str("Clock::monotonic"),
            Kind::System => f.write_str("Clock::system"),
            Kind::Manual(manual) => write!(f, "Clock::manual({:?})", manual.now()),
        }
    }
}

/// A clock that moves only when told, for tests; clones share one time. Turn it
/// into a [`Clock`] with `Clock::from`.
#[derive(Clone, Default)]
pub struct ManualClock {
    micros: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock that reads `start`.
    pub fn new(start: Duration) -> Self {
        ManualClock {
            micros: Arc::new(AtomicU64::new(saturating_micros(start))),
        }
    }

    /// What it reads.
    pub fn now(&self) -> Duration {
        Duration::from_micros(self.micros.load(Ordering::Acquire))
    }

    /// Moves it forward by `by` (saturating).
    pub fn advance(&self, by: Duration) {
        let by = saturating_micros(by);
        // `fetch_update` with a closure that always returns `Some` cannot fail.
        let _ = self
            .micros
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                Some(now.saturating_add(by))
            });
    }

    /// Sets it to `to`, backwards too: the limiter must cope with a clock that
    /// goes back.
    pub fn set(&self, to: Duration) {
        self.micros.store(saturating_micros(to), Ordering::Release);
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManualClock").field(&self.now()).finish()
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Self {
        Clock(Kind::Manual(manual))
    }
}

pub(crate) fn saturating_micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}
