//! [`FilterPolicy`]: a policy stated as a [`Filter`], which is also its query.

use crate::authz::policy::{guest_refused, refuses_guest};
use crate::{Action, Authenticated, Decision, Policy};

use super::Filter;

/// A policy written once as a [`Filter`] over `R`'s fields: the decision for one
/// `R` and the query for every `R` the principal may act on, from the same rule.
///
/// Every `FilterPolicy` is a [`Policy`] (the decision is
/// [`Filter::matches`]), so resource gates, [`Authenticated::authorize`] and
/// [`Authenticated::authorize_list`] all ask the one filter. An action has a
/// `FilterPolicy` or a hand-written `Policy` for a resource, never both.
///
/// ```
/// use auth_core::filter::{Field, Filter};
/// use auth_core::{Action, Authenticated, FilterPolicy};
///
/// #[derive(Action)]
/// struct Read;
/// struct User { id: i64, admin: bool }
/// struct Order { owner_id: i64 }
///
/// impl FilterPolicy<Order> for Read {
///     type Principal = User;
///     type State = ();
///
///     fn filter(user: &Authenticated<User>, _: &()) -> Filter<Order> {
///         const OWNER_ID: Field<Order, i64> = Field::int("owner_id", |o| o.owner_id);
///         OWNER_ID.eq(user.id).named("owner").or(Filter::when(user.admin).named("admin"))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no filter policy for `{R}`",
    label = "a list of `{R}` needs the rule as a filter",
    note = "state the rule as a filter: `impl auth_core::FilterPolicy<{R}> for {Self} {{ type Principal = ..; type State = ..; fn filter(..) -> auth_core::filter::Filter<{R}> {{ .. }} }}`",
    note = "a rule that cannot be a filter (it computes over the loaded value, or awaits) is a `Policy`; list it with `filter_authorized`, the slow path that decides every loaded row"
)]
pub trait FilterPolicy<R>: Action {
    /// The principal type the rule decides for.
    type Principal;
    /// What the rule reads besides the principal; `()` for nothing.
    type State: ?Sized;

    /// Whether the rule decides for guests at all; see
    /// [`Policy::GUESTS`]. `false` unless set: a guest is denied one `R` (403)
    /// and refused a list (403).
    const GUESTS: bool = false;

    /// Whether a denied `R` is a 404 (the caller must not learn it exists)
    /// rather than a 403. `false` unless set.
    const HIDES_DENIED: bool = false;

    /// Every `R` that `principal` may act on; [`Filter::unavailable`] when the
    /// engine or store the rule asks cannot say (a 503 for one `R` and for
    /// the list, never an allow).
    fn filter(principal: &Authenticated<Self::Principal>, state: &Self::State) -> Filter<R>;
}

impl<A, R> Policy<R> for A
where
    A: FilterPolicy<R>,
{
    type Principal = A::Principal;
    type State = A::State;
    // Guests are refused here rather than before `decide`, so that a rule that
    // hides denied values hides them from guests too (404, not 403).
    const GUESTS: bool = true;

    fn decide(principal: &Authenticated<A::Principal>, resource: &R, state: &A::State) -> Decision {
        if refuses_guest(principal, <A as FilterPolicy<R>>::GUESTS) {
            return if A::HIDES_DENIED {
                Decision::not_found("the policy does not decide for guests (`GUESTS` is false)")
            } else {
                guest_refused()
            };
        }
        let filter = A::filter(principal, state);
        if let Some(component) = filter.unavailable_component() {
            return Decision::unavailable(component, None);
        }
        let decision = if filter.matches(resource) {
            Decision::allow(
                filter
                    .reason(resource)
                    .unwrap_or("the rule's filter selects it"),
            )
        } else if A::HIDES_DENIED {
            Decision::not_found("the rule's filter does not select it")
        } else {
            Decision::deny("the rule's filter does not select it")
        };
        match filter.evidence() {
            None => decision,
            Some(evidence) => decision.with_evidence(evidence.clone()),
        }
    }
}
