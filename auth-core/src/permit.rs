//! [`Permit<A, R>`]: the proof that a principal may perform `A` on this `R`.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use crate::Action;

/// Proof that a policy allowed action `A` on this very resource value `R`.
///
/// A permit owns the value that was checked, so the value used afterwards is the
/// value that was authorized: no check-one-use-another. It hands out only shared
/// references (there is no `DerefMut`: changing the resource after the check would
/// void it), it is not `Clone`, `Default` or `Deserialize`, and there is no
/// conversion to another action or resource type.
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
/// pub fn delete_order(permit: &Permit<Delete, Order>) -> i64 {
///     permit.id // the id of the order that was checked
/// }
/// ```
#[must_use = "a permit proves a check happened; use it to reach the resource"]
pub struct Permit<A, R> {
    resource: R,
    // `fn() -> A`: the permit neither owns nor drops an `A`, and is Send/Sync
    // whatever `A` is.
    action: PhantomData<fn() -> A>,
}

impl<A: Action, R> Permit<A, R> {
    /// Only the evaluation path in `authorize.rs` mints permits, right after a
    /// policy allowed.
    pub(crate) fn new(resource: R) -> Self {
        Permit {
            resource,
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

    /// The audit name of the permitted action.
    pub fn action(&self) -> &'static str {
        A::NAME
    }
}

impl<A: Action, R> Deref for Permit<A, R> {
    type Target = R;

    fn deref(&self) -> &R {
        &self.resource
    }
}

impl<A: Action, R: fmt::Debug> fmt::Debug for Permit<A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("action", &A::NAME)
            .field("resource", &self.resource)
            .finish()
    }
}
