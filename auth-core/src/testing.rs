//! Test helpers for your policies (feature `testing`; enable it in
//! `[dev-dependencies]` only).
//!
//! [`PolicyTable`] is a table-driven harness: rows of principal × action ×
//! resource → expected [`Outcome`], each decided through the one evaluation
//! path the handlers use (guests refused unless the policy says so), and every
//! mismatch reported at once, as a table a reviewer can read.
//!
//! ```
//! use auth_core::testing::PolicyTable;
//! use auth_core::{Action, Authenticated, Decision, Identity, Mechanism, Outcome, Policy, Resource};
//!
//! #[derive(Action)]
//! struct Read;
//! struct Order { id: u64, owner: u64 }
//! impl Resource for Order {
//!     const KIND: &'static str = "order";
//!     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
//! }
//! impl Policy<Order> for Read {
//!     type Principal = u64;
//!     type State = ();
//!     fn decide(user: &Authenticated<u64>, order: &Order, _: &()) -> Decision {
//!         Decision::allow_if(order.owner == **user, "owner", "not the owner")
//!     }
//! }
//!
//! let alice = Authenticated::for_testing(Identity::new(1, "alice", Mechanism::Test));
//! let guest = Authenticated::for_testing(Identity::new(1, "guest:x", Mechanism::Guest));
//!
//! let mut table = PolicyTable::new();
//! table
//!     .expect::<Read, _>(&alice, Order { id: 1, owner: 1 }, Outcome::Allow)
//!     .expect::<Read, _>(&alice, Order { id: 2, owner: 2 }, Outcome::Deny)
//!     // Policies refuse guests unless they say `GUESTS = true`:
//!     .expect::<Read, _>(&guest, Order { id: 1, owner: 1 }, Outcome::Deny);
//! table.assert();
//! ```

use std::fmt;

use crate::authz::authorize::{decide, decide_async};
use crate::{AsyncPolicy, Authenticated, Decision, Outcome, Policy, Resource};

/// Rows of principal × action × resource → expected [`Outcome`], decided as
/// they are added; [`assert`](Self::assert) fails with every mismatch.
#[derive(Debug, Default)]
pub struct PolicyTable {
    rows: Vec<Row>,
}

#[derive(Debug)]
struct Row {
    principal: String,
    action: &'static str,
    resource: String,
    expected: Outcome,
    got: Outcome,
    reason: String,
}

impl PolicyTable {
    /// An empty table.
    pub fn new() -> Self {
        PolicyTable::default()
    }

    /// Expects the policy of `A` on `R`, which reads no state, to answer
    /// `expected` for `principal` on `resource`.
    pub fn expect<A, R>(
        &mut self,
        principal: &Authenticated<A::Principal>,
        resource: R,
        expected: Outcome,
    ) -> &mut Self
    where
        A: Policy<R, State = ()>,
        R: Resource,
    {
        self.expect_with::<A, R>(principal, resource, &(), expected)
    }

    /// Like [`expect`](Self::expect), for a policy that reads `state`.
    pub fn expect_with<A, R>(
        &mut self,
        principal: &Authenticated<A::Principal>,
        resource: R,
        state: &A::State,
        expected: Outcome,
    ) -> &mut Self
    where
        A: Policy<R>,
        R: Resource,
    {
        let decision = decide::<A, R, A::Principal, A::State>(principal, &resource, state);
        self.record::<A, R>(principal.subject(), &resource, expected, &decision);
        self
    }

    /// Like [`expect_with`](Self::expect_with), for a policy that awaits.
    pub async fn expect_async<A, R>(
        &mut self,
        principal: &Authenticated<A::Principal>,
        resource: R,
        state: &A::State,
        expected: Outcome,
    ) -> &mut Self
    where
        A: AsyncPolicy<R>,
        R: Resource,
    {
        let decision =
            decide_async::<A, R, A::Principal, A::State>(principal, &resource, state).await;
        self.record::<A, R>(principal.subject(), &resource, expected, &decision);
        self
    }

    fn record<A: crate::Action, R: Resource>(
        &mut self,
        principal: &str,
        resource: &R,
        expected: Outcome,
        decision: &Decision,
    ) {
        self.rows.push(Row {
            principal: principal.to_owned(),
            action: A::NAME,
            resource: format!("{}:{}", R::KIND, resource.id()),
            expected,
            got: decision.outcome(),
            reason: decision.reason().into_owned(),
        });
    }

    /// How many rows answered other than expected.
    pub fn mismatches(&self) -> usize {
        self.rows.iter().filter(|r| r.expected != r.got).count()
    }

    /// Fails, showing the whole table with each mismatch marked, unless every
    /// row answered as expected.
    ///
    /// # Panics
    /// When a row answered other than expected (this is a test assertion), or
    /// when the table has no rows (a table that checks nothing is a mistake).
    #[track_caller]
    pub fn assert(&self) {
        assert!(!self.rows.is_empty(), "the policy table has no rows");
        let mismatches = self.mismatches();
        assert!(
            mismatches == 0,
            "{mismatches} of {} policy decisions differ from the table:\n{self}",
            self.rows.len()
        );
    }
}

/// The table in Markdown: principal, action, resource, expected, got, reason;
/// a mismatch's row starts with `✗`.
impl fmt::Display for PolicyTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "| | principal | action | resource | expected | got | reason |"
        )?;
        writeln!(f, "|---|---|---|---|---|---|---|")?;
        for row in &self.rows {
            let mark = if row.expected == row.got { " " } else { "✗" };
            writeln!(
                f,
                "| {mark} | {} | {} | {} | {} | {} | {} |",
                row.principal.replace('|', "\\|"),
                row.action,
                row.resource.replace('|', "\\|"),
                row.expected,
                row.got,
                row.reason.replace('|', "\\|").replace('\n', " "),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Action, Identity, Mechanism};

    struct Doc(u64);
    impl Resource for Doc {
        const KIND: &'static str = "doc";
        fn id(&self) -> impl fmt::Display + '_ {
            self.0
        }
    }
    struct Open;
    impl Action for Open {
        const NAME: &'static str = "open";
    }
    impl Policy<Doc> for Open {
        type Principal = ();
        type State = ();
        fn decide(_: &Authenticated<()>, doc: &Doc, (): &()) -> Decision {
            if doc.0 == 0 {
                Decision::not_found("hidden")
            } else {
                Decision::allow_if(doc.0 % 2 == 1, "odd", "even")
            }
        }
    }

    #[test]
    fn a_mismatch_is_reported_with_the_whole_table() {
        let who = Authenticated::for_testing(Identity::new((), "u|1", Mechanism::Test));
        let mut table = PolicyTable::new();
        table
            .expect::<Open, _>(&who, Doc(1), Outcome::Allow)
            .expect::<Open, _>(&who, Doc(2), Outcome::Allow)
            .expect::<Open, _>(&who, Doc(0), Outcome::NotFound);
        assert_eq!(table.mismatches(), 1);
        let text = table.to_string();
        assert!(
            text.contains("| ✗ | u\\|1 | open | doc:2 | allow | deny | even |"),
            "{text}"
        );
        assert!(
            text.contains("|   | u\\|1 | open | doc:0 | not_found | not_found | hidden |"),
            "{text}"
        );
        let failed = std::panic::catch_unwind(|| table.assert());
        assert!(failed.is_err());
    }

    #[test]
    #[should_panic(expected = "no rows")]
    fn an_empty_table_is_a_mistake() {
        PolicyTable::new().assert();
    }
}
