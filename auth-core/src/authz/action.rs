//! Actions as types.

/// An action a principal may perform on a resource: `Read`, `Update`, `Delete`...
///
/// Actions are types, so a [`Permit<Delete, Order>`](crate::Permit) and a
/// `Permit<Read, Order>` cannot be mixed up. Declare them with the derive, which
/// gives each a stable name for the audit log (the type name in `snake_case`, or
/// the one you choose):
///
/// ```
/// use auth_core::Action;
///
/// #[derive(Action)]
/// pub struct Read;
///
/// #[derive(Action)]
/// #[action(name = "orders.refund")]
/// pub struct ApproveRefund;
///
/// assert_eq!(Read::NAME, "read");
/// assert_eq!(ApproveRefund::NAME, "orders.refund");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an action",
    label = "not an action",
    note = "declare actions as unit structs with `#[derive(auth_core::Action)]`, e.g. `#[derive(Action)] struct Update;`"
)]
pub trait Action: 'static {
    /// The stable name recorded in audit events. Renaming the type does not change
    /// it when it was set with `#[action(name = "..")]`.
    const NAME: &'static str;
}
