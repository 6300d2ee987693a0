//! Policy engines behind the same permits: what every engine (Casbin, Cedar,
//! SpiceDB, or your own) plugs into.
//!
//! An engine never mints a permit. It backs the [`Policy`](crate::Policy) or
//! [`AsyncPolicy`] of an (action, resource) pair that the domain crate declares:
//! the policy's `decide` asks the engine and returns its answer as a
//! [`Decision`]. A handler's `#[requires(Update(doc))]` therefore reads the same
//! whether the rule is Rust code or an engine, and the single-policy rule holds:
//! the pair has one policy, so an engine cannot be a second, competing source of
//! permits. Which engine decides is said by the policy declaration alone.
//!
//! Every engine answers in three values, as every policy does: allow, deny, or
//! [unavailable](Decision::unavailable) when it cannot answer (a timeout, an
//! unreachable server, an evaluation error): a 503, never an allow. Its
//! [`Evidence`] (the determining policy ids, the consistency token, the matched
//! rule) rides on the decision into the audit event.
//!
//! Lists go through the engine's own answer to "which `R` may this principal
//! `A`?": a [`ListPolicy`], whose [`Listing`] is a [`Filter`] (a whole rule, or
//! one page of ids with a cursor), turned into a [`ListPermit`](crate::ListPermit) by
//! [`Authenticated::authorize_page`]. The permit re-checks each row the query
//! returns, so a list never yields a row the engine did not select.
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use auth_core::engine::{Evidence, ListPolicy, Listing, Page};
//! use auth_core::filter::Field;
//! use auth_core::{Action, AsyncPolicy, Authenticated, Decision, Identity, Mechanism, Resource};
//!
//! #[derive(Action)]
//! struct Read;
//! struct Doc { id: i64 }
//! impl Resource for Doc {
//!     const KIND: &'static str = "document";
//!     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
//! }
//! const ID: Field<Doc, i64> = Field::int("id", |d| d.id);
//!
//! /// Stands in for a remote engine: it shares even ids with everyone.
//! struct Engine;
//! impl Engine {
//!     async fn check(&self, doc: i64) -> Result<bool, std::io::Error> { Ok(doc % 2 == 0) }
//!     async fn lookup(&self, after: i64, limit: u32) -> Result<Vec<i64>, std::io::Error> {
//!         Ok((after + 1..=10).filter(|id| id % 2 == 0).take(limit as usize).collect())
//!     }
//! }
//!
//! impl AsyncPolicy<Doc> for Read {
//!     type Principal = String;
//!     type State = Engine;
//!     async fn decide(_: &Authenticated<String>, doc: &Doc, engine: &Engine) -> Decision {
//!         let evidence = Evidence::new("example", "rule: even ids");
//!         match engine.check(doc.id).await {
//!             Ok(true) => Decision::allow("the engine allows").with_evidence(evidence),
//!             Ok(false) => Decision::deny("the engine denies").with_evidence(evidence),
//!             Err(_) => Decision::unavailable("example engine", None),
//!         }
//!     }
//! }
//!
//! impl ListPolicy<Doc> for Read {
//!     async fn list(_: &Authenticated<String>, engine: &Engine, page: Page<'_>) -> Result<Listing<Doc>, Decision> {
//!         let after = page.cursor().map_or(Ok(0), str::parse).map_err(|_| Decision::deny("a bad cursor"))?;
//!         let ids = engine.lookup(after, page.limit()).await
//!             .map_err(|_| Decision::unavailable("example engine", None))?;
//!         let next = (ids.len() == page.limit() as usize).then(|| ids[ids.len() - 1].to_string());
//!         Ok(Listing::page(ID.one_of(ids), next))
//!     }
//! }
//!
//! # tokio_test_block_on(async {
//! let alice = Authenticated::for_testing(Identity::new("alice".to_owned(), "alice", Mechanism::Test));
//! let list = alice.authorize_page::<Read, Doc>(&Engine, Page::first(2)).await?;
//! assert_eq!(list.next_cursor(), Some("4"));
//! assert_eq!(list.admit_all([Doc { id: 2 }, Doc { id: 4 }])?.len(), 2);
//! assert!(list.admit(Doc { id: 6 }).is_err()); // not on this page
//! # Ok::<(), auth_core::AuthError>(()) })?;
//! # }
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     let waker = std::task::Waker::noop();
//! #     let mut cx = std::task::Context::from_waker(&waker);
//! #     let mut f = std::pin::pin!(f);
//! #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
//! # }
//! # Ok::<(), auth_core::AuthError>(())
//! ```

use std::borrow::Cow;
use std::fmt;
use std::future::Future;

use crate::filter::Filter;
use crate::{AsyncPolicy, Authenticated, Decision};

/// What a policy engine based a decision on, for the audit log: the engine's
/// name and its own words (Cedar's determining policy ids, SpiceDB's ZedToken,
/// Casbin's matched rule).
///
/// Attach it with [`Decision::with_evidence`]; the decision's audit event
/// carries it as the fields `engine` and `evidence`. It is never sent to the
/// client.
#[derive(Clone, PartialEq, Eq)]
pub struct Evidence {
    engine: &'static str,
    detail: Cow<'static, str>,
}

impl Evidence {
    /// The evidence `detail` of the engine `engine` (`"cedar"`, `"spicedb"`,
    /// `"casbin"`, or your own).
    ///
    /// ```
    /// use auth_core::engine::Evidence;
    ///
    /// let evidence = Evidence::new("spicedb", "GhUKEzE3MzM...");
    /// assert_eq!(evidence.engine(), "spicedb");
    /// ```
    pub fn new(engine: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        Evidence {
            engine,
            detail: detail.into(),
        }
    }

    /// The engine's name.
    pub fn engine(&self) -> &'static str {
        self.engine
    }

    /// The engine's own evidence.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Debug for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({:?})", self.engine, self.detail)
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.engine, self.detail)
    }
}

/// Which page of a list to ask an engine for: after a cursor the engine gave
/// (none for the first page), and at most [`limit`](Self::limit) resources.
///
/// The limit is kept between 1 and [`Page::MAX_LIMIT`], so a client-supplied
/// page size cannot make one request ask an engine for everything.
///
/// ```
/// use auth_core::engine::Page;
///
/// assert_eq!(Page::first(50).limit(), 50);
/// assert_eq!(Page::first(0).limit(), 1);
/// assert_eq!(Page::after("c2", 1_000_000).limit(), Page::MAX_LIMIT);
/// assert_eq!(Page::after("c2", 10).cursor(), Some("c2"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page<'a> {
    cursor: Option<&'a str>,
    limit: u32,
}

impl<'a> Page<'a> {
    /// The largest page an engine is asked for.
    pub const MAX_LIMIT: u32 = 1000;

    /// The first page, of at most `limit` resources.
    pub fn first(limit: u32) -> Self {
        Page {
            cursor: None,
            limit: limit.clamp(1, Self::MAX_LIMIT),
        }
    }

    /// The page after `cursor` (what [`ListPermit::next_cursor`](crate::ListPermit::next_cursor) returned), of
    /// at most `limit` resources.
    pub fn after(cursor: &'a str, limit: u32) -> Self {
        Page {
            cursor: Some(cursor),
            limit: limit.clamp(1, Self::MAX_LIMIT),
        }
    }

    /// The page after `cursor` when there is one, else the first.
    pub fn from_cursor(cursor: Option<&'a str>, limit: u32) -> Self {
        match cursor {
            Some(cursor) => Page::after(cursor, limit),
            None => Page::first(limit),
        }
    }

    /// Where this page starts: the engine's cursor, or `None` for the first.
    pub fn cursor(&self) -> Option<&'a str> {
        self.cursor
    }

    /// The most resources the page may hold (1 to [`Page::MAX_LIMIT`]).
    pub fn limit(&self) -> u32 {
        self.limit
    }
}

/// An engine's answer to "which `R` may this principal act on?": a [`Filter`]
/// over `R`, either the whole rule ([`complete`](Self::complete): the data layer
/// pages its query itself) or one page of resources ([`page`](Self::page),
/// e.g. `ID.one_of(ids)`) with the engine's cursor for the next.
pub struct Listing<R> {
    pub(crate) filter: Filter<R>,
    pub(crate) next: Option<String>,
    pub(crate) evidence: Option<Evidence>,
}

impl<R> Listing<R> {
    /// Every `R` the principal may act on, as one filter (Casbin's permissions
    /// or a Cedar residual turned into a filter): the query pages by itself.
    pub fn complete(filter: Filter<R>) -> Self {
        Listing {
            filter,
            next: None,
            evidence: None,
        }
    }

    /// One page: the resources this page holds, and the cursor of the next page
    /// (`None` on the last), as SpiceDB's `LookupResources` answers.
    pub fn page(filter: Filter<R>, next: Option<String>) -> Self {
        Listing {
            filter,
            next,
            evidence: None,
        }
    }

    /// Attaches what the engine based the listing on, for the list's audit event.
    #[must_use]
    pub fn with_evidence(mut self, evidence: Evidence) -> Self {
        self.evidence = Some(evidence);
        self
    }

    /// The filter.
    pub fn filter(&self) -> &Filter<R> {
        &self.filter
    }

    /// The cursor of the next page, if the engine has more.
    pub fn next_cursor(&self) -> Option<&str> {
        self.next.as_deref()
    }
}

impl<R> fmt::Debug for Listing<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listing")
            .field("filter", &self.filter)
            .field("next", &self.next)
            .field("evidence", &self.evidence)
            .finish()
    }
}

/// The list side of an engine-backed policy: which `R` the principal may
/// `Self`, as the engine answers it (Casbin's permission queries, a Cedar
/// residual, SpiceDB's `LookupResources`).
///
/// A supertrait of the pair's [`AsyncPolicy`] (every [`Policy`](crate::Policy)
/// is one), so the list comes from the same declaration as the single-object
/// decision, and from nowhere else. [`Authenticated::authorize_page`] asks it
/// and returns a [`ListPermit`](crate::ListPermit). Return `Err` with the refusal:
/// [`Decision::unavailable`] when the engine cannot answer (a 503), a denial
/// when the principal may list nothing at all (a 403); an empty list is
/// `Ok` with [`Filter::none`].
///
/// The two answers must agree: a resource is in the listing exactly when the
/// single-object decision allows it. Prove it for your rule with a property
/// test, as auth-core's own engine tests do.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no list policy for `{R}`",
    label = "a page of `{R}` from an engine needs `ListPolicy`",
    note = "implement `auth_core::engine::ListPolicy<{R}> for {Self}` next to its policy, asking the engine which `{R}` the principal may act on; a rule written as a `FilterPolicy` lists with `authorize_list`"
)]
pub trait ListPolicy<R>: AsyncPolicy<R> {
    /// One page of the `R` `principal` may act on (or all of them, as a filter).
    fn list(
        principal: &Authenticated<Self::Principal>,
        state: &Self::State,
        page: Page<'_>,
    ) -> impl Future<Output = Result<Listing<R>, Decision>> + Send;
}
