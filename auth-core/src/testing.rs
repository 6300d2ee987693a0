//! Test helpers for your policies (feature `testing`; enable it in
//! `[dev-dependencies]` only).
//!
//! [`PolicyTable`] is a table-driven harness: rows of principal × action ×
//! resource → expected [`Outcome`], each decided through the one evaluation
//! path the handlers use (guests refused unless the policy says so), and every
//! mismatch reported at once, as a table a reviewer can read.
//!
//! [`AccessMatrix`] probes a running service: every route × every role's
//! credential → the status it answers, as a table checked into the repository
//! and compared by a test, so a change of who may reach what shows up in
//! review.
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
use std::future::Future;
use std::path::Path;

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
        let decision = decide_async!(A, R, A::Principal, A::State; principal, &resource, state);
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

/// Route × role → status, probed on a running service: the access matrix a
/// test keeps in a file, so that a change of access shows up as a diff in
/// review.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use auth_core::testing::AccessMatrix;
///
/// let routes = [(http::Method::GET, "/orders/{id}".to_owned()), (http::Method::GET, "/admin".to_owned())];
/// let roles = [("anonymous", None), ("customer", Some("Bearer c")), ("admin", Some("Bearer a"))];
/// // `send` is your service: an axum `Router` through `tower::ServiceExt::oneshot`,
/// // or an HTTP client against a bound port. Here, a stand-in.
/// let matrix = AccessMatrix::probe(&routes, &roles, |request| async move {
///     match request.headers().get("authorization").map(|v| v.to_str().unwrap_or("")) {
///         None => 401,
///         Some("Bearer a") => 200,
///         Some(_) if request.uri().path() == "/admin" => 403,
///         Some(_) => 200,
///     }
/// })
/// .await;
/// assert_eq!(
///     matrix.to_string(),
///     "| route | anonymous | customer | admin |\n|---|---|---|---|\n\
///      | `GET /orders/{id}` | 401 | 200 | 200 |\n| `GET /admin` | 401 | 403 | 200 |\n"
/// );
/// // In a test: matrix.assert_snapshot("tests/access.md");
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessMatrix {
    roles: Vec<String>,
    rows: Vec<(String, Vec<u16>)>,
}

impl AccessMatrix {
    /// Sends one request per route and role: the route's method, its path with
    /// every `{param}` (and `{*rest}`) replaced by `1`, and the role's
    /// `Authorization` value (none for `None`), and records the status `send`
    /// answers.
    pub async fn probe<F, Fut>(
        routes: &[(http::Method, String)],
        roles: &[(&str, Option<&str>)],
        mut send: F,
    ) -> Self
    where
        F: FnMut(http::Request<()>) -> Fut,
        Fut: Future<Output = u16>,
    {
        let mut rows = Vec::with_capacity(routes.len());
        for (method, path) in routes {
            let concrete = concrete_path(path);
            let mut statuses = Vec::with_capacity(roles.len());
            for (_, credential) in roles {
                let mut request = http::Request::new(());
                *request.method_mut() = method.clone();
                *request.uri_mut() = concrete.parse().unwrap_or_default();
                if let Some(value) = credential.and_then(|c| http::HeaderValue::from_str(c).ok()) {
                    request
                        .headers_mut()
                        .insert(http::header::AUTHORIZATION, value);
                }
                statuses.push(send(request).await);
            }
            rows.push((format!("{method} {path}"), statuses));
        }
        AccessMatrix {
            roles: roles.iter().map(|(name, _)| (*name).to_owned()).collect(),
            rows,
        }
    }

    /// The status `role` got on `route` (`"GET /orders/{id}"`), if probed.
    pub fn status(&self, route: &str, role: &str) -> Option<u16> {
        let column = self.roles.iter().position(|r| r == role)?;
        let (_, statuses) = self.rows.iter().find(|(r, _)| r == route)?;
        statuses.get(column).copied()
    }

    /// Compares the matrix with the snapshot at `path`, or writes it there
    /// when the environment has `UPDATE_SNAPSHOTS=1` (or the file is missing
    /// outside CI).
    ///
    /// # Panics
    /// When the matrix differs from the snapshot (with both, line by line), or
    /// the snapshot is missing in CI (`CI` set), or cannot be read or written.
    #[track_caller]
    #[allow(clippy::panic, reason = "a test assertion: failing is its job")]
    pub fn assert_snapshot(&self, path: impl AsRef<Path>) {
        let path = path.as_ref();
        let now = self.to_string();
        let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1");
        let in_ci = std::env::var_os("CI").is_some();
        match std::fs::read_to_string(path) {
            Ok(kept) if kept == now && !update => {}
            Err(error) if !update && in_ci => {
                panic!(
                    "no access-matrix snapshot at {} ({error}); run the test once with UPDATE_SNAPSHOTS=1 and commit it",
                    path.display()
                )
            }
            Ok(kept) if !update => {
                let changed: Vec<String> = diff_lines(&kept, &now);
                panic!(
                    "the access matrix differs from {} (run with UPDATE_SNAPSHOTS=1 to accept, then review the diff):\n{}",
                    path.display(),
                    changed.join("\n")
                );
            }
            _ => {
                if let Err(error) = std::fs::write(path, &now) {
                    panic!("cannot write {}: {error}", path.display());
                }
            }
        }
    }
}

/// `path` with every `{param}` and `{*rest}` replaced by `1`.
fn concrete_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        if let Some(close) = rest[open..].find('}') {
            out.push('1');
            rest = &rest[open + close + 1..];
        } else {
            rest = &rest[open..];
            break;
        }
    }
    out.push_str(rest);
    out
}

/// The lines of `kept` and `now` that differ, as `- kept` / `+ now`.
fn diff_lines(kept: &str, now: &str) -> Vec<String> {
    let kept: Vec<&str> = kept.lines().collect();
    let now: Vec<&str> = now.lines().collect();
    let mut out = Vec::new();
    for line in &kept {
        if !now.contains(line) {
            out.push(format!("- {line}"));
        }
    }
    for line in &now {
        if !kept.contains(line) {
            out.push(format!("+ {line}"));
        }
    }
    out
}

/// The matrix in Markdown: one row per route, one column per role.
impl fmt::Display for AccessMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "| route |")?;
        for role in &self.roles {
            write!(f, " {} |", role.replace('|', "\\|"))?;
        }
        writeln!(f)?;
        write!(f, "|---|")?;
        for _ in &self.roles {
            write!(f, "---|")?;
        }
        writeln!(f)?;
        for (route, statuses) in &self.rows {
            write!(f, "| `{route}` |")?;
            for status in statuses {
                write!(f, " {status} |")?;
            }
            writeln!(f)?;
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
    fn paths_are_made_concrete() {
        assert_eq!(
            concrete_path("/orders/{id}/items/{item}"),
            "/orders/1/items/1"
        );
        assert_eq!(concrete_path("/files/{*rest}"), "/files/1");
        assert_eq!(concrete_path("/plain"), "/plain");
        assert_eq!(concrete_path("/broken/{x"), "/broken/{x");
    }

    #[test]
    #[should_panic(expected = "no rows")]
    fn an_empty_table_is_a_mistake() {
        PolicyTable::new().assert();
    }
}
