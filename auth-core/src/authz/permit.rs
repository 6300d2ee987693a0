//! [`Permit<'p, A, R>`]: the proof that a principal may perform `A` on this `R`.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use crate::{Action, AuthInfo};

/// Proof that a policy allowed action `A` on this very resource value `R`, for the
/// principal borrowed for `'p`.
///
/// A permit owns the value that was checked, so the value used afterwards is the
/// value that was authorized: no check-one-use-another. It hands out only shared
/// references (there is no `DerefMut`: changing the resource after the check would
/// void it), it is not `Clone`, `Default` or `Deserialize`, and there is no
/// conversion to another action or resource type.
///
/// It borrows the principal it was minted for, so it cannot outlive that
/// principal's request: it cannot be kept in a `static`, a cache shared by
/// requests, or a `'static` task, and so cannot be replayed for another caller.
/// [`principal`](Self::principal) says who it was minted for.
///
/// Permits come out of [`#[requires(Action(param))]`](crate::requires) or
/// [`Authenticated::authorize`](crate::Authenticated::authorize). Data functions
/// demand one by taking it as a parameter, so the data layer cannot be reached
/// without the check:
///
/// ```
/// use auth_core::{Action, Permit};
///
/// #[derive(Action)]
/// pub struct Delete;
/// pub struct Order { pub id: i64 }
///
/// /// The only way to call this is with proof that the caller may delete *this* order.
/// pub fn delete_order(permit: &Permit<'_, Delete, Order>) -> i64 {
///     permit.id // the id of the order that was checked
/// }
/// ```
///
/// ```compile_fail
/// # use auth_core::{Action, Permit};
/// # #[derive(Action)] pub struct Delete;
/// # pub struct Order { pub id: i64 }
/// // A permit cannot be kept for later requests: it borrows its principal.
/// static CACHE: std::sync::Mutex<Vec<Permit<'static, Delete, Order>>> = std::sync::Mutex::new(Vec::new());
/// fn remember(permit: Permit<'_, Delete, Order>) {
///     CACHE.lock().unwrap().push(permit);
/// }
/// ```
#[must_use = "a permit proves a check happened; use it to reach the resource"]
pub struct Permit<'p, A, R> {
    resource: R,
    principal: &'p AuthInfo,
    // `fn() -> A`: the permit neither owns nor drops an `A`, and is Send/Sync
    // whatever `A` is.
    action: PhantomData<fn() -> A>,
}

impl<'p, A: Action, R> Permit<'p, A, R> {
    /// Only the evaluation path in `authorize.rs` mints permits, right after a
    /// policy allowed.
    pub(crate) fn new(principal: &'p AuthInfo, resource: R) -> Self {
        Permit {
            resource,
            principal,
            action: PhantomData,
        }
    }

    /// The resource that was checked.
    pub fn resource(&self) -> &R {
        &self.resource
    }

    /// Gives up the proof and returns the resource.
    pub fn into_resource(self) -> R {
        self.resource
    }

    /// Who the permit was minted for: the subject, mechanism and credential of
    /// the principal the policy allowed.
    pub fn principal(&self) -> &'p AuthInfo {
        self.principal
    }

    /// The audit name of the permitted action.
    pub fn action(&self) -> &'static str {
        A::NAME
    }
}

impl<A: Action, R> Deref for Permit<'_, A, R> {
    type Target = R;

    fn deref(&self) -> &R {
        &self.resource
    }
}

impl<A: Action, R: fmt::Debug> fmt::Debug for Permit<'_, A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("action", &A::NAME)
            .field("principal", &self.principal.subject())
            .field("resource", &self.resource)
            .finish()
    }
}
