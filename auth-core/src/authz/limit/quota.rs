//! [`Quota`]: how many requests, over how long.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

use super::clock::saturating_micros;

/// A rate: `burst` requests at once, refilled evenly over `per` (one every
/// `per / burst`). `60` per minute admits 60 at once, then one a second.
///
/// ```
/// use std::time::Duration;
/// use auth_core::limit::Quota;
///
/// let quota: Quota = "60/min".parse().unwrap();
/// assert_eq!(quota, Quota::new(60, Duration::from_secs(60)).unwrap());
/// assert_eq!(quota.burst(), 60);
/// assert_eq!(quota.to_string(), "60/60s");
/// assert!("0/min".parse::<Quota>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    burst: NonZeroU32,
    per: Duration,
}

impl Quota {
    /// The longest period: about 34 years. Bounds the arithmetic, which must stay
    /// exact in Lua's doubles (below 2^53 microseconds with the time added).
    pub const MAX_PERIOD: Duration = Duration::from_secs(1 << 30);

    /// `burst` requests per `per`.
    ///
    /// # Errors
    /// [`QuotaError::ZeroBurst`] for 0; [`QuotaError::PeriodTooShort`] when
    /// `per` gives each request less than a microsecond;
    /// [`QuotaError::PeriodTooLong`] beyond [`Quota::MAX_PERIOD`].
    pub fn new(burst: u32, per: Duration) -> Result<Self, QuotaError> {
        let burst = NonZeroU32::new(burst).ok_or(QuotaError::ZeroBurst)?;
        if per > Self::MAX_PERIOD {
            return Err(QuotaError::PeriodTooLong);
        }
        if saturating_micros(per) < u64::from(burst.get()) {
            return Err(QuotaError::PeriodTooShort);
        }
        Ok(Quota { burst, per })
    }

    /// `burst` per second.
    ///
    /// # Errors
    /// As [`Quota::new`].
    pub fn per_second(burst: u32) -> Result<Self, QuotaError> {
        Quota::new(burst, Duration::from_secs(1))
    }

    /// `burst` per minute.
    ///
    /// # Errors
    /// As [`Quota::new`].
    pub fn per_minute(burst: u32) -> Result<Self, QuotaError> {
        Quota::new(burst, Duration::from_secs(60))
    }

    /// `burst` per hour.
    ///
    /// # Errors
    /// As [`Quota::new`].
    pub fn per_hour(burst: u32) -> Result<Self, QuotaError> {
        Quota::new(burst, Duration::from_secs(3600))
    }

    /// `burst` per day.
    ///
    /// # Errors
    /// As [`Quota::new`].
    pub fn per_day(burst: u32) -> Result<Self, QuotaError> {
        Quota::new(burst, Duration::from_secs(86_400))
    }

    /// How many requests at once: the `q` of `RateLimit-Policy`.
    pub fn burst(&self) -> u32 {
        self.burst.get()
    }

    /// Over how long the burst refills: the `w` of `RateLimit-Policy`.
    pub fn period(&self) -> Duration {
        self.per
    }

    /// The GCRA emission interval `T`: one request's share of the period, in
    /// microseconds, rounded *up* so that the rate never exceeds the quota.
    /// At least 1 (the constructor refuses shorter).
    pub(crate) fn emission_micros(&self) -> u64 {
        saturating_micros(self.per)
            .div_ceil(u64::from(self.burst.get()))
            .max(1)
    }

    /// The GCRA tolerance `τ = T × (burst − 1)`: how far ahead of now the
    /// theoretical arrival time may be for a request to pass. At most the
    /// period plus the burst, in microseconds: no overflow.
    pub(crate) fn tolerance_micros(&self) -> u64 {
        self.emission_micros()
            .saturating_mul(u64::from(self.burst.get() - 1))
    }
}

impl fmt::Debug for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Quota({self})")
    }
}

impl fmt::Display for Quota {
    /// `60/60s`, or `5/1.5s`: the burst and the period.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{:?}", self.burst, self.per)
    }
}

impl FromStr for Quota {
    type Err = QuotaError;

    /// `N/s`, `N/min`, `N/h` or `N/day` (also `second`, `minute`, `hour`, `d`):
    /// what configuration files write.
    fn from_str(text: &str) -> Result<Self, QuotaError> {
        let (burst, unit) = text.trim().split_once('/').ok_or(QuotaError::Syntax)?;
        let burst: u32 = burst.trim().parse().map_err(|_| QuotaError::Syntax)?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            "d" | "day" => Duration::from_secs(86_400),
            _ => return Err(QuotaError::Syntax),
        };
        Quota::new(burst, per)
    }
}

/// Why a [`Quota`] was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QuotaError {
    /// A quota of zero requests.
    #[error("a quota admits at least one request; to refuse a plan, leave it without access")]
    ZeroBurst,
    /// Less than a microsecond per request.
    #[error("the period gives each request less than a microsecond; use a longer period")]
    PeriodTooShort,
    /// Longer than [`Quota::MAX_PERIOD`].
    #[error("the period is longer than `Quota::MAX_PERIOD` (about 34 years)")]
    PeriodTooLong,
    /// Not `N/unit`.
    #[error("expected `N/s`, `N/min`, `N/h` or `N/day` with N a positive integer")]
    Syntax,
}
