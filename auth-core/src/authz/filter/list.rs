//! [`ListPermit`]: the proof that a principal may list the `R` a filter selects.

use std::fmt;
use std::marker::PhantomData;

use crate::audit;
use crate::authz::policy::{guest_refused, refuses_guest};
use crate::engine::{ListPolicy, Page};
use crate::{Action, AsyncPolicy, AuthError, AuthInfo, Authenticated, Decision, Permit, Resource};

use super::{Filter, FilterPolicy};

/// Proof that the [`FilterPolicy`] of `A` on `R` was asked for this principal,
/// holding its answer: the [`Filter`] of every `R` the principal may `A`.
///
/// The data layer takes it by reference and builds its query from
/// [`filter`](Self::filter) ([`Filter::to_sql`], or [`Filter::apply`] in memory),
/// so a listing cannot run without the rule, nor with another rule. The rows it
/// reads become [`Permit`]s through [`admit`](Self::admit), which checks each row
/// against the filter again, in memory: a row the query should not have returned
/// (a forgotten `WHERE`, a column with another collation) is a 500 and an error
/// event, never a permit.
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use auth_core::filter::{Field, Filter, SqlDialect};
/// use auth_core::{Action, Authenticated, FilterPolicy, Identity, Mechanism, Resource};
///
/// #[derive(Action)]
/// struct Read;
/// struct User { id: i64 }
/// struct Order { id: i64, owner_id: i64 }
/// impl Resource for Order {
///     const KIND: &'static str = "order";
///     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
/// }
/// const OWNER_ID: Field<Order, i64> = Field::int("owner_id", |o| o.owner_id);
/// impl FilterPolicy<Order> for Read {
///     type Principal = User;
///     type State = ();
///     fn filter(user: &Authenticated<User>, (): &()) -> Filter<Order> { OWNER_ID.eq(user.id) }
/// }
///
/// let alice = Authenticated::for_testing(Identity::new(User { id: 1 }, "1", Mechanism::Test));
/// let list = alice.authorize_list::<Read, Order>(&())?;
/// assert_eq!(list.filter().to_sql(SqlDialect::Postgres { first: 1 }).clause(), r#""owner_id" = $1"#);
/// // The rows the query returned become permits; a stray one is an error.
/// assert_eq!(list.admit_all([Order { id: 1, owner_id: 1 }])?.len(), 1);
/// assert!(list.admit(Order { id: 2, owner_id: 2 }).is_err());
/// # }
/// # Ok::<(), auth_core::AuthError>(())
/// ```
///
/// Like a permit, it borrows its principal, so it cannot outlive the request;
/// it is not `Clone`, and only
/// [`Authenticated::authorize_list`](crate::Authenticated::authorize_list) makes
/// one.
#[must_use = "a list permit proves a check happened; pass it to the query"]
pub struct ListPermit<'p, A, R> {
    filter: Filter<R>,
    /// The engine's cursor of the next page ([`Authenticated::authorize_page`]).
    next: Option<String>,
    principal: &'p AuthInfo,
    action: PhantomData<fn() -> A>,
}

impl<'p, A: Action, R: Resource> ListPermit<'p, A, R> {
    /// Every `R` the principal may `A`: narrow the query by it.
    pub fn filter(&self) -> &Filter<R> {
        &self.filter
    }

    /// Who the permit was made for.
    pub fn principal(&self) -> &'p AuthInfo {
        self.principal
    }

    /// The cursor of the next page, when the permit holds one page of an
    /// engine's answer ([`Authenticated::authorize_page`]) and the engine has
    /// more; `None` on the last page and for a whole-rule filter
    /// ([`Authenticated::authorize_list`]).
    pub fn next_cursor(&self) -> Option<&str> {
        self.next.as_deref()
    }

    /// Turns a row the query returned into its [`Permit`], after checking it
    /// against the filter.
    ///
    /// Not audited row by row: the list's one event (made by
    /// [`authorize_list`](crate::Authenticated::authorize_list)) covers every row
    /// the filter selects.
    ///
    /// # Errors
    /// [`AuthError::Misconfigured`] (500, and an error event naming the action
    /// and the resource) when the filter does not select `row`: the query did
    /// not apply the filter it was given.
    pub fn admit(&self, row: R) -> Result<Permit<'p, A, R>, AuthError> {
        if self.filter.matches(&row) {
            Ok(Permit::new(self.principal, row))
        } else {
            Err(Self::stray(&row))
        }
    }

    /// [`admit`](Self::admit) for every row, in order.
    ///
    /// # Errors
    /// As [`admit`](Self::admit), for the first row the filter does not select.
    pub fn admit_all(
        &self,
        rows: impl IntoIterator<Item = R>,
    ) -> Result<Vec<Permit<'p, A, R>>, AuthError> {
        rows.into_iter().map(|row| self.admit(row)).collect()
    }

    #[cold]
    fn stray(row: &R) -> AuthError {
        let reason = "a listing returned a row its filter does not select: the query did not apply the filter";
        audit::misconfigured(
            &format_args!("{}:{} ({})", R::KIND, row.id(), A::NAME).to_string(),
            reason,
        );
        AuthError::misconfigured(reason)
    }
}

impl<A: Action, R> fmt::Debug for ListPermit<'_, A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListPermit")
            .field("action", &A::NAME)
            .field("principal", &self.principal.subject())
            .field("filter", &self.filter)
            .field("next", &self.next)
            .finish()
    }
}

/// A list refused by `refusal` (an engine's refusal, or an
/// [unavailable](Filter::unavailable) filter's 503): audited once, and its
/// error. A refusal that says allow refuses all the same: a rule that did
/// not list grants nothing.
#[cold]
fn refused_list<A: Action, R: Resource>(subject: &str, refusal: Decision) -> AuthError {
    audit::list_decision::<A, R>(subject, &refusal, None);
    match refusal.into_result() {
        Err(error) => error,
        Ok(()) => AuthError::forbidden("the rule refused the list"),
    }
}

/// `filter`, within the principal's tenant when `R` declares one: a tenant's
/// resources, for a principal of that tenant only, so the query cannot reach
/// another tenant's rows whatever the rule (or the engine) says; nothing for a
/// principal of no tenant.
fn within_tenant<R: Resource>(info: &AuthInfo, filter: Filter<R>) -> Filter<R> {
    match R::TENANT {
        None => filter,
        Some(tenant) => match info.tenant() {
            Some(mine) => crate::filter::Field::<R, str>::eq(tenant, mine).and(filter),
            None => Filter::none(),
        },
    }
}

impl<U> Authenticated<U> {
    /// Asks the [`FilterPolicy`] of `A` on `R` which `R` this principal may `A`,
    /// and returns the [`ListPermit`] holding the answer: one decision and one
    /// audit event for the whole list (principal, action, resource kind and the
    /// filter's shape), however many rows it selects.
    ///
    /// ```
    /// # #[cfg(feature = "testing")] {
    /// use auth_core::filter::{Field, Filter, SqlDialect};
    /// use auth_core::{Action, Authenticated, FilterPolicy, Identity, Mechanism, Resource};
    ///
    /// #[derive(Action)]
    /// struct Read;
    /// struct Order { id: i64, owner_id: i64 }
    /// impl Resource for Order {
    ///     const KIND: &'static str = "order";
    ///     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
    /// }
    /// const OWNER_ID: Field<Order, i64> = Field::int("owner_id", |o| o.owner_id);
    ///
    /// impl FilterPolicy<Order> for Read {
    ///     type Principal = i64;
    ///     type State = ();
    ///     fn filter(user: &Authenticated<i64>, _: &()) -> Filter<Order> {
    ///         OWNER_ID.eq(**user)
    ///     }
    /// }
    ///
    /// let alice = Authenticated::for_testing(Identity::new(7, "7", Mechanism::Test));
    /// let list = alice.authorize_list::<Read, Order>(&())?;
    /// let sql = list.filter().to_sql(SqlDialect::Sqlite);
    /// let query = format!("SELECT id, owner_id FROM orders WHERE {} ORDER BY id LIMIT 50", sql.clause());
    /// assert_eq!(query, r#"SELECT id, owner_id FROM orders WHERE `owner_id` = ? ORDER BY id LIMIT 50"#);
    ///
    /// // The rows the query returned become permits, each checked again:
    /// let permits = list.admit_all([Order { id: 1, owner_id: 7 }])?;
    /// assert_eq!(permits[0].id, 1);
    /// // A row the filter does not select is a 500, never a permit.
    /// assert!(list.admit(Order { id: 2, owner_id: 8 }).is_err());
    /// # }
    /// # Ok::<(), auth_core::AuthError>(())
    /// ```
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] for a guest when the policy does not decide for
    /// guests ([`FilterPolicy::GUESTS`]); [`AuthError::Unavailable`] (503) when
    /// the filter is [`Filter::unavailable`]. A filter that selects nothing is
    /// not an error: the list is empty.
    pub fn authorize_list<A, R>(&self, state: &A::State) -> Result<ListPermit<'_, A, R>, AuthError>
    where
        A: FilterPolicy<R, Principal = U>,
        R: Resource,
    {
        if refuses_guest(self, <A as FilterPolicy<R>>::GUESTS) {
            let decision = guest_refused();
            audit::list_decision::<A, R>(self.subject(), &decision, None);
            return Err(AuthError::forbidden(
                "the policy does not decide for guests",
            ));
        }
        let filter = A::filter(self, state);
        if let Some(component) = filter.unavailable_component() {
            let refusal = Decision::unavailable(component, None);
            return Err(refused_list::<A, R>(self.subject(), refusal));
        }
        let filter = within_tenant(self.info(), filter);
        let mut decision = Decision::allow("the list is narrowed by the rule's filter");
        if let Some(evidence) = filter.evidence() {
            decision = decision.with_evidence(evidence.clone());
        }
        audit::list_decision::<A, R>(self.subject(), &decision, Some(&filter));
        Ok(ListPermit {
            filter,
            next: None,
            principal: self.info(),
            action: PhantomData,
        })
    }

    /// Asks the [`ListPolicy`] of `A` on `R` (an engine: Casbin, Cedar,
    /// SpiceDB) which `R` this principal may `A`, one [`Page`] at a time, and
    /// returns the [`ListPermit`] holding the answer, with the engine's cursor
    /// of the next page ([`ListPermit::next_cursor`]). One audit event for the
    /// page, with the engine's evidence.
    ///
    /// See [`engine`](crate::engine) for an example.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] for a guest when the policy does not decide for
    /// guests ([`AsyncPolicy::GUESTS`]); the engine's refusal otherwise:
    /// [`AuthError::Unavailable`] (503) when it cannot answer, the error of its
    /// denial when it refuses the whole list.
    pub async fn authorize_page<A, R>(
        &self,
        state: &A::State,
        page: Page<'_>,
    ) -> Result<ListPermit<'_, A, R>, AuthError>
    where
        A: ListPolicy<R, Principal = U>,
        R: Resource,
    {
        if refuses_guest(self, <A as AsyncPolicy<R>>::GUESTS) {
            let decision = guest_refused();
            audit::list_decision::<A, R>(self.subject(), &decision, None);
            return Err(AuthError::forbidden(
                "the policy does not decide for guests",
            ));
        }
        let listing = match A::list(self, state, page).await {
            Ok(listing) => listing,
            Err(refusal) => return Err(refused_list::<A, R>(self.subject(), refusal)),
        };
        if let Some(component) = listing.filter.unavailable_component() {
            let refusal = Decision::unavailable(component, None);
            return Err(refused_list::<A, R>(self.subject(), refusal));
        }
        // The listing's own evidence, else the filter's (`Listing::complete`
        // of a filter an engine built with its evidence).
        let evidence = listing
            .evidence
            .or_else(|| listing.filter.evidence().cloned());
        let filter = within_tenant(self.info(), listing.filter);
        let mut decision = Decision::allow("the list is narrowed by the engine's answer");
        if let Some(evidence) = evidence {
            decision = decision.with_evidence(evidence);
        }
        audit::list_decision::<A, R>(self.subject(), &decision, Some(&filter));
        Ok(ListPermit {
            filter,
            next: listing.next,
            principal: self.info(),
            action: PhantomData,
        })
    }
}
