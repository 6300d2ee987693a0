//! The built-in function-level gates.
//!
//! These are what [`#[requires]`](crate::requires) calls for `authenticated`,
//! `role(..)`, `scope(..)`, `permission(..)`, `mechanism(..)` and the step-up gates
//! `mfa`, `amr(..)`, `acr(..)` and `fresh(max_age = ..)`. They are ordinary
//! functions: call them by hand when you check in a function body.
//!
//! The step-up gates deny with a 401 and an RFC 9470
//! `insufficient_user_authentication` challenge ([`Decision::step_up`]): the
//! credential is valid, and a new one, from a stronger or more recent sign-in,
//! would pass.
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use auth_core::{gate, Authenticated, HasRoles, Identity, Mechanism, Scopes};
//!
//! struct User;
//! impl HasRoles for User {
//!     fn has_role(&self, role: &str) -> bool { role == "customer" }
//! }
//!
//! let user = Authenticated::for_testing(
//!     Identity::new(User, "1", Mechanism::Test).scopes(Scopes::from_space_separated("orders:read")),
//! );
//! assert!(gate::role(&user, "customer").is_allowed());
//! assert!(!gate::role(&user, "admin").is_allowed());
//! assert!(!gate::scope(&user, "orders:write").is_allowed());
//! # }
//! ```

use std::time::{Duration, SystemTime};

use crate::{Authenticated, Decision, HasPermissions, HasRoles, Mechanism};

/// The authentication context class this crate's second factor records, and the
/// one the `mfa` gate's challenge asks for: "the user proved a second factor".
pub const ACR_MFA: &str = "urn:auth-core:acr:mfa";

/// The `amr` values (RFC 8176) that name a second factor: a one-time code (`otp`,
/// `sms`), a key (`hwk`, `swk`), biometrics (`fpt`, `face`, `iris`, `retina`,
/// `vbm`), or multi-factor itself (`mfa`). The `mfa` gate allows a credential
/// whose `amr` holds one of them. A password (`pwd`), a PIN (`pin`) or a
/// knowledge question (`kba`) alone is one factor.
pub const SECOND_FACTORS: &[&str] = &[
    "mfa", "otp", "sms", "hwk", "swk", "fpt", "face", "iris", "retina", "vbm",
];

/// How far in the future an `auth_time` may be (clock skew between the server
/// that recorded it and this one) before the `fresh` gate refuses it.
const AUTH_TIME_SKEW: Duration = Duration::from_secs(60);

/// Allows every authenticated principal: the gate is the [`Authenticated`] itself.
pub fn authenticated<U>(_principal: &Authenticated<U>) -> Decision {
    Decision::allow("authenticated")
}

/// Allows principals holding `role`.
///
/// The gate functions are what `#[requires]` calls; call them yourself to
/// combine a gate with other logic, in a `check(..)` predicate or a policy:
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use auth_core::{Authenticated, Decision, HasRoles, Identity, Mechanism, Scopes, gate};
///
/// struct User { roles: Vec<&'static str> }
/// impl HasRoles for User {
///     fn has_role(&self, role: &str) -> bool { self.roles.contains(&role) }
/// }
///
/// /// Support staff, or a token that may read every order.
/// fn may_read_all(user: &Authenticated<User>) -> Decision {
///     let staff = gate::role(user, "support");
///     if staff.is_allowed() { staff } else { gate::scope(user, "orders:read:all") }
/// }
///
/// let agent = Authenticated::for_testing(Identity::new(User { roles: vec!["support"] }, "7", Mechanism::Test));
/// assert!(may_read_all(&agent).is_allowed());
/// let app = Authenticated::for_testing(
///     Identity::new(User { roles: vec![] }, "8", Mechanism::Test)
///         .scopes(Scopes::from_space_separated("orders:read")),
/// );
/// let refused = may_read_all(&app);
/// assert!(refused.is_denied());
/// assert_eq!(refused.into_result().unwrap_err().status(), 403); // insufficient_scope
/// # }
/// ```
pub fn role<U: HasRoles>(principal: &Authenticated<U>, role: &'static str) -> Decision {
    if principal.user().has_role(role) {
        Decision::allow("role granted")
    } else {
        Decision::role_not_held(role)
    }
}

/// Allows credentials that grant `scope`; otherwise denies with an
/// `insufficient_scope` challenge naming it.
pub fn scope<U>(principal: &Authenticated<U>, scope: &'static str) -> Decision {
    if principal.scopes().contains(scope) {
        Decision::allow("scope granted")
    } else {
        Decision::insufficient_scope(scope)
    }
}

/// Allows principals holding `permission`.
pub fn permission<U: HasPermissions>(
    principal: &Authenticated<U>,
    permission: &'static str,
) -> Decision {
    if principal.user().has_permission(permission) {
        Decision::allow("permission granted")
    } else {
        Decision::permission_not_held(permission)
    }
}

/// Allows credentials of `mechanism` only: `mechanism("session")` in
/// [`#[requires]`](crate::requires), and `not(mechanism("api_key"))` to keep API
/// keys away from, say, the endpoint that creates API keys. Denies with a 403.
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use auth_core::{gate, Authenticated, Identity, Mechanism};
///
/// let robot = Authenticated::for_testing(Identity::new((), "1", Mechanism::ApiKey));
/// assert!(gate::mechanism(&robot, Mechanism::ApiKey).is_allowed());
/// assert!(!gate::mechanism(&robot, Mechanism::Session).is_allowed());
/// # }
/// ```
pub fn mechanism<U>(principal: &Authenticated<U>, mechanism: Mechanism) -> Decision {
    if principal.info().mechanism() == mechanism {
        Decision::allow("mechanism accepted")
    } else {
        Decision::deny(format!(
            "credential mechanism `{}` is not `{mechanism}`",
            principal.info().mechanism()
        ))
    }
}

/// Allows credentials whose sign-in included a second factor (an `amr` value in
/// [`SECOND_FACTORS`]); otherwise a step-up 401 asking for [`ACR_MFA`].
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use auth_core::{gate, Authenticated, Identity, Mechanism, Outcome};
///
/// let password_only = Authenticated::for_testing(Identity::new((), "1", Mechanism::Test).amr(["pwd"]));
/// assert_eq!(gate::mfa(&password_only).outcome(), Outcome::StepUpRequired);
/// let with_code = Authenticated::for_testing(Identity::new((), "1", Mechanism::Test).amr(["pwd", "otp"]));
/// assert!(gate::mfa(&with_code).is_allowed());
/// # }
/// ```
pub fn mfa<U>(principal: &Authenticated<U>) -> Decision {
    let amr = principal.info().amr();
    if amr
        .iter()
        .any(|method| SECOND_FACTORS.contains(&method.as_str()))
    {
        Decision::allow("second factor used")
    } else {
        Decision::step_up(Some(ACR_MFA), None, "no second factor in `amr`")
    }
}

/// Allows credentials whose sign-in used the authentication `method` (an `amr`
/// value, RFC 8176, such as `otp`); otherwise a step-up 401.
pub fn amr<U>(principal: &Authenticated<U>, method: &'static str) -> Decision {
    if principal.info().amr().iter().any(|used| used == method) {
        Decision::allow("authentication method used")
    } else {
        Decision::step_up(None, None, format!("`amr` lacks `{method}`"))
    }
}

/// Allows credentials of the authentication context class `acr`; otherwise a
/// step-up 401 whose challenge names it in `acr_values`.
pub fn acr<U>(principal: &Authenticated<U>, acr: &'static str) -> Decision {
    if principal.info().acr() == Some(acr) {
        Decision::allow("authentication context class met")
    } else {
        Decision::step_up(Some(acr), None, format!("`acr` is not `{acr}`"))
    }
}

/// Allows credentials whose user authenticated (`auth_time`) at most `max_age`
/// seconds ago; otherwise a step-up 401 whose challenge names `max_age`. A
/// credential without `auth_time`, or with one more than a minute in the future,
/// is refused.
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use std::time::{Duration, SystemTime};
/// use auth_core::{gate, Authenticated, Identity, Mechanism};
///
/// let now = SystemTime::now();
/// let recent = Authenticated::for_testing(Identity::new((), "1", Mechanism::Test).auth_time(now));
/// assert!(gate::fresh(&recent, 300).is_allowed());
/// let stale = Authenticated::for_testing(
///     Identity::new((), "1", Mechanism::Test).auth_time(now - Duration::from_secs(301)),
/// );
/// assert!(!gate::fresh(&stale, 300).is_allowed());
/// # }
/// ```
pub fn fresh<U>(principal: &Authenticated<U>, max_age: u32) -> Decision {
    fresh_at(principal, max_age, SystemTime::now())
}

fn fresh_at<U>(principal: &Authenticated<U>, max_age: u32, now: SystemTime) -> Decision {
    let limit = Duration::from_secs(u64::from(max_age));
    let stale = || Decision::step_up(None, Some(limit), "authenticated too long ago");
    let Some(auth_time) = principal.info().auth_time() else {
        return Decision::step_up(None, Some(limit), "no `auth_time`");
    };
    match now.duration_since(auth_time) {
        Ok(age) if age <= limit => Decision::allow("authenticated recently"),
        Ok(_) => stale(),
        Err(ahead) if ahead.duration() <= AUTH_TIME_SKEW => {
            Decision::allow("authenticated recently")
        }
        Err(_) => Decision::step_up(None, Some(limit), "`auth_time` is in the future"),
    }
}

#[cfg(all(test, feature = "testing"))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{Identity, Outcome};

    fn with(identity: Identity<()>) -> Authenticated<()> {
        Authenticated::for_testing(identity)
    }

    #[test]
    fn fresh_allows_up_to_the_age_and_a_minute_of_skew() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let at = |t: SystemTime| with(Identity::new((), "1", Mechanism::Test).auth_time(t));
        let secs = Duration::from_secs;
        assert!(fresh_at(&at(now - secs(300)), 300, now).is_allowed());
        assert_eq!(
            fresh_at(&at(now - secs(301)), 300, now).outcome(),
            Outcome::StepUpRequired
        );
        assert!(fresh_at(&at(now + secs(60)), 300, now).is_allowed());
        assert_eq!(
            fresh_at(&at(now + secs(61)), 300, now).outcome(),
            Outcome::StepUpRequired
        );
        let none = with(Identity::new((), "1", Mechanism::Test));
        assert_eq!(fresh_at(&none, 300, now).outcome(), Outcome::StepUpRequired);
    }

    #[test]
    fn step_up_challenges_name_what_would_do() {
        let user = with(Identity::new((), "1", Mechanism::Test).amr(["pwd"]));
        let challenge = |decision: Decision| {
            decision
                .into_result()
                .unwrap_err()
                .response("r")
                .www_authenticate
                .unwrap()
        };
        let tail = r#"error="insufficient_user_authentication", error_description="a stronger or more recent authentication is required""#;
        assert_eq!(
            challenge(mfa(&user)),
            format!(r#"Bearer realm="r", {tail}, acr_values="urn:auth-core:acr:mfa""#)
        );
        assert_eq!(
            challenge(amr(&user, "otp")),
            format!(r#"Bearer realm="r", {tail}"#)
        );
        assert_eq!(
            challenge(acr(&user, "gold")),
            format!(r#"Bearer realm="r", {tail}, acr_values="gold""#)
        );
        assert_eq!(
            challenge(fresh(&user, 300)),
            format!(r#"Bearer realm="r", {tail}, max_age="300""#)
        );
    }

    #[test]
    fn mfa_needs_a_second_factor_not_just_any_method() {
        for (amr_values, allowed) in [
            (&[][..], false),
            (&["pwd"][..], false),
            (&["pwd", "pin", "kba"][..], false),
            (&["pwd", "otp"][..], true),
            (&["hwk"][..], true),
            (&["mfa"][..], true),
        ] {
            let user =
                with(Identity::new((), "1", Mechanism::Test).amr(amr_values.iter().copied()));
            assert_eq!(mfa(&user).is_allowed(), allowed, "{amr_values:?}");
        }
    }

    #[test]
    fn acr_and_mechanism_compare_exactly() {
        let user = with(Identity::new((), "1", Mechanism::Session).acr("gold"));
        assert!(acr(&user, "gold").is_allowed());
        assert!(!acr(&user, "Gold").is_allowed());
        assert!(mechanism(&user, Mechanism::Session).is_allowed());
        assert_eq!(mechanism(&user, Mechanism::ApiKey).outcome(), Outcome::Deny);
        assert!(mechanism(&user, Mechanism::ApiKey).negate().is_allowed());
    }
}
