//! [`RedisRateLimits`]: GCRA state in Redis, shared by every instance.

use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

use ::redis::Script;

use super::{Clock, Quota, RateLimitStore, Verdict, gcra};
use crate::AuthError;
use crate::revocation::{RedisConnection, StoreError};

const COMPONENT: &str = "rate limit store";

/// How long past its window a key is kept when the caller's clock is used:
/// Redis expires keys on its own time, which that clock need not follow.
const CALLER_CLOCK_SLACK: Duration = Duration::from_secs(600);

/// GCRA steps 1 and 2 ([`gcra`]) in one atomic script.
/// KEYS[1] the key; ARGV[1] the emission interval T (µs), ARGV[2] the tolerance
/// τ (µs), ARGV[3] now (µs), or empty for the server's `TIME`, ARGV[4] how
/// long to keep the key past its arrival time (ms).
/// Returns {admitted (1 or 0), now, tat}, the times as decimal strings. Lua
/// numbers are doubles, exact for these integers (below 2^53, see
/// `Quota::MAX_PERIOD`); `%.0f` writes them without an exponent.
static GCRA: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local now = tonumber(ARGV[3])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
end
local tat = tonumber(redis.call('GET', KEYS[1]) or '') or now
if tat < now then
  tat = now
end
if tat - now > tonumber(ARGV[2]) then
  return {0, string.format('%.0f', now), string.format('%.0f', tat)}
end
local next = tat + tonumber(ARGV[1])
local keep = math.ceil((next - now) / 1000) + tonumber(ARGV[4])
redis.call('SET', KEYS[1], string.format('%.0f', next), 'PX', string.format('%.0f', keep))
return {1, string.format('%.0f', now), string.format('%.0f', tat)}
",
    )
});

/// Rate limits kept in Redis, shared by every instance of a service: together
/// they never admit more than the quota.
///
/// One key per limited key, `{prefix}ratelimit:{key}`, holding the theoretical
/// arrival time in microseconds and expiring when it has passed (a key that is
/// gone and one in the past mean the same). Each check is one Lua script: one
/// round trip, atomic, so concurrent instances cannot both take the last cell.
/// Needs Redis 7.0 or later (scripts that read `TIME` and then write).
///
/// **Clock.** By default the script reads the Redis server's `TIME`: one clock
/// for every instance, so their own clocks may disagree freely. If the server's
/// clock steps back, keys are refused longer, never admitted more. With
/// [`with_clock`](Self::with_clock) the caller's clock is used instead (for
/// tests); instances must then agree on the time, and a skew of `d` between
/// two of them lets a key pass up to `d / T` requests early.
///
/// Every call is bounded by the connection's timeout; an error or a timeout is
/// [`AuthError::Unavailable`], so the gate answers 503, never an allow.
#[derive(Clone)]
pub struct RedisRateLimits {
    redis: RedisConnection,
    clock: Option<Clock>,
}

impl RedisRateLimits {
    /// Limits kept through `redis`, on the server's clock.
    pub fn new(redis: RedisConnection) -> Self {
        RedisRateLimits { redis, clock: None }
    }

    /// Reads the time from `clock` rather than from the server: every instance
    /// must then agree on it. Keys are kept ten minutes past their window, since
    /// Redis expires them on its own time.
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }
}

impl fmt::Debug for RedisRateLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRateLimits")
            .field("redis", &self.redis)
            .field("clock", &self.clock)
            .finish()
    }
}

impl RateLimitStore for RedisRateLimits {
    async fn check(&self, key: &str, quota: Quota) -> Result<Verdict, AuthError> {
        let (now, slack) = match &self.clock {
            Some(clock) => (
                clock.now_micros().to_string(),
                u64::try_from(CALLER_CLOCK_SLACK.as_millis()).unwrap_or(u64::MAX),
            ),
            None => (String::new(), 0),
        };
        let mut invocation = GCRA.prepare_invoke();
        invocation
            .key(self.redis.key("ratelimit", key))
            .arg(quota.emission_micros())
            .arg(quota.tolerance_micros())
            .arg(now)
            .arg(slack);
        let mut con = self.redis.handle();
        let (admitted, now, tat): (u8, String, String) = self
            .redis
            .bounded(COMPONENT, invocation.invoke_async(&mut con))
            .await?;
        let parse = |value: &str| {
            value.parse::<u64>().map_err(|_| {
                crate::revocation::redis::unavailable(COMPONENT, StoreError::UnexpectedReply)
            })
        };
        let (now, tat) = (parse(&now)?, parse(&tat)?);
        if tat < now {
            return Err(crate::revocation::redis::unavailable(
                COMPONENT,
                StoreError::UnexpectedReply,
            ));
        }
        Ok(gcra::verdict(quota, now, tat, admitted == 1))
    }
}
