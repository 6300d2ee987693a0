//! SpiceDB behind a policy: relationships (Zanzibar) decide, the handler still
//! gets a [`Permit`](crate::Permit).
//!
//! The domain writes `impl AsyncPolicy<Document> for Edit` whose `decide` asks
//! SpiceDB through a [`SpiceDb`] client ([`SpiceDb::check`]); the handler is
//! unchanged: `#[requires(Edit(doc), state = ..)]`. Nothing here makes a permit:
//! the client answers [`Decision`](crate::Decision)s, and only the policy path
//! turns them into permits.
//!
//! - **Fail closed.** Allow only for SpiceDB's `PERMISSIONSHIP_HAS_PERMISSION`,
//!   deny (403, or 404 through [`Checked::decision_or_not_found`]) for
//!   `PERMISSIONSHIP_NO_PERMISSION`; everything else is
//!   [unavailable](crate::Decision::unavailable) (503): unreachable, timed out,
//!   an error status, a conditional answer (a caveat whose context was not
//!   sent), an id outside SpiceDB's grammar ([`SpiceObject`]).
//! - **Consistency.** A write returns a [`ZedToken`]; the domain stores it with
//!   its row and checks that row [`Consistency::at_least_as_fresh`] it. Reads
//!   without a token use the client's default,
//!   [`Consistency::fully_consistent`] unless configured.
//! - **Latency.** A timeout per call, a bounded retry of reads answered
//!   `UNAVAILABLE`, and the per-request memo: a policy that sets `const MEMO:
//!   bool = true` asks SpiceDB once per request for the same resource.
//! - **Lists.** [`SpiceDb::lookup`] pages `LookupResources` (ids and a cursor)
//!   for a [`ListPolicy`](crate::engine::ListPolicy) ([`LookupPage::into_listing`]).
//! - **Evidence.** Each answer carries the revision it was computed at
//!   (`checked_at`) as its [`Evidence`](crate::engine::Evidence): the audit
//!   event's `engine = "spicedb"` and `evidence = <ZedToken>`.
//!
//! The guide's SpiceDB chapter shows a schema, the policy and a list.

mod client;
mod consistency;
mod error;
mod generated;
mod object;
mod relationship;

pub use client::{CheckItem, Checked, LookupPage, SpiceDb, SpiceDbBuilder};
pub use consistency::{Consistency, ZedToken};
pub use error::SpiceDbError;
pub use object::{ObjectRef, SpiceObject, SubjectRef};
pub use relationship::{Relationship, RelationshipFilter, RelationshipUpdate};
