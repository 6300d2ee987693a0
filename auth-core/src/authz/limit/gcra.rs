//! The generic cell rate algorithm (GCRA), in integer microseconds: the one
//! arithmetic both stores run.
//!
//! State per key is one number, the *theoretical arrival time* (TAT): when the
//! key's quota would be whole again. With `T` the emission interval and `τ` the
//! tolerance ([`Quota`]), a request at `now`:
//!
//! 1. `tat = max(stored, now)` (a missing key, or one in the past, is `now`);
//! 2. passes when `tat − now ≤ τ`, and then stores `tat + T`;
//! 3. otherwise is refused, and may pass again after `tat − τ − now`.
//!
//! A clock that goes back makes `now` smaller, so `tat − now` larger: the key
//! is refused longer, never admitted more. The Redis store runs steps 1 and 2 in
//! Lua with the same integers (exact in Lua's doubles, see [`Quota::MAX_PERIOD`])
//! and returns `now` and `tat`; [`verdict`] then builds the answer in Rust, so
//! the numbers a client sees come from one function.

use std::time::Duration;

use super::Quota;

/// What a rate-limit store answers for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Admitted; it took one request from the quota.
    Admitted {
        /// How many more requests would pass right now.
        remaining: u64,
        /// When the quota is whole again.
        reset: Duration,
    },
    /// Refused; nothing was taken.
    Limited {
        /// When a request would pass again.
        retry_after: Duration,
        /// When the quota is whole again.
        reset: Duration,
    },
}

impl Verdict {
    /// Whether the request was admitted.
    pub fn is_admitted(&self) -> bool {
        matches!(self, Verdict::Admitted { .. })
    }
}

/// Steps 1 to 3 on the stored TAT: the verdict, and the TAT to store when the
/// request passed.
pub(crate) fn decide(quota: Quota, stored: Option<u64>, now: u64) -> (Verdict, Option<u64>) {
    let tat = stored.map_or(now, |stored| stored.max(now));
    let admitted = tat - now <= quota.tolerance_micros();
    let verdict = verdict(quota, now, tat, admitted);
    let store = admitted.then(|| tat.saturating_add(quota.emission_micros()));
    (verdict, store)
}

/// The verdict for a request at `now` that saw `tat` (already `max(stored,
/// now)`), admitted or not.
pub(crate) fn verdict(quota: Quota, now: u64, tat: u64, admitted: bool) -> Verdict {
    let emission = quota.emission_micros();
    let tolerance = quota.tolerance_micros();
    let ahead = tat.saturating_sub(now);
    if admitted {
        Verdict::Admitted {
            remaining: tolerance.saturating_sub(ahead) / emission,
            reset: Duration::from_micros(ahead.saturating_add(emission)),
        }
    } else {
        Verdict::Limited {
            // At least a microsecond: a refusal is never "retry now".
            retry_after: Duration::from_micros(ahead.saturating_sub(tolerance).max(1)),
            reset: Duration::from_micros(ahead),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000;

    /// Runs requests at the given instants (µs) on one key; the verdicts.
    fn run(quota: Quota, instants: &[u64]) -> Vec<Verdict> {
        let mut tat = None;
        instants
            .iter()
            .map(|&now| {
                let (verdict, store) = decide(quota, tat, now);
                if store.is_some() {
                    tat = store;
                }
                verdict
            })
            .collect()
    }

    fn admitted(verdicts: &[Verdict]) -> usize {
        verdicts.iter().filter(|v| v.is_admitted()).count()
    }

    #[test]
    fn a_burst_passes_at_once_and_the_next_is_refused() {
        let quota = Quota::per_minute(60).unwrap();
        let verdicts = run(quota, &[1000 * SECOND; 61]);
        assert_eq!(admitted(&verdicts), 60);
        assert_eq!(
            verdicts[0],
            Verdict::Admitted {
                remaining: 59,
                reset: Duration::from_secs(1)
            }
        );
        assert_eq!(
            verdicts[59],
            Verdict::Admitted {
                remaining: 0,
                reset: Duration::from_secs(60)
            }
        );
        assert_eq!(
            verdicts[60],
            Verdict::Limited {
                retry_after: Duration::from_secs(1),
                reset: Duration::from_secs(60)
            }
        );
    }

    #[test]
    fn the_steady_rate_is_one_per_emission_interval() {
        let quota = Quota::per_second(10).unwrap(); // T = 100 ms
        // After the burst, a request every 100 ms passes, one every 99 ms does not
        // always.
        let mut instants: Vec<u64> = vec![0; 10];
        instants.extend((1..=100).map(|i| i * 100_000));
        let verdicts = run(quota, &instants);
        assert_eq!(admitted(&verdicts), 110);

        let mut faster: Vec<u64> = vec![0; 10];
        faster.extend((1..=100).map(|i| i * 99_000));
        let verdicts = run(quota, &faster);
        // Over 9.9 s, at most the burst plus 9.9 s / 100 ms.
        assert_eq!(admitted(&verdicts), 10 + 99);
    }

    #[test]
    fn retry_after_is_exact() {
        let quota = Quota::per_second(2).unwrap(); // T = 500 ms, τ = 500 ms
        let verdicts = run(quota, &[0, 0, 0, 200_000, 499_999, 500_000]);
        assert!(verdicts[0].is_admitted() && verdicts[1].is_admitted());
        // TAT = 1 s after two; a request passes once TAT − now ≤ τ, at 500 ms.
        assert_eq!(
            verdicts[2],
            Verdict::Limited {
                retry_after: Duration::from_millis(500),
                reset: Duration::from_secs(1)
            }
        );
        assert_eq!(
            verdicts[3],
            Verdict::Limited {
                retry_after: Duration::from_millis(300),
                reset: Duration::from_millis(800)
            }
        );
        assert_eq!(
            verdicts[4],
            Verdict::Limited {
                retry_after: Duration::from_micros(1),
                reset: Duration::from_micros(500_001)
            }
        );
        assert!(
            verdicts[5].is_admitted(),
            "exactly at retry_after it passes"
        );
    }

    #[test]
    fn a_clock_going_back_never_admits_more() {
        let quota = Quota::per_second(2).unwrap();
        let verdicts = run(quota, &[10 * SECOND, 10 * SECOND, 5 * SECOND, 0]);
        assert_eq!(admitted(&verdicts), 2);
        let Verdict::Limited { retry_after, .. } = verdicts[2] else {
            panic!("{:?}", verdicts[2]);
        };
        // Refused until the stored TAT is near again: 5.5 s on the earlier clock.
        assert_eq!(retry_after, Duration::from_millis(5500));
    }

    #[test]
    fn huge_values_saturate_without_panicking() {
        let quota = Quota::new(u32::MAX, Quota::MAX_PERIOD).unwrap();
        let verdicts = run(quota, &[u64::MAX, u64::MAX, 0, u64::MAX - 1]);
        assert!(verdicts[0].is_admitted());
        let quota = Quota::new(1, Quota::MAX_PERIOD).unwrap();
        // The arrival time saturates at the end of time (half a million years
        // away): refusals up to it, no panic.
        let verdicts = run(quota, &[u64::MAX - 5, u64::MAX - 4, 0]);
        assert!(verdicts[0].is_admitted());
        assert!(!verdicts[1].is_admitted());
        assert!(!verdicts[2].is_admitted());
        assert!(matches!(
            decide(quota, Some(u64::MAX), 0).0,
            Verdict::Limited { .. }
        ));
    }

    #[test]
    fn quotas_refuse_what_the_arithmetic_cannot_keep_exact() {
        assert_eq!(
            Quota::new(0, Duration::from_secs(1)),
            Err(crate::limit::QuotaError::ZeroBurst)
        );
        assert_eq!(
            Quota::new(2, Duration::from_micros(1)),
            Err(crate::limit::QuotaError::PeriodTooShort)
        );
        assert_eq!(
            Quota::new(1, Quota::MAX_PERIOD + Duration::from_secs(1)),
            Err(crate::limit::QuotaError::PeriodTooLong)
        );
        // The largest values stay below 2^53 with a time of today added.
        let quota = Quota::new(u32::MAX, Quota::MAX_PERIOD).unwrap();
        let today = 1_800_000_000 * SECOND;
        assert!(today + quota.tolerance_micros() + quota.emission_micros() < 1 << 53);
        // A rate that does not divide evenly is rounded to never exceed it.
        let quota = Quota::new(7, Duration::from_secs(60)).unwrap();
        assert_eq!(quota.emission_micros(), 8_571_429);
        let verdicts = run(quota, &(0..=60).map(|s| s * SECOND).collect::<Vec<_>>());
        assert!(admitted(&verdicts) <= 7 + 7);
    }
}
