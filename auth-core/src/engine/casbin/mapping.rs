//! How a request of auth-core becomes a casbin request: the subject and the
//! domain from the principal, the object from the resource, the action's name.

use std::borrow::Cow;

use crate::filter::{Field, Filter};
use crate::{Authenticated, Resource};

/// A principal type that casbin decides for: its `sub` (and `dom`, for a model
/// with domains) in the request.
///
/// The defaults read the [`AuthInfo`](crate::AuthInfo) the authenticator
/// verified: the subject is [`Authenticated::subject`], the domain the
/// principal's [tenant](crate::AuthInfo::tenant). An empty `impl` takes them:
///
/// ```
/// use auth_core::casbin::CasbinSubject;
///
/// struct User { id: u64 }
/// impl CasbinSubject for User {}
/// ```
pub trait CasbinSubject: Sized {
    /// The request's `sub`: the name `p` and `g` rules give this principal.
    fn casbin_subject(principal: &Authenticated<Self>) -> Cow<'_, str> {
        Cow::Borrowed(principal.subject())
    }

    /// The request's `dom` (for `r = sub, dom, obj, act`): the principal's
    /// tenant. `None`: no domain, and a model with domains denies.
    fn casbin_domain(principal: &Authenticated<Self>) -> Option<Cow<'_, str>> {
        principal.info().tenant().map(Cow::Borrowed)
    }
}

/// A resource type that casbin decides about: which [`Object`] names a value in
/// `obj`.
///
/// ```
/// use auth_core::casbin::{CasbinResource, Object};
/// use auth_core::Resource;
///
/// struct Document { id: i64 }
/// impl Resource for Document {
///     const KIND: &'static str = "document";
///     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
/// }
/// impl CasbinResource for Document {
///     // `obj` is `document:42`; a list becomes `id IN (..)`.
///     const OBJECT: Object<Self> = Object::int("id", |d| d.id);
/// }
/// ```
pub trait CasbinResource: Resource + Sized {
    /// What `obj` is for a value of this type.
    const OBJECT: Object<Self>;
}

/// What a resource's `obj` is, and how a list of objects becomes a [`Filter`].
pub struct Object<R>(Repr<R>);

enum Repr<R> {
    Kind,
    Int(&'static str, fn(&R) -> i64),
    Text(&'static str, for<'a> fn(&'a R) -> &'a str),
}

impl<R> Object<R> {
    /// `obj` is the resource's [`KIND`](Resource::KIND) (`order`): a rule is
    /// about every value of the type. A list is all of them or none.
    pub const fn kind() -> Self {
        Object(Repr::Kind)
    }

    /// `obj` is `KIND:value` of the integer column `column`, read by `get`
    /// (`order:42`): the id, or an attribute. A list is `column IN (..)`.
    pub const fn int(column: &'static str, get: fn(&R) -> i64) -> Self {
        Object(Repr::Int(column, get))
    }

    /// `obj` is `KIND:value` of the text column `column`, read by `get`
    /// (`document:readme`, `folder:eu`). A list is `column IN (..)`.
    pub const fn text(column: &'static str, get: for<'a> fn(&'a R) -> &'a str) -> Self {
        Object(Repr::Text(column, get))
    }
}

impl<R: CasbinResource> Object<R> {
    /// The `obj` of `resource`.
    pub(super) fn of(&self, resource: &R) -> String {
        match &self.0 {
            Repr::Kind => R::KIND.to_owned(),
            Repr::Int(_, get) => format!("{}:{}", R::KIND, get(resource)),
            Repr::Text(_, get) => format!("{}:{}", R::KIND, get(resource)),
        }
    }

    /// The filter selecting exactly the values whose `obj` is one of `objects`.
    /// An object that no value of `R` can have (another kind, `order:042`) is
    /// left out: no value would match it in a single decision either.
    pub(super) fn filter<'a>(&self, objects: impl IntoIterator<Item = &'a str>) -> Filter<R> {
        let prefix = format!("{}:", R::KIND);
        match &self.0 {
            Repr::Kind => Filter::when(objects.into_iter().any(|o| o == R::KIND)),
            Repr::Int(column, get) => {
                Field::int(column, *get).one_of(objects.into_iter().filter_map(|o| {
                    let digits = o.strip_prefix(&prefix)?;
                    let value: i64 = digits.parse().ok()?;
                    // Only the canonical spelling is the `obj` of a value.
                    (value.to_string() == digits).then_some(value)
                }))
            }
            Repr::Text(column, get) => Field::text(column, *get).one_of(
                objects
                    .into_iter()
                    .filter_map(|o| o.strip_prefix(&prefix).map(str::to_owned)),
            ),
        }
    }
}
