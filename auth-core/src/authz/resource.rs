//! Resources: the values permissions are about.

use std::fmt::Display;

use crate::filter::Field;

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

    /// The field that holds the tenant this instance belongs to, for a resource
    /// of a multi-tenant service; `None` (the default) for one that belongs to
    /// no tenant.
    ///
    /// Declared, it is enforced for every policy of the resource, on every way
    /// to a permit: a principal whose tenant
    /// ([`AuthInfo::tenant`](crate::AuthInfo::tenant)) is not the resource's
    /// gets a 404 before the policy runs (a principal with no tenant gets it for
    /// every tenant's resource), and a list
    /// ([`authorize_list`](crate::Authenticated::authorize_list)) is narrowed to
    /// the principal's tenant in its query. A handler cannot forget it: no
    /// policy, gate or list sees another tenant's resource. A resource whose
    /// tenant is empty is refused to everyone.
    ///
    /// The declaration is the type's: a wrapper or projection type that
    /// implements `Resource` itself (rather than through the forwarding impls
    /// for `&R` and `Box<R>`) must declare `TENANT` too, or it is a resource
    /// of no tenant.
    ///
    /// ```
    /// use auth_core::Resource;
    /// use auth_core::filter::Field;
    ///
    /// struct Invoice { id: i64, tenant: String }
    ///
    /// impl Resource for Invoice {
    ///     const KIND: &'static str = "invoice";
    ///     const TENANT: Option<Field<Self, str>> = Some(Field::text("tenant", |i| &i.tenant));
    ///     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
    /// }
    /// ```
    const TENANT: Option<Field<Self, str>> = None;
}

/// The tenant `resource` belongs to, by its declared [`Resource::TENANT`].
pub(crate) fn tenant_of<R: Resource + ?Sized>(resource: &R) -> Option<&str> {
    R::TENANT.map(|field| field.read(resource))
}

/// Whether `principal` is refused `resource` because it belongs to another
/// tenant (or the principal to none).
#[inline]
pub(crate) fn other_tenant<R: Resource + ?Sized>(
    principal: &crate::AuthInfo,
    resource: &R,
) -> bool {
    match tenant_of(resource) {
        None => false,
        // A resource whose tenant is empty belongs to no tenant one could
        // hold: nobody reaches it.
        Some("") => true,
        Some(tenant) => principal.tenant() != Some(tenant),
    }
}

#[cold]
pub(crate) fn other_tenant_refused() -> crate::Decision {
    crate::Decision::not_found("the resource belongs to another tenant")
}

impl<R: Resource + ?Sized> Resource for &R {
    const KIND: &'static str = R::KIND;
    const TENANT: Option<Field<Self, str>> = match R::TENANT {
        Some(field) => Some(Field::text(field.column(), |r: &&R| {
            tenant_of::<R>(*r).unwrap_or_default()
        })),
        None => None,
    };

    fn id(&self) -> impl Display + '_ {
        (**self).id()
    }
}

#[allow(
    clippy::borrowed_box,
    reason = "the tenant field of a `Box<R>` reads a `&Box<R>`"
)]
impl<R: Resource + ?Sized> Resource for Box<R> {
    const KIND: &'static str = R::KIND;
    const TENANT: Option<Field<Self, str>> = match R::TENANT {
        Some(field) => Some(Field::text(field.column(), |r: &Box<R>| {
            tenant_of::<R>(r).unwrap_or_default()
        })),
        None => None,
    };

    fn id(&self) -> impl Display + '_ {
        (**self).id()
    }
}
