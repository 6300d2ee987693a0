//! Resources: the values permissions are about.

use std::fmt::Display;

/// A value a policy decides about: an order, an invoice, a document.
///
/// It names the resource's kind and id for the audit log, so every decision says
/// which instance it was about. Implement it for the types you load from storage:
///
/// ```
/// use auth_core::Resource;
///
/// struct Order { id: i64, owner_id: i64 }
///
/// impl Resource for Order {
///     const KIND: &'static str = "order";
///     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a resource",
    label = "a resource gate needs a `Resource`",
    note = "implement `auth_core::Resource` for `{Self}` so each decision records which one it was about"
)]
pub trait Resource {
    /// The kind of resource, e.g. `"order"`.
    const KIND: &'static str;

    /// This instance's id, for audit events.
    fn id(&self) -> impl Display + '_;
}

impl<R: Resource + ?Sized> Resource for &R {
    const KIND: &'static str = R::KIND;

    fn id(&self) -> impl Display + '_ {
        (**self).id()
    }
}

impl<R: Resource + ?Sized> Resource for Box<R> {
    const KIND: &'static str = R::KIND;

    fn id(&self) -> impl Display + '_ {
        (**self).id()
    }
}
