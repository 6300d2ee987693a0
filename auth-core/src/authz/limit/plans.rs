//! Plan tiers: [`HasPlan`], [`Plans`], [`PlanLimits`] and the
//! [`within_plan`] gate.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use super::{Quota, RateLimitStore, RateLimited, Verdict};
use crate::{Authenticated, Decision};

/// A principal on a plan tier: `"free"`, `"pro"`.
pub trait HasPlan {
    /// The tier's name, as [`Plans`] knows it.
    fn plan(&self) -> &str;
}

impl<T: HasPlan + ?Sized> HasPlan for &T {
    fn plan(&self) -> &str {
        (**self).plan()
    }
}

/// What each plan tier may do: a [`Quota`], or no access at all. A tier it does
/// not list has no access either (deny by default).
///
/// ```
/// use auth_core::limit::{Plans, Quota};
///
/// let plans = Plans::new()
///     .with("free", Quota::per_minute(60).unwrap()).unwrap()
///     .with("pro", Quota::per_minute(600).unwrap()).unwrap()
///     .without_access("suspended").unwrap();
/// assert_eq!(plans.quota("pro"), Some(Quota::per_minute(600).unwrap()));
/// assert_eq!(plans.quota("suspended"), None);
/// assert_eq!(plans.quota("gold"), None);
/// assert!(Plans::new().with("free", Quota::per_second(1).unwrap()).unwrap()
///     .with("free", Quota::per_second(2).unwrap()).is_err());
/// ```
#[derive(Clone, Default)]
pub struct Plans {
    tiers: HashMap<Box<str>, Tier>,
}

#[derive(Clone)]
struct Tier {
    name: Cow<'static, str>,
    quota: Option<Quota>,
}

impl Plans {
    /// The longest plan name.
    pub const MAX_NAME_LEN: usize = 64;

    /// No tiers: every principal is refused until tiers are added.
    pub fn new() -> Self {
        Plans::default()
    }

    /// Adds tier `name` with `quota`.
    ///
    /// # Errors
    /// [`PlanError::InvalidName`] unless the name is 1 to 64 of `A-Z a-z 0-9 _ - .`
    /// (it is sent in the rate-limit headers); [`PlanError::Duplicate`] for a
    /// name already listed.
    pub fn with(self, name: impl Into<Cow<'static, str>>, quota: Quota) -> Result<Self, PlanError> {
        self.tier(name.into(), Some(quota))
    }

    /// Adds tier `name` without access: its principals are refused with a 403.
    ///
    /// # Errors
    /// As [`with`](Self::with).
    pub fn without_access(self, name: impl Into<Cow<'static, str>>) -> Result<Self, PlanError> {
        self.tier(name.into(), None)
    }

    fn tier(mut self, name: Cow<'static, str>, quota: Option<Quota>) -> Result<Self, PlanError> {
        let valid = !name.is_empty()
            && name.len() <= Self::MAX_NAME_LEN
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !valid {
            return Err(PlanError::InvalidName(name.into_owned()));
        }
        if self.tiers.contains_key(&*name) {
            return Err(PlanError::Duplicate(name.into_owned()));
        }
        self.tiers.insert(
            name.clone().into_owned().into_boxed_str(),
            Tier { name, quota },
        );
        Ok(self)
    }

    /// The quota of tier `name`; `None` for a tier without access or unknown.
    pub fn quota(&self, name: &str) -> Option<Quota> {
        self.tiers.get(name).and_then(|tier| tier.quota)
    }
}

impl fmt::Debug for Plans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for tier in self.tiers.values() {
            map.entry(&tier.name, &tier.quota);
        }
        map.finish()
    }
}

/// Why a [`Plans`] table was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// Not 1 to 64 of `A-Z a-z 0-9 _ - .`.
    #[error("the plan name `{0}` is invalid; use 1 to 64 of `A-Z a-z 0-9 _ - .`")]
    InvalidName(String),
    /// Listed twice.
    #[error("the plan `{0}` is listed twice; list each plan once")]
    Duplicate(String),
}

/// A [`Plans`] table on a [`RateLimitStore`]: the state the plan gate reads.
///
/// [`check`](Self::check) answers, for a principal and a route:
///
/// | the principal's plan | decision |
/// |---|---|
/// | unknown, or without access | deny (403) |
/// | within its quota | allow, and one request is counted |
/// | over its quota | rate-limited (429 with `Retry-After` and rate-limit headers) |
/// | the store does not answer | unavailable (503), never an allow |
///
/// The count is per principal: the key is the authenticator's realm and the
/// subject ([`AuthInfo::realm`](crate::AuthInfo::realm),
/// [`subject`](crate::AuthInfo::subject)), not the mechanism, so a user's
/// token, session and API keys share one quota, and two authenticators
/// (realms) whose subjects might collide do not. A route name makes a separate
/// count per route.
#[derive(Debug, Clone)]
pub struct PlanLimits<S> {
    plans: Plans,
    store: S,
}

impl<S: RateLimitStore> PlanLimits<S> {
    /// `plans`, counted in `store`.
    pub fn new(plans: Plans, store: S) -> Self {
        PlanLimits { plans, store }
    }

    /// The plans.
    pub fn plans(&self) -> &Plans {
        &self.plans
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Decides for `principal` on `route` (`""`: one count for every route):
    /// see the table above. A request is counted only when it is admitted.
    pub async fn check<U: HasPlan>(&self, principal: &Authenticated<U>, route: &str) -> Decision {
        let plan = principal.user().plan();
        let Some(tier) = self.plans.tiers.get(plan) else {
            return Decision::deny("the plan is not listed");
        };
        let Some(quota) = tier.quota else {
            return Decision::deny("the plan has no access");
        };
        let info = principal.info();
        let key = principal_key(info.realm(), info.tenant(), principal.subject(), route);
        match self.store.check(&key, quota).await {
            Ok(Verdict::Admitted { .. }) => Decision::allow("within the plan's quota"),
            Ok(Verdict::Limited { retry_after, reset }) => Decision::rate_limited(
                RateLimited::new(tier.name.clone(), quota, retry_after, reset),
            ),
            Err(_) => Decision::unavailable("rate limit store", Some(RETRY_AFTER)),
        }
    }
}

/// The `Retry-After` of a 503 from a store that did not answer.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// `{len(realm)}:{realm}{len(route)}:{route}{subject}`: no two (realm, route,
/// subject) share a key, whatever characters they hold.
fn principal_key(realm: &str, tenant: Option<&str>, subject: &str, route: &str) -> String {
    // Each part length-prefixed, and the tenant marked present or absent, so
    // two principals of two tenants (or of a tenant and of none) never share
    // a bucket, and no spelling of one part can reach into the next.
    let tenant_part = tenant.map_or_else(|| "-".to_owned(), |t| format!("+{t}"));
    let mut key =
        String::with_capacity(realm.len() + route.len() + subject.len() + tenant_part.len() + 12);
    for part in [realm, tenant_part.as_str(), route] {
        key.push_str(&part.len().to_string());
        key.push(':');
        key.push_str(part);
    }
    key.push_str(subject);
    key
}

/// State that holds [`PlanLimits`]: what [`within_plan`] reads. Implemented by
/// `PlanLimits` itself; implement it for a service's own state to pass that as
/// `state = ..`.
pub trait HasPlanLimits: Sync {
    /// The store the limits count in.
    type Store: RateLimitStore;
    /// The limits.
    fn plan_limits(&self) -> &PlanLimits<Self::Store>;
}

impl<S: RateLimitStore> HasPlanLimits for PlanLimits<S> {
    type Store = S;
    fn plan_limits(&self) -> &PlanLimits<S> {
        self
    }
}

impl<T: HasPlanLimits + ?Sized> HasPlanLimits for &T {
    type Store = T::Store;
    fn plan_limits(&self) -> &PlanLimits<T::Store> {
        (**self).plan_limits()
    }
}

impl<T: HasPlanLimits + ?Sized + Send> HasPlanLimits for std::sync::Arc<T> {
    type Store = T::Store;
    fn plan_limits(&self) -> &PlanLimits<T::Store> {
        (**self).plan_limits()
    }
}

/// The plan gate, for `check(..)`: [`PlanLimits::check`] on every route
/// together. Put it **last** in `#[requires(..)]`: gates run in order and the
/// first refusal answers, so a request refused by an earlier gate is not
/// counted, and one refused by a later gate would have been.
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use auth_core::limit::{HasPlan, MemoryRateLimits, PlanLimits, Plans, Quota};
/// use auth_core::{requires, Authenticated};
///
/// struct User { plan: String }
/// impl HasPlan for User {
///     fn plan(&self) -> &str { &self.plan }
/// }
///
/// #[requires(authenticated, check(auth_core::limit::within_plan), state = limits)]
/// async fn orders(user: Authenticated<User>, limits: &PlanLimits<MemoryRateLimits>) -> &'static str {
///     "orders"
/// }
///
/// let plans = Plans::new().with("free", Quota::per_minute(2).unwrap()).unwrap();
/// let limits = PlanLimits::new(plans, MemoryRateLimits::default());
/// # let sign_in = || Authenticated::for_testing(auth_core::Identity::new(
/// #     User { plan: "free".into() }, "7", auth_core::Mechanism::Test));
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// assert!(!orders(sign_in(), &limits).await.is_denied());
/// assert!(!orders(sign_in(), &limits).await.is_denied());
/// let third = orders(sign_in(), &limits).await.into_result().unwrap_err();
/// assert_eq!(third.status().as_u16(), 429);
/// # });
/// # }
/// ```
pub async fn within_plan<U, L>(principal: &Authenticated<U>, state: &L) -> Decision
where
    U: HasPlan,
    L: HasPlanLimits + ?Sized,
{
    state.plan_limits().check(principal, "").await
}
