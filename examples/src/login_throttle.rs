//! Login attempts per client address and per email, before any password is
//! hashed: a flood is answered `429` with `Retry-After`, cheaply.
//!
//! A token bucket per key: `attempts` at once, refilled evenly over the window.
//! An attempt takes a token from the client's bucket and the email's, before
//! hashing (so a thousand concurrent attempts cost a thousand map lookups, not a
//! thousand Argon2 runs); a successful login gives both back, so only failures
//! and attempts in progress count. Unknown emails are counted exactly like known
//! ones: the throttle does not tell which accounts exist.
//!
//! **In memory, per instance**: each process counts on its own, so behind a load
//! balancer with `n` instances a client gets up to `n` times the limit. The client is the
//! TCP peer: behind a reverse proxy, the proxy (`X-Forwarded-For` is not trusted,
//! since any client can send it). The email limit
//! lets anyone delay one account's logins (not take it over); the per-address
//! limit caps how many accounts one client can do that to.
//!
//! With `REDIS_URL`, the counts are shared by every instance instead
//! ([`redis::RedisThrottle`], a fixed window per key); [`Throttle`] is either.
//!
//! Hand-written rather than `governor` (the maintained rate-limiting crate):
//! this needs a refund on success and a bounded key table, which is about as
//! much code around `governor` as the bucket itself.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use crate::config::{LoginLimits, Rate};
use crate::error::ApiError;

pub mod redis;

/// The login throttle: in this process, or shared through Redis.
#[derive(Debug)]
pub enum Throttle {
    /// Counted by this instance alone.
    Memory(LoginThrottle),
    /// Counted in Redis, by every instance together.
    Redis(redis::RedisThrottle),
}

/// An attempt either throttle admitted.
#[derive(Debug)]
#[must_use = "call `succeeded` after a successful login"]
pub enum Admitted<'a> {
    /// From [`Throttle::Memory`].
    Memory(Attempt<'a>),
    /// From [`Throttle::Redis`].
    Redis(redis::RedisAttempt<'a>),
}

impl Throttle {
    /// Admits an attempt from `client` (when known) for `email`, or refuses it.
    ///
    /// # Errors
    /// [`ApiError::TooManyAttempts`] beyond a limit; a 503 when Redis does not
    /// answer.
    pub async fn admit(
        &self,
        client: Option<IpAddr>,
        email: &str,
    ) -> Result<Admitted<'_>, ApiError> {
        match self {
            Throttle::Memory(throttle) => throttle.admit(client, email).map(Admitted::Memory),
            Throttle::Redis(throttle) => throttle.admit(client, email).await.map(Admitted::Redis),
        }
    }
}

impl Admitted<'_> {
    /// The login succeeded: its attempt does not count.
    pub async fn succeeded(self) {
        match self {
            Admitted::Memory(attempt) => attempt.succeeded(),
            Admitted::Redis(attempt) => attempt.succeeded().await,
        }
    }
}

/// The keys an attempt counts against: the email's, and the client's when known.
fn keys(client: Option<IpAddr>, email: &str) -> Vec<Key> {
    let mut keys = vec![Key::Email(email.trim().to_lowercase())];
    keys.extend(client.map(|ip| Key::Client(network_of(ip))));
    keys
}

/// Keys tracked at most; beyond, full buckets are forgotten, and if none is,
/// new emails go untracked (the per-address limit still applies).
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    /// An IPv4 address, or the /64 of an IPv6 one (a client gets a whole /64).
    Client(IpAddr),
    /// An email, trimmed and lowercased.
    Email(String),
}

impl Key {
    fn rate(&self, limits: LoginLimits) -> Rate {
        match self {
            Key::Client(_) => limits.per_ip,
            Key::Email(_) => limits.per_email,
        }
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Client(ip) => write!(f, "ip:{ip}"),
            Key::Email(email) => write!(f, "email:{email}"),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    fn refill(&mut self, rate: Rate, now: Instant) {
        let per_second = f64::from(rate.attempts) / rate.window.as_secs_f64();
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_second).min(f64::from(rate.attempts));
        self.updated = now;
    }

    /// Seconds until one token is back (at least 1).
    // At most a window (86 400 s) and checked positive, so the cast is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn wait(&self, rate: Rate) -> u64 {
        let per_second = f64::from(rate.attempts) / rate.window.as_secs_f64();
        let seconds = ((1.0 - self.tokens) / per_second).ceil();
        if seconds.is_finite() && seconds >= 1.0 {
            seconds as u64
        } else {
            1
        }
    }
}

/// The login throttle of one instance.
#[derive(Debug)]
pub struct LoginThrottle {
    limits: LoginLimits,
    buckets: Mutex<HashMap<Key, Bucket>>,
}

/// An admitted attempt. [`Attempt::succeeded`] gives its tokens back; dropping
/// it keeps them spent.
#[derive(Debug)]
#[must_use = "call `succeeded` after a successful login"]
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    keys: Vec<Key>,
}

impl LoginThrottle {
    /// A throttle with `limits`.
    pub fn new(limits: LoginLimits) -> Self {
        LoginThrottle {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn rate(&self, key: &Key) -> Rate {
        key.rate(self.limits)
    }

    /// Admits an attempt from `client` (when known) for `email`, or refuses it.
    ///
    /// # Errors
    /// [`ApiError::TooManyAttempts`], with the seconds until the next attempt
    /// would be admitted.
    pub fn admit(&self, client: Option<IpAddr>, email: &str) -> Result<Attempt<'_>, ApiError> {
        let keys = keys(client, email);
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() + keys.len() > MAX_KEYS {
            let limits = self.limits;
            buckets.retain(|key, bucket| {
                let rate = key.rate(limits);
                bucket.refill(rate, now);
                bucket.tokens < f64::from(rate.attempts)
            });
        }
        let mut wait = 0;
        for key in &keys {
            let rate = self.rate(key);
            if let Some(bucket) = buckets.get_mut(key) {
                bucket.refill(rate, now);
                if bucket.tokens < 1.0 {
                    wait = wait.max(bucket.wait(rate));
                }
            }
        }
        if wait > 0 {
            tracing::warn!(retry_after = wait, "login attempts throttled");
            return Err(ApiError::TooManyAttempts { retry_after: wait });
        }
        let mut tracked = Vec::with_capacity(keys.len());
        for key in keys {
            let rate = self.rate(&key);
            if !buckets.contains_key(&key) && buckets.len() >= MAX_KEYS {
                continue;
            }
            let bucket = buckets.entry(key.clone()).or_insert(Bucket {
                tokens: f64::from(rate.attempts),
                updated: now,
            });
            bucket.tokens -= 1.0;
            tracked.push(key);
        }
        Ok(Attempt {
            throttle: self,
            keys: tracked,
        })
    }
}

impl Attempt<'_> {
    /// The login succeeded: its attempt does not count.
    pub fn succeeded(self) {
        let mut buckets = self
            .throttle
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for key in &self.keys {
            let ceiling = f64::from(self.throttle.rate(key).attempts);
            if let Some(bucket) = buckets.get_mut(key) {
                bucket.tokens = (bucket.tokens + 1.0).min(ceiling);
            }
        }
    }
}

/// The address a client controls: an IPv4 address, or an IPv6 /64.
fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                IpAddr::V4(v4)
            } else {
                let [a, b, c, d, ..] = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::panic)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::Duration;

    use super::LoginThrottle;
    use crate::config::{LoginLimits, Rate};
    use crate::error::ApiError;

    fn throttle(ip: u32, email: u32) -> LoginThrottle {
        LoginThrottle::new(LoginLimits {
            per_ip: Rate {
                attempts: ip,
                window: Duration::from_secs(60),
            },
            per_email: Rate {
                attempts: email,
                window: Duration::from_secs(60),
            },
        })
    }

    const HOME: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));

    #[test]
    fn the_email_limit_counts_failures_whatever_the_case() {
        let throttle = throttle(100, 2);
        drop(throttle.admit(HOME, "Alice@example.com").expect("first"));
        drop(throttle.admit(HOME, " alice@example.com").expect("second"));
        match throttle.admit(HOME, "alice@example.com") {
            Err(ApiError::TooManyAttempts { retry_after }) => assert_eq!(retry_after, 30),
            other => panic!("expected a refusal, got {other:?}"),
        }
        // Another email from the same client is still admitted.
        drop(throttle.admit(HOME, "bob@example.com").expect("bob"));
    }

    #[test]
    fn a_success_gives_its_attempt_back() {
        let throttle = throttle(100, 1);
        for _ in 0..5 {
            throttle
                .admit(HOME, "alice@example.com")
                .expect("admitted")
                .succeeded();
        }
    }

    #[test]
    fn the_client_limit_spans_emails() {
        let throttle = throttle(3, 100);
        for n in 0..3 {
            drop(
                throttle
                    .admit(HOME, &format!("user{n}@example.com"))
                    .expect("admitted"),
            );
        }
        assert!(matches!(
            throttle.admit(HOME, "user9@example.com"),
            Err(ApiError::TooManyAttempts { .. })
        ));
        let elsewhere = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)));
        drop(
            throttle
                .admit(elsewhere, "user9@example.com")
                .expect("another client"),
        );
    }
}
