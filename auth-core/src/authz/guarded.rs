//! [`Guarded<T, C>`]: the output of a handler whose gates ran.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::{AuthError, Clearance};

/// What a [`#[requires]`](crate::requires) or [`#[public]`](crate::public) handler
/// returns: its own output, or the [`AuthError`] a gate answered with.
///
/// A handler function (a free function, no `self`) under one of those attributes
/// returns `Guarded<R, C>` where it declared `R`. `C` says who the handler admits:
/// `Authenticated<U>` for `#[requires]`, `()` for `#[public]`, and
/// `Option<Authenticated<U>>` for a `#[public]` handler with optional sign-in.
/// The type is the proof the secure mount points ask for ([`crate::mount`], and
/// the axum and actix-web adapters): a function that has neither attribute returns
/// a plain `R` and does not compile there, and the mount points read `C` to
/// authenticate the caller before any other extractor runs.
///
/// There is no way to build one with a value but a [`Clearance`], and no
/// clearance without a handler record registered in the
/// [inventory](crate::inventory): every mountable output shows in the matrix.
///
/// Framework adapters turn it into a response (the denial through
/// [`AuthError::response`]); elsewhere take it apart with
/// [`into_result`](Self::into_result), or [`flatten`](Self::flatten) when the
/// handler returns `Result<T, E>` with `E: From<AuthError>`.
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use auth_core::{requires, AuthError, Authenticated, Guarded, Identity, Mechanism};
///
/// #[requires(authenticated)]
/// fn whoami(user: Authenticated<()>) -> String {
///     user.subject().to_owned()
/// }
///
/// let alice = Authenticated::for_testing(Identity::new((), "alice", Mechanism::Test));
/// let out: Guarded<String, Authenticated<()>> = whoami(alice);
/// assert_eq!(out.into_result()?, "alice");
/// # }
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[must_use = "a guarded handler's output holds either the response or the denial"]
pub struct Guarded<T, C> {
    outcome: Result<T, AuthError>,
    /// The realm a denial's challenge names: the principal's.
    realm: Option<Arc<str>>,
    caller: PhantomData<fn() -> C>,
}

impl<T, C> Guarded<T, C> {
    /// The output of a handler cleared to run: by every gate of a guarded handler
    /// ([`Gatekeeper::clear`](crate::Gatekeeper::clear)), or by the registered
    /// opt-out of a public one ([`Clearance::public`]).
    #[allow(
        clippy::needless_pass_by_value,
        reason = "taking the clearance spends it: one clearance, one output"
    )]
    pub fn new(clearance: Clearance<C>, value: T) -> Self {
        let _ = clearance;
        Guarded {
            outcome: Ok(value),
            realm: None,
            caller: PhantomData,
        }
    }

    /// The output of a handler stopped by a gate.
    pub(crate) fn denied(error: AuthError, realm: Option<Arc<str>>) -> Self {
        Guarded {
            outcome: Err(error),
            realm,
            caller: PhantomData,
        }
    }

    /// The realm a denial's challenge names; empty when unknown.
    pub fn realm(&self) -> &str {
        self.realm.as_deref().unwrap_or("")
    }

    /// Splits into the outcome and the realm, for adapters.
    #[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
    pub(crate) fn into_parts(self) -> (Result<T, AuthError>, Option<Arc<str>>) {
        (self.outcome, self.realm)
    }

    /// The handler's output, or the denial.
    ///
    /// # Errors
    /// The [`AuthError`] a gate answered with.
    pub fn into_result(self) -> Result<T, AuthError> {
        self.outcome
    }

    /// Borrows the handler's output, or the denial.
    ///
    /// # Errors
    /// The [`AuthError`] a gate answered with.
    pub fn as_result(&self) -> Result<&T, &AuthError> {
        self.outcome.as_ref()
    }

    /// Whether a gate denied.
    pub fn is_denied(&self) -> bool {
        self.outcome.is_err()
    }
}

impl<T, E: From<AuthError>, C> Guarded<Result<T, E>, C> {
    /// Folds a denial into the handler's own error type.
    ///
    /// # Errors
    /// The handler's own error, or `E::from` the denial.
    pub fn flatten(self) -> Result<T, E> {
        match self.outcome {
            Ok(result) => result,
            Err(denied) => Err(E::from(denied)),
        }
    }
}

impl<T: fmt::Debug, C> fmt::Debug for Guarded<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Ok(value) => f.debug_tuple("Guarded").field(value).finish(),
            Err(error) => f.debug_tuple("Guarded::Denied").field(error).finish(),
        }
    }
}

/// A return type that can carry a denial: what a `#[requires]` *method* (one with
/// `self`) returns, since its signature cannot change.
///
/// Implemented for `Result<T, E>` where `E: From<AuthError>`; sealed.
#[diagnostic::on_unimplemented(
    message = "a `#[requires]` method must return `Result<_, E>` with `E: From<auth_core::AuthError>`, found `{Self}`",
    label = "cannot carry an authorization failure",
    note = "a method keeps its signature, so a denial is returned as `Err(E::from(auth_error))`; free functions return `auth_core::Guarded<_, _>` instead"
)]
pub trait Rejection: sealed::Sealed {
    /// The value that reports `error` to the caller.
    fn reject(error: AuthError) -> Self;
}

impl<T, E: From<AuthError>> Rejection for Result<T, E> {
    fn reject(error: AuthError) -> Self {
        Err(E::from(error))
    }
}

mod sealed {
    pub trait Sealed {}

    impl<T, E> Sealed for Result<T, E> {}
}
