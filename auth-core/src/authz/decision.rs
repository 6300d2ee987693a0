//! [`Decision`]: what a gate or policy says, and how decisions combine.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use crate::AuthError;
use crate::engine::Evidence;
use crate::limit::RateLimited;

/// The answer of a gate or a policy: allow, deny (as forbidden, not-found or
/// insufficient scope), rate-limited, or unavailable.
///
/// Every decision carries a reason for the audit log. Reasons are never sent to the
/// client: a denial becomes an [`AuthError`] whose message is fixed text. A gate
/// that cannot decide, because a store or service it reads did not answer, says
/// [`Decision::unavailable`]: a 503, never an allow, even under `not(..)`.
///
/// A decision has three values: allow, deny (403, 404 or `insufficient_scope`), and
/// *unavailable*: the gate could not decide because something it needs (a store, a
/// remote service) did not answer. Unavailable is never an allow, and the
/// combinators pass it through, so an outage fails closed as a 503 wherever it
/// happens, inside `not(..)` too.
///
/// A fourth answer, *rate-limited* ([`Decision::rate_limited`], a 429 from the
/// [`limit`](crate::limit) gates), is a refusal for now that waiting lifts. Like
/// unavailable, `not(..)` keeps it: "not over the quota" grants nothing, and a
/// `not(within_plan)` must never let exactly the callers over their quota in.
///
/// | `a` | `not(a)` |
/// |---|---|
/// | allow | deny |
/// | deny | allow |
/// | rate-limited | rate-limited |
/// | unavailable | unavailable |
///
/// `all(a, b)` and the gate list of [`#[requires]`](crate::requires) ask in order,
/// and the first gate that does not allow answers (so `b` is not asked after an
/// outage of `a`). `any(a, b)` asks in order until one allows; when none does, it
/// answers unavailable if one of them was, else the strongest denial.
///
/// | `a` | `b` | `all(a, b)` | `any(a, b)` |
/// |---|---|---|---|
/// | allow | allow | allow | allow |
/// | allow | deny | deny | allow |
/// | allow | unavailable | unavailable | allow |
/// | deny | allow | deny | allow |
/// | deny | deny | deny | deny |
/// | deny | unavailable | deny | unavailable |
/// | unavailable | allow | unavailable | allow |
/// | unavailable | deny | unavailable | unavailable |
/// | unavailable | unavailable | unavailable | unavailable |
///
/// Rate-limited behaves as a denial in `all(..)` (the first that does not allow
/// answers) and in `any(..)` (another gate that allows lets the caller in). When
/// no gate of an `any(..)` allows, it ranks above every denial and below
/// unavailable: the caller gets in by waiting, so `Retry-After` is the useful
/// answer; of two, the one lifted sooner answers.
///
/// | `a` | `b` | `all(a, b)` | `any(a, b)` |
/// |---|---|---|---|
/// | allow | rate-limited | rate-limited | allow |
/// | rate-limited | allow | rate-limited | allow |
/// | rate-limited | deny | rate-limited | rate-limited |
/// | deny | rate-limited | deny | rate-limited |
/// | rate-limited | unavailable | rate-limited | unavailable |
/// | unavailable | rate-limited | unavailable | unavailable |
///
/// Every answer that is not unavailable is the answer the same gates would give
/// once the outage is over, whatever the missing gate would then say: an allow is
/// never a guess. `tests/integration/tests/property_gates.rs` proves it for random
/// nestings, and that `#[requires]` expands to exactly these tables.
///
/// ```
/// use auth_core::{Decision, Outcome};
///
/// fn owner_only(owner_id: u64, caller: u64) -> Decision {
///     if owner_id == caller {
///         Decision::allow("owner")
///     } else {
///         Decision::not_found("not the owner; hide that it exists")
///     }
/// }
///
/// assert!(owner_only(7, 7).is_allowed());
/// assert_eq!(owner_only(7, 8).outcome(), Outcome::NotFound);
/// ```
#[must_use = "a decision does nothing unless it is acted on"]
#[derive(Clone)]
pub struct Decision {
    verdict: Verdict,
    reason: Reason,
}

#[derive(Clone, PartialEq, Eq)]
enum Verdict {
    Allow,
    Deny,
    InsufficientScope(Cow<'static, str>),
    NotFound,
    /// The principal must authenticate again, more strongly or more recently
    /// (RFC 9470): a 401 `insufficient_user_authentication`.
    StepUp(StepUp),
    /// Over a rate limit: 429. Boxed, so that the common verdicts stay small;
    /// it is built only on the refusal path.
    RateLimited(Box<RateLimited>),
    /// Could not decide; retry after that many seconds (0: unknown). The reason's
    /// part names the component, so that this stays as small as the other
    /// verdicts: a decision is moved on every gate.
    Unavailable {
        retry_after_secs: u32,
    },
}

/// What a step-up denial asks for: the `acr_values` and `max_age` of its RFC 9470
/// challenge. Both are fixed by the gate (a literal in `#[requires]`), so they
/// cost no allocation.
#[derive(Clone, Copy, PartialEq, Eq)]
struct StepUp {
    acr: Option<&'static str>,
    /// Seconds; 0 when the challenge names no `max_age`.
    max_age: u32,
}

/// The kind of a [`Decision`], for matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// Allowed.
    Allow,
    /// Denied: 403.
    Deny,
    /// Denied because a scope is missing: 403 with an `insufficient_scope` challenge.
    InsufficientScope,
    /// Denied, and the caller must not learn that the resource exists: 404.
    NotFound,
    /// Denied until the principal authenticates again, more strongly or more
    /// recently: 401 with an RFC 9470 `insufficient_user_authentication` challenge.
    StepUpRequired,
    /// Refused for now: the principal is over a rate limit. 429 with
    /// `Retry-After`; never an allow, even under `not(..)`.
    RateLimited,
    /// Not decided: something the gate needs did not answer. 503, never an allow.
    Unavailable,
}

impl Outcome {
    /// `"allow"`, `"deny"`, `"insufficient_scope"`, `"not_found"`,
    /// `"insufficient_user_authentication"`, `"rate_limited"` or `"unavailable"`, as
    /// in audit events.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Deny => "deny",
            Outcome::InsufficientScope => "insufficient_scope",
            Outcome::NotFound => "not_found",
            Outcome::StepUpRequired => "insufficient_user_authentication",
            Outcome::RateLimited => "rate_limited",
            Outcome::Unavailable => "unavailable",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Decision {
    /// Allows, recording `reason` (which rule allowed) in the audit log.
    pub const fn allow(reason: &'static str) -> Self {
        Decision {
            verdict: Verdict::Allow,
            reason: Reason::new(Template::Text, Cow::Borrowed(reason)),
        }
    }

    /// Allows with a reason built at run time.
    pub fn allow_because(reason: impl Into<Cow<'static, str>>) -> Self {
        Decision {
            verdict: Verdict::Allow,
            reason: Reason::text(reason.into()),
        }
    }

    /// Denies (403), recording `reason` in the audit log only.
    pub fn deny(reason: impl Into<Cow<'static, str>>) -> Self {
        Decision {
            verdict: Verdict::Deny,
            reason: Reason::text(reason.into()),
        }
    }

    /// Denies as if the resource did not exist (404), so the caller cannot probe
    /// which ids exist.
    pub fn not_found(reason: impl Into<Cow<'static, str>>) -> Self {
        Decision {
            verdict: Verdict::NotFound,
            reason: Reason::text(reason.into()),
        }
    }

    /// Denies because the credential lacks `scope` (403, `insufficient_scope`).
    pub fn insufficient_scope(scope: impl Into<Cow<'static, str>>) -> Self {
        let scope = scope.into();
        Decision {
            // Free for a `&'static str` scope, as the built-in gate passes.
            reason: Reason::new(Template::ScopeNotGranted, scope.clone()),
            verdict: Verdict::InsufficientScope(scope),
        }
    }

    /// Denies until the principal authenticates again (RFC 9470): a 401 whose
    /// `insufficient_user_authentication` challenge asks for the authentication
    /// context class `acr` and/or an authentication no older than `max_age`.
    ///
    /// The built-in gates `mfa`, `amr(..)`, `acr(..)` and `fresh(max_age = ..)`
    /// answer with it; a `check(..)` predicate may too.
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::{Decision, Outcome};
    ///
    /// let denial = Decision::step_up(None, Some(Duration::from_secs(300)), "signed in too long ago");
    /// assert_eq!(denial.outcome(), Outcome::StepUpRequired);
    /// let response = denial.into_result().unwrap_err().response("orders-api");
    /// assert_eq!(response.status.as_u16(), 401);
    /// assert_eq!(
    ///     response.www_authenticate.as_deref(),
    ///     Some(r#"Bearer realm="orders-api", error="insufficient_user_authentication", error_description="a stronger or more recent authentication is required", max_age="300""#),
    /// );
    /// ```
    pub fn step_up(
        acr: Option<&'static str>,
        max_age: Option<Duration>,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        let max_age = max_age.map_or(0, |age| {
            u32::try_from(age.as_secs()).unwrap_or(u32::MAX).max(1)
        });
        Decision {
            verdict: Verdict::StepUp(StepUp { acr, max_age }),
            reason: Reason::text(reason.into()),
        }
    }

    /// Cannot decide: `component` (a store, a remote service) did not answer. The
    /// request fails closed with a 503 ([`AuthError::Unavailable`]), with a
    /// `Retry-After` header when `retry_after` is known.
    ///
    /// `not(..)` keeps it unavailable, `all(..)` stops at it, and `any(..)` answers
    /// it unless another gate allows:
    ///
    /// ```
    /// use auth_core::{Decision, Outcome};
    ///
    /// let outage = Decision::unavailable("suspension list", None);
    /// assert_eq!(outage.clone().negate().outcome(), Outcome::Unavailable);
    /// assert_eq!(outage.into_result().unwrap_err().status().as_u16(), 503);
    /// ```
    pub fn unavailable(component: &'static str, retry_after: Option<Duration>) -> Self {
        let retry_after_secs = retry_after.map_or(0, |after| {
            // Whole seconds, rounded up so a client never retries too early.
            let secs = after
                .as_secs()
                .saturating_add(u64::from(after.subsec_nanos() > 0));
            u32::try_from(secs).unwrap_or(u32::MAX).max(1)
        });
        Decision {
            verdict: Verdict::Unavailable { retry_after_secs },
            reason: Reason::new(Template::Unavailable, Cow::Borrowed(component)),
        }
    }

    /// Refuses for now: the principal is over the rate limit `limited` names. A
    /// 429 ([`AuthError::TooManyRequests`]) with `Retry-After` and the rate-limit
    /// headers. `not(..)` keeps it rate-limited, `all(..)` stops at it, and
    /// `any(..)` answers it unless another gate allows.
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::limit::{Quota, RateLimited};
    /// use auth_core::{Decision, Outcome};
    ///
    /// let quota = Quota::per_minute(60).unwrap();
    /// let limited = RateLimited::new("free", quota, Duration::from_millis(1500), Duration::from_secs(60));
    /// let decision = Decision::rate_limited(limited);
    /// assert_eq!(decision.clone().negate().outcome(), Outcome::RateLimited);
    /// let response = decision.into_result().unwrap_err().response("orders-api");
    /// assert_eq!(response.status.as_u16(), 429);
    /// assert_eq!(response.retry_after, Some(2));
    /// ```
    pub fn rate_limited(limited: RateLimited) -> Self {
        Decision {
            reason: Reason::new(Template::RateLimited, limited.policy_cow()),
            verdict: Verdict::RateLimited(Box::new(limited)),
        }
    }

    /// The built-in `role(..)` gate's denial: "role `{role}` not held".
    #[inline]
    pub(crate) fn role_not_held(role: &'static str) -> Self {
        Decision {
            verdict: Verdict::Deny,
            reason: Reason::new(Template::RoleNotHeld, Cow::Borrowed(role)),
        }
    }

    /// The built-in `permission(..)` gate's denial: "permission `{permission}` not held".
    #[inline]
    pub(crate) fn permission_not_held(permission: &'static str) -> Self {
        Decision {
            verdict: Verdict::Deny,
            reason: Reason::new(Template::PermissionNotHeld, Cow::Borrowed(permission)),
        }
    }

    /// Allows with `allowed` as the reason when `condition` holds, denies with
    /// `denied` otherwise.
    #[inline]
    pub fn allow_if(condition: bool, allowed: &'static str, denied: &'static str) -> Self {
        if condition {
            Decision::allow(allowed)
        } else {
            Decision::deny(denied)
        }
    }

    /// Attaches what a policy engine based this decision on (Cedar's
    /// determining policies, SpiceDB's ZedToken, Casbin's matched rule): the
    /// audit event of the decision carries it as `engine` and `evidence`. Never
    /// sent to the client.
    ///
    /// ```
    /// use auth_core::Decision;
    /// use auth_core::engine::Evidence;
    ///
    /// let decision = Decision::allow("the engine allows")
    ///     .with_evidence(Evidence::new("cedar", "policy0"));
    /// assert_eq!(decision.evidence().map(Evidence::detail), Some("policy0"));
    /// ```
    pub fn with_evidence(mut self, evidence: Evidence) -> Self {
        self.reason.evidence = Some(Box::new(evidence));
        self
    }

    /// What a policy engine based this decision on, if one did
    /// ([`with_evidence`](Self::with_evidence)).
    pub fn evidence(&self) -> Option<&Evidence> {
        self.reason.evidence.as_deref()
    }

    /// Whether this allows.
    #[inline]
    pub fn is_allowed(&self) -> bool {
        matches!(self.verdict, Verdict::Allow)
    }

    /// The kind of decision.
    #[inline]
    pub fn outcome(&self) -> Outcome {
        match self.verdict {
            Verdict::Allow => Outcome::Allow,
            Verdict::Deny => Outcome::Deny,
            Verdict::InsufficientScope(_) => Outcome::InsufficientScope,
            Verdict::NotFound => Outcome::NotFound,
            Verdict::StepUp(_) => Outcome::StepUpRequired,
            Verdict::RateLimited(_) => Outcome::RateLimited,
            Verdict::Unavailable { .. } => Outcome::Unavailable,
        }
    }

    /// Whether this is a definite denial (403, 404, `insufficient_scope` or a
    /// step-up 401): not an allow, not [rate-limited](Self::rate_limited) and not
    /// [unavailable](Self::unavailable). Exactly the decisions `not(..)` turns
    /// into an allow.
    #[inline]
    pub fn is_denied(&self) -> bool {
        matches!(
            self.verdict,
            Verdict::Deny | Verdict::InsufficientScope(_) | Verdict::NotFound | Verdict::StepUp(_)
        )
    }

    /// Whether the principal is over a rate limit ([`Decision::rate_limited`]).
    #[inline]
    pub fn is_rate_limited(&self) -> bool {
        matches!(self.verdict, Verdict::RateLimited(_))
    }

    /// Whether the gate could not decide ([`Decision::unavailable`]).
    #[inline]
    pub fn is_unavailable(&self) -> bool {
        matches!(self.verdict, Verdict::Unavailable { .. })
    }

    /// Why, for the audit log.
    ///
    /// The reasons of the built-in gates and of [`negate`](Self::negate) are
    /// formatted here, when read, rather than when the decision is made.
    pub fn reason(&self) -> Cow<'_, str> {
        self.reason.parts().text()
    }

    /// The reason, for an audit event.
    #[inline]
    pub(crate) fn reason_parts(&self) -> ReasonParts<'_> {
        self.reason.parts()
    }

    /// `Ok(())` when allowed, or the [`AuthError`] the denial maps to.
    ///
    /// # Errors
    /// Deny → [`AuthError::Forbidden`], not-found → [`AuthError::NotFound`],
    /// insufficient scope → [`AuthError::InsufficientScope`], step-up →
    /// [`AuthError::InsufficientUserAuthentication`], rate-limited →
    /// [`AuthError::TooManyRequests`], unavailable →
    /// [`AuthError::Unavailable`]; the reason goes along for logs but never into
    /// the error's message.
    #[inline]
    pub fn into_result(self) -> Result<(), AuthError> {
        if self.is_allowed() {
            Ok(())
        } else {
            Err(self.into_denial())
        }
    }

    /// `not(..)`: allows exactly when `self` is a definite denial (any kind), denies
    /// when it allows, and stays unavailable or rate-limited when it is: neither an
    /// outage nor a spent quota ever becomes an allow.
    ///
    /// The reason reads `not: ` before the negated one.
    #[inline]
    pub fn negate(self) -> Decision {
        let verdict = match self.verdict {
            Verdict::Allow => Verdict::Deny,
            kept @ (Verdict::Unavailable { .. } | Verdict::RateLimited(_)) => kept,
            Verdict::Deny
            | Verdict::InsufficientScope(_)
            | Verdict::NotFound
            | Verdict::StepUp(_) => Verdict::Allow,
        };
        Decision {
            verdict,
            reason: self.reason.negated(),
        }
    }
}

impl Decision {
    /// The error a denial maps to; out of line, so that the allow path of
    /// [`into_result`](Self::into_result) stays a test and a return.
    #[cold]
    fn into_denial(self) -> AuthError {
        match self.verdict {
            // `into_result` never sends an allow here; were it to, it would not pass.
            Verdict::Allow | Verdict::Deny => AuthError::Forbidden {
                reason: self.reason.into_text(),
            },
            Verdict::InsufficientScope(scope) => AuthError::InsufficientScope { scope },
            Verdict::NotFound => AuthError::NotFound {
                reason: self.reason.into_text(),
            },
            Verdict::StepUp(StepUp { acr, max_age }) => AuthError::InsufficientUserAuthentication {
                acr_values: acr.map(Cow::Borrowed),
                max_age: (max_age > 0).then_some(u64::from(max_age)),
                reason: self.reason.into_text(),
            },
            Verdict::RateLimited(limited) => AuthError::TooManyRequests(limited),
            Verdict::Unavailable { retry_after_secs } => AuthError::Unavailable {
                component: self.reason.component(),
                source: None,
                retry_after: (retry_after_secs > 0)
                    .then(|| Duration::from_secs(u64::from(retry_after_secs))),
            },
        }
    }
}

impl Verdict {
    /// How strongly a non-allow must win when they are merged by `any(..)`: an
    /// outage beats every denial (the missing gate might have allowed), a rate
    /// limit beats the denials (waiting lets the caller in), hiding existence
    /// beats a missing scope beats a step-up beats a plain denial.
    fn severity(&self) -> u8 {
        match self {
            Verdict::Allow => 0,
            Verdict::Deny => 1,
            Verdict::StepUp(_) => 2,
            Verdict::InsufficientScope(_) => 3,
            Verdict::NotFound => 4,
            Verdict::RateLimited(_) => 5,
            Verdict::Unavailable { .. } => 6,
        }
    }
}

impl PartialEq for Decision {
    /// Same verdict and same reason text, however the reason is kept.
    fn eq(&self, other: &Self) -> bool {
        self.verdict == other.verdict && self.reason() == other.reason()
    }
}

impl Eq for Decision {}

impl fmt::Debug for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({:?})", self.outcome(), self.reason())
    }
}

/// Why a decision was made, kept in parts: the built-in gates' denials and
/// `not(..)` then cost no allocation. The text is built only when something reads
/// it: an enabled audit event, [`Decision::reason`], a denial's [`AuthError`].
#[derive(Clone)]
struct Reason {
    /// The whole text for [`Template::Text`], else what the template names.
    part: Cow<'static, str>,
    /// How many `not(..)` wrap the reason; each reads `not: ` before it.
    negations: u16,
    template: Template,
    /// What a policy engine based the decision on, for the audit log. Boxed:
    /// only engine-backed decisions carry it, and a decision is moved on every
    /// gate.
    evidence: Option<Box<Evidence>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Template {
    Text,
    RoleNotHeld,
    PermissionNotHeld,
    ScopeNotGranted,
    RateLimited,
    Unavailable,
}

impl Reason {
    const fn new(template: Template, part: Cow<'static, str>) -> Self {
        Reason {
            part,
            negations: 0,
            template,
            evidence: None,
        }
    }

    fn text(text: Cow<'static, str>) -> Self {
        Reason::new(Template::Text, text)
    }

    /// The component an unavailable decision names (its part, always borrowed).
    fn component(&self) -> &'static str {
        match (self.template, &self.part) {
            (Template::Unavailable, Cow::Borrowed(component)) => component,
            _ => "gate",
        }
    }

    #[inline]
    fn parts(&self) -> ReasonParts<'_> {
        ReasonParts {
            negations: self.negations,
            template: self.template,
            part: &self.part,
        }
    }

    fn into_text(self) -> Cow<'static, str> {
        if self.negations == 0 && self.template == Template::Text {
            self.part
        } else {
            Cow::Owned(self.parts().to_string())
        }
    }

    fn negated(self) -> Self {
        Reason {
            negations: self.negations.saturating_add(1),
            ..self
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.parts().fmt(f)
    }
}

/// A [`Reason`]'s parts, copied out: reading them leaves the decision where it
/// is, so the compiler can keep an unaudited decision in registers.
#[derive(Clone, Copy)]
pub(crate) struct ReasonParts<'a> {
    negations: u16,
    template: Template,
    part: &'a str,
}

impl<'a> ReasonParts<'a> {
    /// The text: borrowed when it is kept as text, formatted otherwise.
    pub(crate) fn text(self) -> Cow<'a, str> {
        if self.negations == 0 && self.template == Template::Text {
            Cow::Borrowed(self.part)
        } else {
            Cow::Owned(self.to_string())
        }
    }
}

impl fmt::Display for ReasonParts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for _ in 0..self.negations {
            f.write_str("not: ")?;
        }
        let part = self.part;
        match self.template {
            Template::Text => f.write_str(part),
            Template::RoleNotHeld => write!(f, "role `{part}` not held"),
            Template::PermissionNotHeld => write!(f, "permission `{part}` not held"),
            Template::ScopeNotGranted => write!(f, "scope `{part}` not granted"),
            Template::RateLimited => write!(f, "over the rate limit `{part}`"),
            Template::Unavailable => write!(f, "the {part} is unavailable"),
        }
    }
}

/// `all(..)`: allows only if every decision allows; the first decision that does
/// not allow (a denial, or [unavailable](Decision::unavailable)) decides. Feed it
/// decisions in order and stop when [`push`](All::push) says so.
///
/// ```
/// use auth_core::{All, Decision, Outcome};
///
/// let mut all = All::new();
/// assert!(all.push(Decision::allow("a")).is_continue());
/// assert!(all.push(Decision::deny("b")).is_break());
/// assert!(!all.finish().is_allowed());
///
/// let mut all = All::new();
/// assert!(all.push(Decision::unavailable("store", None)).is_break());
/// assert_eq!(all.finish().outcome(), Outcome::Unavailable);
/// ```
#[derive(Debug, Default)]
pub struct All {
    denial: Option<Decision>,
}

impl All {
    /// An empty conjunction. Finishing it without pushing anything denies: an
    /// `all()` that checked nothing never allows.
    pub fn new() -> Self {
        All { denial: None }
    }

    /// Adds a decision. `Break` means the result is settled and the remaining
    /// gates need not run.
    pub fn push(&mut self, decision: Decision) -> std::ops::ControlFlow<()> {
        if decision.is_allowed() {
            self.denial.get_or_insert(Decision::allow("all"));
            std::ops::ControlFlow::Continue(())
        } else {
            self.denial = Some(decision);
            std::ops::ControlFlow::Break(())
        }
    }

    /// The combined decision.
    pub fn finish(self) -> Decision {
        self.denial
            .unwrap_or_else(|| Decision::deny("all() of no gates"))
    }
}

/// `any(..)`: allows if some decision allows; the first allow decides. When none
/// allows, an [unavailable](Decision::unavailable) one wins (the gate that could
/// not answer might have allowed: 503, never a guess), then the strongest denial
/// (not-found over insufficient scope over deny); missing scopes are merged so the
/// challenge names every scope that would have been enough.
///
/// ```
/// use auth_core::{Any, Decision, Outcome};
///
/// let mut any = Any::new();
/// let _ = any.push(Decision::insufficient_scope("a"));
/// let _ = any.push(Decision::insufficient_scope("b"));
/// let decision = any.finish();
/// assert_eq!(decision.outcome(), Outcome::InsufficientScope);
/// assert_eq!(decision.into_result().unwrap_err().to_string(), "insufficient scope: `a b` is required");
/// ```
#[derive(Debug, Default)]
pub struct Any {
    result: Option<Decision>,
}

impl Any {
    /// An empty disjunction. Finishing it without pushing anything denies.
    pub fn new() -> Self {
        Any { result: None }
    }

    /// Adds a decision. `Break` means the result is settled.
    pub fn push(&mut self, decision: Decision) -> std::ops::ControlFlow<()> {
        if decision.is_allowed() {
            self.result = Some(decision);
            return std::ops::ControlFlow::Break(());
        }
        self.result = Some(match self.result.take() {
            None => decision,
            Some(previous) => merge_denials(previous, decision),
        });
        std::ops::ControlFlow::Continue(())
    }

    /// The combined decision.
    pub fn finish(self) -> Decision {
        self.result
            .unwrap_or_else(|| Decision::deny("any() of no gates"))
    }
}

fn merge_denials(a: Decision, b: Decision) -> Decision {
    // A merged reason is new text: it keeps the evidence of the first decision
    // that had any, so an engine's denial inside `any(..)` is still explained.
    let evidence = a
        .reason
        .evidence
        .clone()
        .or_else(|| b.reason.evidence.clone());
    let mut merged = merge_verdicts(a, b);
    if merged.reason.evidence.is_none() {
        merged.reason.evidence = evidence;
    }
    merged
}

fn merge_verdicts(a: Decision, b: Decision) -> Decision {
    match (a.verdict, b.verdict) {
        (Verdict::InsufficientScope(x), Verdict::InsufficientScope(y)) => Decision {
            verdict: Verdict::InsufficientScope(Cow::Owned(format!("{x} {y}"))),
            reason: Reason::text(Cow::Owned(format!("{}; {}", a.reason, b.reason))),
        },
        // Two step-ups: one authentication that satisfies both (the stronger
        // class named first, the shorter age).
        (Verdict::StepUp(x), Verdict::StepUp(y)) => Decision {
            verdict: Verdict::StepUp(StepUp {
                acr: x.acr.or(y.acr),
                max_age: match (x.max_age, y.max_age) {
                    (0, age) | (age, 0) => age,
                    (a, b) => a.min(b),
                },
            }),
            reason: Reason::text(Cow::Owned(format!("{}; {}", a.reason, b.reason))),
        },
        // Two rate limits: the one lifted sooner, since either lets the caller in.
        (Verdict::RateLimited(x), Verdict::RateLimited(y)) => {
            if y.retry_after() < x.retry_after() {
                Decision {
                    verdict: Verdict::RateLimited(y),
                    reason: b.reason,
                }
            } else {
                Decision {
                    verdict: Verdict::RateLimited(x),
                    reason: a.reason,
                }
            }
        }
        // An outage wins, and keeps its own reason: it names the component.
        (x @ Verdict::Unavailable { .. }, _) => Decision {
            verdict: x,
            reason: a.reason,
        },
        (_, y @ Verdict::Unavailable { .. }) => Decision {
            verdict: y,
            reason: b.reason,
        },
        (x, y) => {
            let reason = Reason::text(Cow::Owned(format!("{}; {}", a.reason, b.reason)));
            let verdict = if x.severity() >= y.severity() { x } else { y };
            Decision { verdict, reason }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_reasons_read_as_the_formatted_text() {
        let role = Decision::role_not_held("admin");
        assert_eq!(role.reason(), "role `admin` not held");
        assert_eq!(role, Decision::deny("role `admin` not held"));
        assert_eq!(format!("{role:?}"), r#"deny("role `admin` not held")"#);

        let twice = Decision::permission_not_held("p").negate().negate();
        assert_eq!(twice.reason(), "not: not: permission `p` not held");
        assert_eq!(
            twice.into_result().map_err(|e| match e {
                AuthError::Forbidden { reason } => reason,
                _ => Cow::Borrowed("other"),
            }),
            Err(Cow::Borrowed("not: not: permission `p` not held"))
        );

        let scope = Decision::insufficient_scope("s");
        assert_eq!(scope.reason(), "scope `s` not granted");
        let negated = scope.negate();
        assert!(negated.is_allowed());
        assert_eq!(negated.reason(), "not: scope `s` not granted");
        assert_eq!(negated.reason_parts().text(), "not: scope `s` not granted");
    }

    #[test]
    fn a_read_reason_is_not_stale_after_negation() {
        let decision = Decision::allow("owner");
        assert_eq!(decision.reason(), "owner");
        let negated = Decision::role_not_held("r");
        assert_eq!(negated.reason(), "role `r` not held");
        assert_eq!(negated.negate().reason(), "not: role `r` not held");
        assert_eq!(decision.negate().reason(), "not: owner");
    }

    #[allow(clippy::unwrap_used)]
    fn limited(policy: &'static str, retry_after_ms: u64) -> Decision {
        let quota = crate::limit::Quota::per_minute(60).unwrap();
        let after = Duration::from_millis(retry_after_ms);
        Decision::rate_limited(crate::limit::RateLimited::new(policy, quota, after, after))
    }

    #[allow(clippy::unwrap_used)]
    #[test]
    fn a_rate_limit_is_never_turned_into_an_allow() {
        let mut decision = limited("free", 1500);
        for _ in 0..5 {
            decision = decision.negate();
            assert_eq!(decision.outcome(), Outcome::RateLimited);
            assert!(!decision.is_denied() && !decision.is_unavailable());
        }
        assert_eq!(
            decision.reason(),
            "not: not: not: not: not: over the rate limit `free`"
        );
        let err = decision.into_result().unwrap_err();
        assert_eq!(err.status().as_u16(), 429);
        assert_eq!(err.retry_after(), Some(Duration::from_millis(1500)));
    }

    #[allow(clippy::unwrap_used)]
    #[test]
    fn rate_limits_in_all_and_any_follow_the_table() {
        let rows: [(Decision, Decision, Outcome, Outcome); 6] = [
            (
                Decision::allow("a"),
                limited("x", 1),
                Outcome::RateLimited,
                Outcome::Allow,
            ),
            (
                limited("x", 1),
                Decision::allow("b"),
                Outcome::RateLimited,
                Outcome::Allow,
            ),
            (
                limited("x", 1),
                Decision::deny("b"),
                Outcome::RateLimited,
                Outcome::RateLimited,
            ),
            (
                Decision::not_found("a"),
                limited("x", 1),
                Outcome::NotFound,
                Outcome::RateLimited,
            ),
            (
                limited("x", 1),
                Decision::unavailable("s", None),
                Outcome::RateLimited,
                Outcome::Unavailable,
            ),
            (
                Decision::unavailable("s", None),
                limited("x", 1),
                Outcome::Unavailable,
                Outcome::Unavailable,
            ),
        ];
        for (a, b, all_expected, any_expected) in rows {
            let label = format!("{a:?}, {b:?}");
            let mut all = All::new();
            if all.push(a.clone()).is_continue() {
                let _ = all.push(b.clone());
            }
            assert_eq!(all.finish().outcome(), all_expected, "all({label})");
            let mut any = Any::new();
            if any.push(a).is_continue() {
                let _ = any.push(b);
            }
            assert_eq!(any.finish().outcome(), any_expected, "any({label})");
        }
        // Of two rate limits, the one lifted sooner answers.
        let mut any = Any::new();
        let _ = any.push(limited("slow", 5000));
        let _ = any.push(limited("fast", 200));
        let _ = any.push(Decision::deny("c"));
        let err = any.finish().into_result().unwrap_err();
        assert_eq!(err.retry_after(), Some(Duration::from_millis(200)));
        assert_eq!(
            err.response("").ratelimit.as_deref(),
            Some(r#""fast";r=0;t=1"#)
        );
    }

    #[test]
    fn merged_denials_keep_both_reasons() {
        let mut any = Any::new();
        let _ = any.push(Decision::role_not_held("a"));
        let _ = any.push(Decision::deny("x").negate().negate());
        let _ = any.push(Decision::not_found("hidden"));
        let decision = any.finish();
        assert_eq!(decision.outcome(), Outcome::NotFound);
        assert_eq!(decision.reason(), "role `a` not held; not: not: x; hidden");
    }
}
