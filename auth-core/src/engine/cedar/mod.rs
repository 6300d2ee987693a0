//! Cedar policies behind the same permits: a policy set and its schema, loaded
//! from files and validated at start, deciding a [`Policy`](crate::Policy) the
//! domain declares, and answering its lists as a [`Filter`].
//!
//! The engine mints nothing. The domain still writes the one policy of an
//! (action, resource) pair, and that policy asks Cedar:
//!
//! ```
//! use std::sync::Arc;
//! use auth_core::cedar::{Cedar, CedarEntity, CedarFile, Record};
//! use auth_core::{Action, Authenticated, Decision, Policy, Resource};
//!
//! #[derive(Action)]
//! #[action(name = "read")]
//! pub struct Read;
//!
//! pub struct User { id: i64 }
//! pub struct Doc { id: i64, owner_id: i64 }
//!
//! impl CedarEntity for User {
//!     const TYPE: &'static str = "Docs::User";
//!     fn cedar_id(&self) -> String { self.id.to_string() }
//!     fn attributes(&self, record: &mut Record) { record.long("id", self.id); }
//! }
//! impl CedarEntity for Doc {
//!     const TYPE: &'static str = "Docs::Doc";
//!     fn cedar_id(&self) -> String { self.id.to_string() }
//!     fn attributes(&self, record: &mut Record) { record.long("owner_id", self.owner_id); }
//! }
//! impl Resource for Doc {
//!     const KIND: &'static str = "doc";
//!     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
//! }
//!
//! /// The engine, loaded once at start, is the policy's state.
//! impl Policy<Doc> for Read {
//!     type Principal = User;
//!     type State = Cedar;
//!     const MEMO: bool = true;
//!
//!     fn decide(user: &Authenticated<User>, doc: &Doc, cedar: &Cedar) -> Decision {
//!         cedar.decide(&**user, Read, doc, &Record::new())
//!     }
//! }
//!
//! let cedar = Cedar::load(
//!     CedarFile::new("docs.cedar", r#"
//!         @id("owner-reads")
//!         permit (principal, action == Docs::Action::"read", resource)
//!         when { resource.owner_id == principal.id };
//!     "#),
//!     CedarFile::new("docs.cedarschema", r#"
//!         namespace Docs {
//!             entity User { id: Long };
//!             entity Doc { owner_id: Long };
//!             action "read" appliesTo { principal: User, resource: Doc };
//!         }
//!     "#),
//! )?;
//! let alice = User { id: 7 };
//! assert!(cedar.decide(&alice, Read, &Doc { id: 1, owner_id: 7 }, &Record::new()).is_allowed());
//! assert!(!cedar.decide(&alice, Read, &Doc { id: 2, owner_id: 8 }, &Record::new()).is_allowed());
//! # Ok::<(), auth_core::cedar::CedarError>(())
//! ```
//!
//! # What a decision is
//!
//! [`Cedar::decide`] builds the principal's and the resource's entities once
//! (through [`CedarEntity`]), evaluates every policy against them in one pass,
//! and answers:
//!
//! - **allow** when a `permit` holds and no `forbid` does; the reason names the
//!   permits (their `@id`), which are the decision's evidence;
//! - **deny** (403) when a `forbid` holds (its ids), or when nothing permits
//!   (Cedar's default deny: no ids);
//! - **unavailable** (503) when Cedar cannot answer faithfully: an entity or a
//!   context that does not conform to the schema, an action the schema lacks, or
//!   an evaluation error in a policy that could have changed the answer. Cedar
//!   itself skips a policy that errors, so a `forbid` that errors would *not*
//!   forbid; here an erroring `forbid` makes an allow unavailable, and an
//!   erroring `permit` makes a default deny unavailable. An error that cannot
//!   change the answer (an erroring `permit` next to a `forbid` that holds)
//!   leaves it as it is.
//!
//! The action is the auth-core action's [`NAME`](crate::Action::NAME): `Read`
//! with `#[action(name = "read")]` asks about `Docs::Action::"read"`, in
//! whichever namespace of the schema declares it (a name two namespaces declare
//! is refused as unavailable).
//!
//! Set [`Policy::MEMO`](crate::Policy::MEMO) so one request asks Cedar once per
//! resource however many times the policy is asked. The memo is keyed by the
//! resource's [id](crate::Resource::id), not by the attributes Cedar decides
//! on: a handler that changes a resource and asks again about the changed value
//! (a move to another owner or folder, checked before it is saved) gets the
//! first answer. Leave `MEMO` off for such a pair. Entities are built per
//! decision rather than kept for the request: building the two entities is a
//! few allocations, small beside the evaluation, and keeping them would cache a
//! principal's attributes past a change the request itself makes.
//!
//! # Lists
//!
//! [`Cedar::filter`] asks Cedar which resources the principal may act on, by
//! type-aware partial evaluation with the resource unknown, and turns what
//! remains (the *residual*, e.g. `resource.owner_id == 7 || resource.public`)
//! into a [`Filter`] over the fields [`CedarFields`] maps. A residual that is
//! not a comparison of mapped fields with values (arithmetic, `like`,
//! hierarchies `in`, optional attributes), or that nests deeper than
//! [`Filter::MAX_DEPTH`] (or, through `if .. then .. else` nested in
//! conditions, grows past 4 096 comparisons), is refused with
//! [`CedarListError::Untranslatable`], naming the policy and the residual: such
//! a rule lists through the slow path (every row decided).

mod entity;
mod load;
mod residual;

use std::collections::BTreeSet;
use std::path::Path;

use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Effect, Entities, EntityUid, PartialEntities,
    PartialEntityUid, PartialRequest, PolicyId, PolicySet, Request, Schema,
};

use crate::engine::{Evidence, Listing};
use crate::filter::Filter;
use crate::{Action, Decision};

pub use entity::{CedarEntity, Parents, Record};
pub use load::{CedarDiagnostic, CedarError, CedarFile, DiagnosticKind};
pub use residual::{CedarFields, CedarListError};

/// The component named by an unavailable decision.
const COMPONENT: &str = "cedar";
/// The engine's name in [`Evidence`].
const ENGINE: &str = "cedar";

/// A Cedar policy set and its schema, validated at load: the engine behind
/// the domain's policies. Load it once at start and share it (it is `Sync`).
pub struct Cedar {
    policies: PolicySet,
    schema: Schema,
    actions: std::collections::HashMap<String, Option<EntityUid>>,
    authorizer: Authorizer,
}

impl std::fmt::Debug for Cedar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cedar")
            .field("policies", &self.policies.policies().count())
            .field("actions", &self.actions.len())
            .finish_non_exhaustive()
    }
}

impl Cedar {
    /// Loads the policies and the schema from files, and validates every policy
    /// strictly against the schema.
    ///
    /// # Errors
    /// [`CedarError::Read`] for a file that cannot be read;
    /// [`CedarError::Refused`] with every problem at its file, line and column
    /// (a schema or a policy that does not parse, a policy the schema refuses,
    /// two policies with one `@id`). A service should stop there.
    pub fn from_files(
        policies: impl AsRef<Path>,
        schema: impl AsRef<Path>,
    ) -> Result<Self, CedarError> {
        Self::load(CedarFile::read(policies)?, CedarFile::read(schema)?)
    }

    /// Loads the policies and the schema from sources already read (files
    /// compiled in with `include_str!`), as [`from_files`](Self::from_files).
    ///
    /// A policy's id, in evidence and messages, is its `@id("..")` annotation
    /// when it has one (give every policy one), else Cedar's `policyN`.
    ///
    /// # Errors
    /// [`CedarError::Refused`], as [`from_files`](Self::from_files).
    #[allow(
        clippy::needless_pass_by_value,
        reason = "`Cedar::load(CedarFile::new(..), CedarFile::new(..))` reads as what it does"
    )]
    pub fn load(policies: CedarFile, schema: CedarFile) -> Result<Self, CedarError> {
        let loaded = load::load(&policies, &schema)?;
        Ok(Cedar {
            policies: loaded.policies,
            schema: loaded.schema,
            actions: loaded.actions,
            authorizer: Authorizer::new(),
        })
    }

    /// The ids of the loaded policies, sorted.
    pub fn policy_ids(&self) -> Vec<String> {
        let ids: BTreeSet<String> = self
            .policies
            .policies()
            .map(|policy| policy.id().to_string())
            .collect();
        ids.into_iter().collect()
    }

    /// The decision of the policy set for `principal` doing `action` on
    /// `resource`, with the request's `context` (the schema's context of the
    /// action). See the [module documentation](self) for what it answers.
    #[allow(
        clippy::needless_pass_by_value,
        reason = "the action's unit value names it at the call: `cedar.decide(user, Read, doc, ..)`"
    )]
    pub fn decide<A: Action, P: CedarEntity + ?Sized, R: CedarEntity + ?Sized>(
        &self,
        principal: &P,
        action: A,
        resource: &R,
        context: &Record,
    ) -> Decision {
        let _ = action;
        match self.evaluate::<A, P, R>(principal, resource, context) {
            Ok(decision) => decision,
            Err(unanswered) => {
                tracing::warn!(target: "auth_core::cedar", action = A::NAME, error = %unanswered.why, "cedar cannot decide");
                let decision = Decision::unavailable(COMPONENT, None);
                match unanswered.evidence {
                    Some(evidence) => decision.with_evidence(evidence),
                    None => decision,
                }
            }
        }
    }

    fn action_uid<A: Action>(&self) -> Result<EntityUid, String> {
        match self.actions.get(A::NAME) {
            Some(Some(uid)) => Ok(uid.clone()),
            Some(None) => Err(format!(
                "the action `{}` is declared in several namespaces of the schema",
                A::NAME
            )),
            None => Err(format!("the schema declares no action `{}`", A::NAME)),
        }
    }

    fn context(context: &Record) -> Result<Context, String> {
        let pairs = context
            .clone()
            .into_pairs()
            .map_err(|error| format!("the context is refused: {error}"))?;
        Context::from_pairs(pairs).map_err(|error| format!("the context is refused: {error}"))
    }

    fn evaluate<A: Action, P: CedarEntity + ?Sized, R: CedarEntity + ?Sized>(
        &self,
        principal: &P,
        resource: &R,
        context: &Record,
    ) -> Result<Decision, Unanswered> {
        let action = self.action_uid::<A>()?;
        let principal = entity::entity(principal).map_err(|error| error.to_string())?;
        let resource = entity::entity(resource).map_err(|error| error.to_string())?;
        let (principal_uid, resource_uid) = (principal.uid(), resource.uid());
        let entities = Entities::from_entities([principal, resource], Some(&self.schema))
            .map_err(|error| format!("the entities do not conform to the schema: {error}"))?;
        let request = Request::new(
            principal_uid,
            action,
            resource_uid,
            Self::context(context)?,
            Some(&self.schema),
        )
        .map_err(|error| format!("the request does not conform to the schema: {error}"))?;
        let response = self
            .authorizer
            .is_authorized(&request, &self.policies, &entities);
        let diagnostics = response.diagnostics();
        let determining: BTreeSet<String> = diagnostics.reason().map(ToString::to_string).collect();
        let (mut erring_permits, mut erring_forbids) = (Vec::new(), Vec::new());
        let mut messages = Vec::new();
        for error in diagnostics.errors() {
            let cedar_policy::AuthorizationError::PolicyEvaluationError(error) = error;
            let id = error.policy_id();
            match self.effect(id) {
                Some(Effect::Forbid) => erring_forbids.push(id.to_string()),
                _ => erring_permits.push(id.to_string()),
            }
            messages.push(error.to_string());
        }
        let ids = join(&determining);
        let evidence = Evidence::new(ENGINE, ids.clone());
        Ok(match response.decision() {
            CedarDecision::Allow if erring_forbids.is_empty() => {
                Decision::allow_because(format!("cedar: permitted by {ids}"))
                    .with_evidence(evidence)
            }
            CedarDecision::Deny if !determining.is_empty() => {
                Decision::deny(format!("cedar: forbidden by {ids}")).with_evidence(evidence)
            }
            CedarDecision::Deny if erring_permits.is_empty() => {
                Decision::deny("cedar: no policy permits (default deny)").with_evidence(evidence)
            }
            _ => {
                let erring: BTreeSet<&String> =
                    erring_permits.iter().chain(&erring_forbids).collect();
                let erring = erring
                    .into_iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(Unanswered {
                    why: format!(
                        "a policy that could change the answer failed to evaluate: {}",
                        messages.join("; ")
                    ),
                    evidence: Some(Evidence::new(ENGINE, format!("errors: {erring}"))),
                });
            }
        })
    }

    fn effect(&self, id: &PolicyId) -> Option<Effect> {
        self.policies.policy(id).map(cedar_policy::Policy::effect)
    }

    /// Every `R` that `principal` may do `action` on, as a filter over the
    /// fields `fields` maps: Cedar's type-aware partial evaluation with the
    /// resource unknown, its residual turned into a [`Filter`]. The filter
    /// selects exactly the resources [`decide`](Self::decide) allows, provided
    /// `fields` reads what [`CedarEntity::attributes`] gives Cedar.
    ///
    /// The filter carries the policies it comes from as its
    /// [evidence](Filter::evidence): those that hold whatever the resource, and
    /// those whose residual it is (none when nothing can permit: Cedar's
    /// default deny). A [`FilterPolicy`](crate::FilterPolicy) returning it
    /// puts them on every decision and on the list's audit event: the
    /// policies the rule was made of for this principal, not the one that
    /// matched this resource ([`decide`](Self::decide) names that one). Its
    /// refusal becomes [`CedarListError::to_filter`] there (a 503).
    ///
    /// # Errors
    /// [`CedarListError::Untranslatable`] for a residual that has no filter
    /// (naming the policy and the residual), [`CedarListError::Unavailable`]
    /// when Cedar cannot evaluate the request or a policy errors. Either is a
    /// refusal ([`CedarListError::to_decision`]: a 503), never a list.
    #[allow(
        clippy::needless_pass_by_value,
        reason = "the action's unit value names it at the call: `cedar.decide(user, Read, doc, ..)`"
    )]
    pub fn filter<A: Action, P: CedarEntity + ?Sized, R: CedarEntity>(
        &self,
        principal: &P,
        action: A,
        context: &Record,
        fields: &CedarFields<R>,
    ) -> Result<Filter<R>, CedarListError> {
        self.residual_filter(principal, action, context, fields)
            .map(|(filter, ids)| {
                if ids.is_empty() {
                    // Partial evaluation denied outright: no policy to name
                    // (Cedar's default deny).
                    filter
                } else {
                    filter.with_evidence(Evidence::new(ENGINE, join(&ids)))
                }
            })
    }

    /// The filter, and the policies it comes from (those that hold whatever the
    /// resource, and the residual ones).
    #[allow(
        clippy::needless_pass_by_value,
        reason = "the action's unit value names it at the call: `cedar.decide(user, Read, doc, ..)`"
    )]
    fn residual_filter<A: Action, P: CedarEntity + ?Sized, R: CedarEntity>(
        &self,
        principal: &P,
        action: A,
        context: &Record,
        fields: &CedarFields<R>,
    ) -> Result<(Filter<R>, BTreeSet<String>), CedarListError> {
        let _ = action;
        let unavailable = CedarListError::Unavailable;
        let action = self.action_uid::<A>().map_err(unavailable)?;
        let principal =
            entity::entity(principal).map_err(|error| unavailable(error.to_string()))?;
        let principal_uid = principal.uid();
        let resource_type =
            entity::type_name(R::TYPE).map_err(|error| unavailable(error.to_string()))?;
        let entities =
            Entities::from_entities([principal], Some(&self.schema)).map_err(|error| {
                unavailable(format!(
                    "the principal does not conform to the schema: {error}"
                ))
            })?;
        let entities = PartialEntities::from_concrete(entities, &self.schema).map_err(|error| {
            unavailable(format!(
                "the principal does not conform to the schema: {error}"
            ))
        })?;
        let request = PartialRequest::new(
            PartialEntityUid::from_concrete(principal_uid),
            action,
            PartialEntityUid::new(resource_type, None),
            Some(Self::context(context).map_err(unavailable)?),
            &self.schema,
        )
        .map_err(|error| {
            unavailable(format!(
                "the request does not conform to the schema: {error}"
            ))
        })?;
        let response = self
            .policies
            .tpe(&request, &entities, &self.schema)
            .map_err(|error| unavailable(format!("partial evaluation failed: {error}")))?;
        let mut erring: Vec<String> = response
            .error_permits()
            .chain(response.error_forbids())
            .map(ToString::to_string)
            .collect();
        erring.sort_unstable();
        if !erring.is_empty() {
            return Err(unavailable(format!(
                "policies fail to evaluate for this principal: {}",
                erring.join(", ")
            )));
        }
        if let Some(decision) = response.decision() {
            let ids = response
                .reason()
                .into_iter()
                .flatten()
                .map(ToString::to_string)
                .collect();
            return Ok(match decision {
                CedarDecision::Allow => (Filter::all(), ids),
                CedarDecision::Deny => (Filter::none(), ids),
            });
        }
        let residual = |id: &PolicyId| -> Result<Filter<R>, CedarListError> {
            let policy = response.get_policy(id).ok_or_else(|| {
                unavailable(format!("partial evaluation lost the residual of `{id}`"))
            })?;
            let pst = policy.to_pst().map_err(|error| {
                unavailable(format!("the residual of `{id}` cannot be read: {error}"))
            })?;
            residual::policy_filter(id.as_ref(), &pst, fields, R::TYPE)
        };
        let ids = response
            .true_permits()
            .chain(response.residual_permits())
            .chain(response.residual_forbids())
            .map(ToString::to_string)
            .collect();
        // In the order of the policies' ids: Cedar answers from a hash map, and
        // the same rule must give the same filter (and audit event) every time.
        let sorted = |ids: &mut Vec<&PolicyId>| {
            ids.sort_by(|a, b| AsRef::<str>::as_ref(*a).cmp(AsRef::<str>::as_ref(*b)));
        };
        let mut residual_permits: Vec<&PolicyId> = response.residual_permits().collect();
        let mut residual_forbids: Vec<&PolicyId> = response.residual_forbids().collect();
        sorted(&mut residual_permits);
        sorted(&mut residual_forbids);
        let mut permits = Vec::new();
        if response.true_permits().next().is_some() {
            permits.push(Filter::all());
        }
        for id in residual_permits {
            permits.push(residual(id)?);
        }
        let mut forbids = Vec::new();
        for id in residual_forbids {
            forbids.push(residual(id)?);
        }
        let filter = Filter::any_of(permits).and(!Filter::any_of(forbids));
        if filter.is_too_deep() {
            // Each residual fits, but not all of them together.
            return Err(unavailable(format!(
                "the residuals of {} together nest deeper than a filter may",
                join(&ids)
            )));
        }
        Ok((filter, ids))
    }

    /// [`filter`](Self::filter) as the answer of a
    /// [`ListPolicy`](crate::engine::ListPolicy): the whole rule as one filter
    /// (the query pages by itself), with the policies it comes from as
    /// evidence; a refusal is unavailable (503), logged with the residual.
    ///
    /// ```
    /// # use auth_core::cedar::{Cedar, CedarEntity, CedarFields, Record};
    /// # use auth_core::engine::{ListPolicy, Listing, Page};
    /// # use auth_core::{Action, Authenticated, Decision, Policy, Resource};
    /// # #[derive(Action)] #[action(name = "read")] pub struct Read;
    /// # pub struct User; pub struct Doc { id: i64 }
    /// # impl CedarEntity for User { const TYPE: &'static str = "U"; fn cedar_id(&self) -> String { String::new() } fn attributes(&self, _: &mut Record) {} }
    /// # impl CedarEntity for Doc { const TYPE: &'static str = "D"; fn cedar_id(&self) -> String { String::new() } fn attributes(&self, _: &mut Record) {} }
    /// # impl Resource for Doc { const KIND: &'static str = "doc"; fn id(&self) -> impl std::fmt::Display + '_ { self.id } }
    /// # impl Policy<Doc> for Read { type Principal = User; type State = Cedar;
    /// #     fn decide(user: &Authenticated<User>, doc: &Doc, cedar: &Cedar) -> Decision { cedar.decide(&**user, Read, doc, &Record::new()) } }
    /// impl ListPolicy<Doc> for Read {
    ///     async fn list(user: &Authenticated<User>, cedar: &Cedar, _: Page<'_>) -> Result<Listing<Doc>, Decision> {
    ///         cedar.listing(&**user, Read, &Record::new(), &CedarFields::new())
    ///     }
    /// }
    /// ```
    ///
    /// # Errors
    /// The refusal as a decision: [`CedarListError::to_decision`].
    #[allow(
        clippy::needless_pass_by_value,
        reason = "the action's unit value names it at the call: `cedar.decide(user, Read, doc, ..)`"
    )]
    pub fn listing<A: Action, P: CedarEntity + ?Sized, R: CedarEntity>(
        &self,
        principal: &P,
        action: A,
        context: &Record,
        fields: &CedarFields<R>,
    ) -> Result<Listing<R>, Decision> {
        match self.residual_filter(principal, action, context, fields) {
            Ok((filter, ids)) => {
                Ok(Listing::complete(filter).with_evidence(Evidence::new(ENGINE, join(&ids))))
            }
            Err(refusal) => Err(refusal.to_decision()),
        }
    }
}

fn join(ids: &BTreeSet<String>) -> String {
    ids.iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why Cedar gave no answer, and the policies that failed, if any.
struct Unanswered {
    why: String,
    evidence: Option<Evidence>,
}

impl From<String> for Unanswered {
    fn from(why: String) -> Self {
        Unanswered {
            why,
            evidence: None,
        }
    }
}
