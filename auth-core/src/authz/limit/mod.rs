//! Plan tiers and rate limits: authorize by the principal's plan, and refuse
//! with a 429 past its quota.
//!
//! The "API with rate limits" case: authentication says who calls, the plan
//! gate says whether their tier may call at all (403 if not) and whether they
//! are within its quota (429 if not, with `Retry-After` and the rate-limit
//! headers of draft-ietf-httpapi-ratelimit-headers-11; see [`RateLimited`]).
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use std::time::Duration;
//! use auth_core::limit::{
//!     Clock, HasPlan, ManualClock, MemoryRateLimits, PlanLimits, Plans, Quota,
//! };
//! use auth_core::{Authenticated, Identity, Mechanism, Outcome};
//!
//! struct User { plan: &'static str }
//! impl HasPlan for User {
//!     fn plan(&self) -> &str { self.plan }
//! }
//!
//! let plans = Plans::new()
//!     .with("free", "2/min".parse::<Quota>().unwrap()).unwrap()
//!     .with("pro", "600/min".parse::<Quota>().unwrap()).unwrap();
//! let time = ManualClock::new(Duration::ZERO);
//! let store = MemoryRateLimits::default().with_clock(Clock::from(time.clone()));
//! let limits = PlanLimits::new(plans, store);
//!
//! let alice = Authenticated::for_testing(Identity::new(User { plan: "free" }, "1", Mechanism::Test));
//! let eve = Authenticated::for_testing(Identity::new(User { plan: "gold" }, "2", Mechanism::Test));
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! assert!(limits.check(&alice, "").await.is_allowed());
//! assert!(limits.check(&alice, "").await.is_allowed());
//! let refused = limits.check(&alice, "").await;
//! assert_eq!(refused.outcome(), Outcome::RateLimited);
//! let response = refused.into_result().unwrap_err().response("orders-api");
//! assert_eq!(response.status.as_u16(), 429);
//! assert_eq!(response.retry_after, Some(30));
//! assert_eq!(response.ratelimit_policy.as_deref(), Some(r#""free";q=2;w=60"#));
//! assert_eq!(response.ratelimit.as_deref(), Some(r#""free";r=0;t=30"#));
//!
//! time.advance(Duration::from_secs(30));
//! assert!(limits.check(&alice, "").await.is_allowed());
//! // A plan that is not listed has no access: 403, not 429.
//! assert_eq!(limits.check(&eve, "").await.outcome(), Outcome::Deny);
//! # });
//! # }
//! ```
//!
//! In a handler, the gate is [`within_plan`], written last:
//! `#[requires(scope("orders:read"), check(auth_core::limit::within_plan), state = app)]`
//! where the state implements [`HasPlanLimits`].
//!
//! # The algorithm
//!
//! GCRA (the generic cell rate algorithm): a [`Quota`] of `burst` per `period`
//! admits `burst` requests at once, then one every `period / burst`. Its state
//! is one number per key (when the quota is whole again), updated in one atomic
//! step, in integer microseconds.
//!
//! Hand-written rather than `governor` (the maintained GCRA crate), because the
//! same arithmetic must run in memory and in a Redis Lua script with identical
//! integer results (a property test runs both on random request sequences and
//! compares every answer), and governor's state lives in one process: it
//! cannot share a quota between the instances of a service. The arithmetic is
//! about twenty lines.
//!
//! # Stores
//!
//! | store | counts | clock | when it cannot answer |
//! |---|---|---|---|
//! | [`MemoryRateLimits`] | in this process: `n` instances admit up to `n` × the quota | monotonic | never fails; bounded table (see its docs for eviction) |
//! | `RedisRateLimits` (feature `redis`) | in Redis, for every instance together | the Redis server's `TIME` | 503, never an allow |

mod clock;
mod gcra;
mod memory;
mod plans;
mod quota;
mod rate_limited;
#[cfg(feature = "redis")]
mod redis;
mod store;

pub use self::clock::{Clock, ManualClock};
pub use self::gcra::Verdict;
pub use self::memory::MemoryRateLimits;
pub use self::plans::{HasPlan, HasPlanLimits, PlanError, PlanLimits, Plans, within_plan};
pub use self::quota::{Quota, QuotaError};
pub use self::rate_limited::RateLimited;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisRateLimits;
pub use self::store::RateLimitStore;
