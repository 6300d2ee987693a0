//! [`Decision`]: what a gate or policy says, and how decisions combine.

use std::borrow::Cow;
use std::fmt;

use crate::AuthError;

/// The answer of a gate or a policy: allow, deny, or deny as not-found.
///
/// Every decision carries a reason for the audit log. Reasons are never sent to the
/// client: a denial becomes an [`AuthError`] whose message is fixed text.
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
#[derive(Clone, PartialEq, Eq)]
pub struct Decision {
    verdict: Verdict,
    reason: Cow<'static, str>,
}

#[derive(Clone, PartialEq, Eq)]
enum Verdict {
    Allow,
    Deny,
    InsufficientScope(Cow<'static, str>),
    NotFound,
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
}

impl Outcome {
    /// `"allow"`, `"deny"`, `"insufficient_scope"` or `"not_found"`, as in audit events.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Deny => "deny",
            Outcome::InsufficientScope => "insufficient_scope",
            Outcome::NotFound => "not_found",
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
            reason: Cow::Borrowed(reason),
        }
    }

    /// Allows with a reason built at run time.
    pub fn allow_because(reason: impl Into<Cow<'static, str>>) -> Self {
        Decision {
            verdict: Verdict::Allow,
            reason: reason.into(),
        }
    }

    /// Denies (403), recording `reason` in the audit log only.
    pub fn deny(reason: impl Into<Cow<'static, str>>) -> Self {
        Decision {
            verdict: Verdict::Deny,
            reason: reason.into(),
        }
    }

    /// Denies as if the resource did not exist (404), so the caller cannot probe
    /// which ids exist.
    pub fn not_found(reason: impl Into<Cow<'static, str>>) -> Self {
        Decision {
            verdict: Verdict::NotFound,
            reason: reason.into(),
        }
    }

    /// Denies because the credential lacks `scope` (403, `insufficient_scope`).
    pub fn insufficient_scope(scope: impl Into<Cow<'static, str>>) -> Self {
        let scope = scope.into();
        Decision {
            reason: Cow::Owned(format!("scope `{scope}` not granted")),
            verdict: Verdict::InsufficientScope(scope),
        }
    }

    /// Allows with `allowed` as the reason when `condition` holds, denies with
    /// `denied` otherwise.
    pub fn allow_if(condition: bool, allowed: &'static str, denied: &'static str) -> Self {
        if condition {
            Decision::allow(allowed)
        } else {
            Decision::deny(denied)
        }
    }

    /// Whether this allows.
    pub fn is_allowed(&self) -> bool {
        matches!(self.verdict, Verdict::Allow)
    }

    /// The kind of decision.
    pub fn outcome(&self) -> Outcome {
        match self.verdict {
            Verdict::Allow => Outcome::Allow,
            Verdict::Deny => Outcome::Deny,
            Verdict::InsufficientScope(_) => Outcome::InsufficientScope,
            Verdict::NotFound => Outcome::NotFound,
        }
    }

    /// Why, for the audit log.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// `Ok(())` when allowed, or the [`AuthError`] the denial maps to.
    ///
    /// # Errors
    /// Deny → [`AuthError::Forbidden`], not-found → [`AuthError::NotFound`],
    /// insufficient scope → [`AuthError::InsufficientScope`]; the reason goes along
    /// for logs but never into the error's message.
    pub fn into_result(self) -> Result<(), AuthError> {
        match self.verdict {
            Verdict::Allow => Ok(()),
            Verdict::Deny => Err(AuthError::Forbidden {
                reason: self.reason,
            }),
            Verdict::InsufficientScope(scope) => Err(AuthError::InsufficientScope { scope }),
            Verdict::NotFound => Err(AuthError::NotFound {
                reason: self.reason,
            }),
        }
    }

    /// `not(..)`: allows exactly when `self` denies (any kind of denial).
    pub fn negate(self) -> Decision {
        if self.is_allowed() {
            Decision::deny(format!("not: {}", self.reason))
        } else {
            Decision::allow_because(format!("not: {}", self.reason))
        }
    }
}

impl Verdict {
    /// How strongly a denial must win when denials are merged: hiding existence
    /// beats a missing scope beats a plain denial.
    fn severity(&self) -> u8 {
        match self {
            Verdict::Allow => 0,
            Verdict::Deny => 1,
            Verdict::InsufficientScope(_) => 2,
            Verdict::NotFound => 3,
        }
    }
}

impl fmt::Debug for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({:?})", self.outcome(), self.reason)
    }
}

/// `all(..)`: allows only if every decision allows; the first denial decides
/// (deny-overrides). Feed it decisions in order and stop when
/// [`push`](All::push) says so.
///
/// ```
/// use auth_core::{All, Decision};
///
/// let mut all = All::new();
/// assert!(all.push(Decision::allow("a")).is_continue());
/// assert!(all.push(Decision::deny("b")).is_break());
/// assert!(!all.finish().is_allowed());
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
/// allows, the strongest denial wins (not-found over insufficient scope over
/// deny), and missing scopes are merged so the challenge names every scope that
/// would have been enough.
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
    let reason = Cow::Owned(format!("{}; {}", a.reason, b.reason));
    match (a.verdict, b.verdict) {
        (Verdict::InsufficientScope(x), Verdict::InsufficientScope(y)) => Decision {
            verdict: Verdict::InsufficientScope(Cow::Owned(format!("{x} {y}"))),
            reason,
        },
        (x, y) => {
            let verdict = if x.severity() >= y.severity() { x } else { y };
            Decision { verdict, reason }
        }
    }
}
