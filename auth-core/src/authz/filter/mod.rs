//! Lists as queries: a rule written once, as a [`Filter`] over a resource's
//! fields, that decides one object *and* narrows a query to every object the
//! principal may act on.
//!
//! "May Alice read order 43?" and "which orders may Alice read?" must have the
//! same answer, row by row. A hand-written `WHERE owner_id = ?` next to a policy
//! drifts from it; loading every row and asking the policy of each is correct
//! but O(table) in time, memory and audit events. A [`FilterPolicy`] states the
//! rule as a small typed predicate language instead:
//!
//! - [`Field`]s name a resource's columns and how to read them from a value;
//! - a [`Filter`] compares fields with values (`=`, `<>`, `<`, `<=`, `>`, `>=`,
//!   `IN`) and combines them (`and`, `or`, `!`);
//! - the principal is known when the filter is built, so "or the principal is an
//!   admin" is [`Filter::when`]`(user.is_admin())`: a constant, folded away.
//!
//! From that one filter come both answers. For one object,
//! [`Filter::matches`] (the [`Policy`](crate::Policy) of every `FilterPolicy`
//! is exactly that, so resource gates and `authorize` use it). For a list,
//! [`Authenticated::authorize_list`](crate::Authenticated::authorize_list)
//! returns a [`ListPermit`] holding the filter, audited once; the data layer
//! renders it with [`Filter::to_sql`] (a `WHERE` clause with bound parameters,
//! never values spliced into SQL) or applies it in memory, and turns the rows it
//! read into permits with [`ListPermit::admit`], which checks each row against
//! the filter again. A row the query should not have returned is a 500, never a
//! permit, so a query that forgot the filter cannot leak a row.
//!
//! Every filter can become a query: the language has no opaque predicate, so a
//! rule that cannot be written in it does not compile as a `FilterPolicy`. Such a
//! rule (one that computes over the loaded object, or awaits a store) stays a
//! [`Policy`](crate::Policy) or [`AsyncPolicy`](crate::AsyncPolicy), and its lists
//! go through [`filter_authorized`](crate::Authenticated::filter_authorized):
//! every row loaded and decided, one audit event each. That is the slow path;
//! use it for small lists only.
//!
//! ```
//! use auth_core::filter::{Field, Filter, SqlDialect};
//! use auth_core::{Action, Authenticated, FilterPolicy};
//!
//! #[derive(Action)]
//! struct Read;
//!
//! struct User { id: i64, admin: bool }
//! struct Order { id: i64, owner_id: i64, amount: i64 }
//!
//! impl Order {
//!     const OWNER_ID: Field<Order, i64> = Field::int("owner_id", |o| o.owner_id);
//! }
//!
//! impl FilterPolicy<Order> for Read {
//!     type Principal = User;
//!     type State = ();
//!
//!     // owner_id == principal.id OR principal is an admin
//!     fn filter(user: &Authenticated<User>, _: &()) -> Filter<Order> {
//!         Order::OWNER_ID.eq(user.id).named("owner")
//!             .or(Filter::when(user.admin).named("admin"))
//!     }
//! }
//!
//! # let filter = Order::OWNER_ID.eq(7).or(Filter::when(false));
//! // For a customer, the filter is the `WHERE` of their listing ...
//! let sql = filter.to_sql(SqlDialect::Sqlite);
//! assert_eq!(sql.clause(), "`owner_id` = ?");
//! // ... and the decision for one order.
//! assert!(filter.matches(&Order { id: 1, owner_id: 7, amount: 100 }));
//! assert!(!filter.matches(&Order { id: 2, owner_id: 8, amount: 100 }));
//! ```
//!
//! # What the SQL means
//!
//! [`Filter::to_sql`] and [`Filter::matches`] agree on every row when the
//! columns are `NOT NULL`, integers are compared as integers, and text is
//! compared byte for byte (SQLite's default `BINARY` collation, PostgreSQL's
//! `"C"` collation or a deterministic one for equality). Text fields offer only
//! equality and `IN`, never an ordering, because collations order text
//! differently. `tests/integration/tests/property_filter_sql.rs` checks the
//! agreement on random filters and rows in a real SQLite database.

mod list;
mod policy;
mod sql;

use std::fmt;
use std::marker::PhantomData;

use crate::engine::Evidence;

pub use list::ListPermit;
pub use policy::FilterPolicy;
pub use sql::{SqlDialect, SqlWhere};

/// A column of resource `R` whose values are `T` (`i64`, `str` or `bool`), and
/// how to read it from a value of `R`.
///
/// Its name is the column's name in SQL (quoted there, so any name is safe).
/// Declare fields as constants next to the resource:
///
/// ```
/// use auth_core::filter::Field;
///
/// struct Order { owner_id: i64, region: String, archived: bool }
///
/// impl Order {
///     const OWNER_ID: Field<Order, i64> = Field::int("owner_id", |o| o.owner_id);
///     const REGION: Field<Order, str> = Field::text("region", |o| &o.region);
///     const ARCHIVED: Field<Order, bool> = Field::bool("archived", |o| o.archived);
/// }
/// ```
pub struct Field<R: ?Sized, T: ?Sized> {
    column: &'static str,
    get: Get<R>,
    value: PhantomData<fn(&T)>,
}

impl<R: ?Sized, T: ?Sized> Clone for Field<R, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R: ?Sized, T: ?Sized> Copy for Field<R, T> {}

impl<R: ?Sized, T: ?Sized> fmt::Debug for Field<R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Field").field(&self.column).finish()
    }
}

/// How a field is read from a value: a plain function, so a filter is data.
enum Get<R: ?Sized> {
    Int(fn(&R) -> i64),
    Text(for<'a> fn(&'a R) -> &'a str),
    Bool(fn(&R) -> bool),
}

impl<R: ?Sized> Clone for Get<R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R: ?Sized> Copy for Get<R> {}

impl<R: ?Sized, T: ?Sized> Field<R, T> {
    /// The column's name.
    pub const fn column(&self) -> &'static str {
        self.column
    }
}

impl<R, T: ?Sized> Field<R, T> {
    fn compare(self, op: Op, value: Value) -> Filter<R> {
        Filter::leaf(Cmp {
            column: self.column,
            get: self.get,
            op,
            operand: Operand::One(value),
        })
    }

    fn one_of_values(self, values: Vec<Value>) -> Filter<R> {
        if values.is_empty() {
            return Filter::none();
        }
        Filter::leaf(Cmp {
            column: self.column,
            get: self.get,
            op: Op::In,
            operand: Operand::Many(values),
        })
    }
}

impl<R> Field<R, i64> {
    /// An integer column, read by `get`.
    pub const fn int(column: &'static str, get: fn(&R) -> i64) -> Self {
        Field {
            column,
            get: Get::Int(get),
            value: PhantomData,
        }
    }

    /// `column = value`.
    #[allow(
        clippy::should_implement_trait,
        reason = "builds a filter, as diesel's `eq`"
    )]
    pub fn eq(self, value: i64) -> Filter<R> {
        self.compare(Op::Eq, Value::Int(value))
    }

    /// `column <> value`.
    #[allow(
        clippy::should_implement_trait,
        reason = "builds a filter, as diesel's `ne`"
    )]
    pub fn ne(self, value: i64) -> Filter<R> {
        self.compare(Op::Ne, Value::Int(value))
    }

    /// `column < value`.
    pub fn lt(self, value: i64) -> Filter<R> {
        self.compare(Op::Lt, Value::Int(value))
    }

    /// `column <= value`.
    pub fn le(self, value: i64) -> Filter<R> {
        self.compare(Op::Le, Value::Int(value))
    }

    /// `column > value`.
    pub fn gt(self, value: i64) -> Filter<R> {
        self.compare(Op::Gt, Value::Int(value))
    }

    /// `column >= value`.
    pub fn ge(self, value: i64) -> Filter<R> {
        self.compare(Op::Ge, Value::Int(value))
    }

    /// `column IN (values..)`; no row for no values.
    pub fn one_of(self, values: impl IntoIterator<Item = i64>) -> Filter<R> {
        self.one_of_values(values.into_iter().map(Value::Int).collect())
    }
}

impl<R: ?Sized> Field<R, str> {
    /// A text column, read by `get`. Compared byte for byte, for equality only.
    pub const fn text(column: &'static str, get: for<'a> fn(&'a R) -> &'a str) -> Self {
        Field {
            column,
            get: Get::Text(get),
            value: PhantomData,
        }
    }

    /// The field's value in `row`.
    pub fn read<'a>(&self, row: &'a R) -> &'a str {
        match self.get {
            Get::Text(get) => get(row),
            // `Field<R, str>` is only made by `text`.
            Get::Int(_) | Get::Bool(_) => "",
        }
    }
}

impl<R> Field<R, str> {
    /// `column = value`.
    #[allow(
        clippy::should_implement_trait,
        reason = "builds a filter, as diesel's `eq`"
    )]
    pub fn eq(self, value: impl Into<String>) -> Filter<R> {
        self.compare(Op::Eq, Value::Text(value.into()))
    }

    /// `column <> value`.
    #[allow(
        clippy::should_implement_trait,
        reason = "builds a filter, as diesel's `ne`"
    )]
    pub fn ne(self, value: impl Into<String>) -> Filter<R> {
        self.compare(Op::Ne, Value::Text(value.into()))
    }

    /// `column IN (values..)`; no row for no values.
    pub fn one_of<S: Into<String>>(self, values: impl IntoIterator<Item = S>) -> Filter<R> {
        self.one_of_values(
            values
                .into_iter()
                .map(|value| Value::Text(value.into()))
                .collect(),
        )
    }
}

impl<R> Field<R, bool> {
    /// A boolean column (0 or 1 in SQLite), read by `get`.
    pub const fn bool(column: &'static str, get: fn(&R) -> bool) -> Self {
        Field {
            column,
            get: Get::Bool(get),
            value: PhantomData,
        }
    }

    /// `column = value`.
    pub fn is(self, value: bool) -> Filter<R> {
        self.compare(Op::Eq, Value::Bool(value))
    }
}

/// A value a filter compares a field with: what [`SqlWhere::params`] binds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Value {
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// A boolean (bind it as the database stores booleans: 0/1 in SQLite).
    Bool(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
}

impl Op {
    fn sql(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "<>",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::In => "IN",
        }
    }
}

#[derive(Clone)]
enum Operand {
    One(Value),
    Many(Vec<Value>),
}

/// One comparison of a field with a value (or, for `IN`, values).
struct Cmp<R> {
    column: &'static str,
    get: Get<R>,
    op: Op,
    operand: Operand,
}

impl<R> Clone for Cmp<R> {
    fn clone(&self) -> Self {
        Cmp {
            column: self.column,
            get: self.get,
            op: self.op,
            operand: self.operand.clone(),
        }
    }
}

impl<R> Cmp<R> {
    fn matches(&self, row: &R) -> bool {
        match &self.operand {
            Operand::One(value) => self.holds(row, value),
            Operand::Many(values) => values.iter().any(|value| self.equal(row, value)),
        }
    }

    fn equal(&self, row: &R, value: &Value) -> bool {
        match (self.get, value) {
            (Get::Int(get), Value::Int(value)) => get(row) == *value,
            (Get::Text(get), Value::Text(value)) => get(row) == value,
            (Get::Bool(get), Value::Bool(value)) => get(row) == *value,
            // The typed constructors never pair a field with another type.
            _ => false,
        }
    }

    fn holds(&self, row: &R, value: &Value) -> bool {
        use std::cmp::Ordering;
        let ordering = match (self.get, value) {
            (Get::Int(get), Value::Int(value)) => get(row).cmp(value),
            (Get::Text(get), Value::Text(value)) => get(row).cmp(value.as_str()),
            (Get::Bool(get), Value::Bool(value)) => get(row).cmp(value),
            _ => return false,
        };
        match self.op {
            Op::Eq | Op::In => ordering == Ordering::Equal,
            Op::Ne => ordering != Ordering::Equal,
            Op::Lt => ordering == Ordering::Less,
            Op::Le => ordering != Ordering::Greater,
            Op::Gt => ordering == Ordering::Greater,
            Op::Ge => ordering != Ordering::Less,
        }
    }
}

/// Which `R` a principal may act on: a predicate over `R`'s [`Field`]s that is
/// both a decision for one value ([`matches`](Self::matches)) and a query
/// ([`to_sql`](Self::to_sql)).
///
/// Built from field comparisons and constants, combined with
/// [`and`](Self::and), [`or`](Self::or) and `!`; constants fold as it is built,
/// so a filter that is always true says [`is_all`](Self::is_all) (an admin's: no
/// `WHERE` needed), and one that is always false says
/// [`is_none`](Self::is_none) (no query needed).
///
/// ```
/// use auth_core::filter::{Field, Filter};
///
/// struct Doc { owner: i64, public: bool }
/// const OWNER: Field<Doc, i64> = Field::int("owner", |d| d.owner);
/// const PUBLIC: Field<Doc, bool> = Field::bool("public", |d| d.public);
///
/// let anyone_else = OWNER.eq(7).or(PUBLIC.is(true));
/// assert_eq!(anyone_else.to_string(), "(owner = ? OR public = ?)");
/// assert!(anyone_else.matches(&Doc { owner: 1, public: true }));
///
/// let admin = OWNER.eq(7).or(Filter::when(true));
/// assert!(admin.is_all());
/// assert!((!admin).is_none());
/// ```
pub struct Filter<R> {
    node: Node<R>,
    /// How deep `node` nests (an upper bound): a leaf is 1.
    depth: u32,
    /// What the engine the filter comes from said ([`Filter::with_evidence`]).
    evidence: Option<Box<Evidence>>,
}

enum Node<R> {
    All,
    None,
    /// Built past [`Filter::MAX_DEPTH`]: selects nothing, and stays so under
    /// `!`, `and` and `or`, so a filter too deep to walk safely never grants.
    TooDeep,
    /// The rule could not be stated: the engine or store it asks did not
    /// answer (the component named). Selects nothing, and absorbs every
    /// combination it enters (`and`, `or`, `!`, `named`), so an outage never
    /// turns into a grant; [`FilterPolicy`] makes it a 503.
    Unavailable(&'static str),
    Cmp(Cmp<R>),
    And(Vec<Node<R>>),
    Or(Vec<Node<R>>),
    Not(Box<Node<R>>),
    Named(&'static str, Box<Node<R>>),
}

impl<R> Clone for Node<R> {
    fn clone(&self) -> Self {
        match self {
            Node::All => Node::All,
            Node::None => Node::None,
            Node::TooDeep => Node::TooDeep,
            Node::Unavailable(component) => Node::Unavailable(component),
            Node::Cmp(cmp) => Node::Cmp(cmp.clone()),
            Node::And(nodes) => Node::And(nodes.clone()),
            Node::Or(nodes) => Node::Or(nodes.clone()),
            Node::Not(node) => Node::Not(node.clone()),
            Node::Named(name, node) => Node::Named(name, node.clone()),
        }
    }
}

impl<R> Clone for Filter<R> {
    fn clone(&self) -> Self {
        Filter {
            node: self.node.clone(),
            depth: self.depth,
            evidence: self.evidence.clone(),
        }
    }
}

impl<R> Node<R> {
    fn is_all(&self) -> bool {
        match self {
            Node::All => true,
            Node::Named(_, node) => node.is_all(),
            _ => false,
        }
    }

    fn is_none(&self) -> bool {
        match self {
            Node::None | Node::TooDeep => true,
            Node::Named(_, node) => node.is_none(),
            _ => false,
        }
    }

    fn matches(&self, row: &R) -> bool {
        match self {
            Node::All => true,
            Node::None | Node::TooDeep | Node::Unavailable(_) => false,
            Node::Cmp(cmp) => cmp.matches(row),
            Node::And(nodes) => nodes.iter().all(|node| node.matches(row)),
            Node::Or(nodes) => nodes.iter().any(|node| node.matches(row)),
            Node::Not(node) => !node.matches(row),
            Node::Named(_, node) => node.matches(row),
        }
    }

    #[cfg(feature = "cedar")]
    fn comparisons(&self) -> usize {
        match self {
            Node::All | Node::None | Node::TooDeep | Node::Unavailable(_) => 0,
            Node::Cmp(_) => 1,
            Node::And(nodes) | Node::Or(nodes) => nodes
                .iter()
                .fold(0, |sum, node| sum.saturating_add(node.comparisons())),
            Node::Not(node) | Node::Named(_, node) => node.comparisons(),
        }
    }

    /// The name of the first named part that made `row` match, if any; asked
    /// only of a node that matches `row` (so every part of an `and` does).
    fn reason(&self, row: &R) -> Option<&'static str> {
        match self {
            Node::Named(name, _) => Some(*name),
            Node::And(nodes) => nodes.iter().find_map(|node| node.reason(row)),
            Node::Or(nodes) => nodes
                .iter()
                .find(|node| node.matches(row))
                .and_then(|node| node.reason(row)),
            Node::All
            | Node::None
            | Node::TooDeep
            | Node::Unavailable(_)
            | Node::Cmp(_)
            | Node::Not(_) => None,
        }
    }

    fn fmt_shape(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, nodes: &[Node<R>], joint: &str| {
            f.write_str("(")?;
            for (i, node) in nodes.iter().enumerate() {
                if i > 0 {
                    f.write_str(joint)?;
                }
                node.fmt_shape(f)?;
            }
            f.write_str(")")
        };
        match self {
            Node::All => f.write_str("TRUE"),
            Node::None => f.write_str("FALSE"),
            Node::TooDeep => f.write_str("FALSE (a filter nested too deep)"),
            Node::Unavailable(component) => write!(f, "UNAVAILABLE ({component})"),
            Node::Cmp(cmp) => match &cmp.operand {
                Operand::One(_) => write!(f, "{} {} ?", cmp.column, cmp.op.sql()),
                Operand::Many(values) => write!(f, "{} IN ({} values)", cmp.column, values.len()),
            },
            Node::And(nodes) => list(f, nodes, " AND "),
            Node::Or(nodes) => list(f, nodes, " OR "),
            Node::Not(node) => {
                f.write_str("NOT ")?;
                node.fmt_shape(f)
            }
            Node::Named(_, node) => node.fmt_shape(f),
        }
    }
}

impl<R> Filter<R> {
    /// How deep a filter may nest (`and` in `or` in `!` ..., counting each
    /// level of `and`, `or`, `!` and [`named`](Self::named)). A filter built
    /// deeper selects nothing, whatever is done to it afterwards (`!` included),
    /// and says [`is_none`](Self::is_none): walking it (to decide, render or
    /// drop it) could exhaust the stack. `and` and `or` flatten into one level,
    /// so a long list of conditions is shallow; only a rule that alternates
    /// `and`, `or` and `!` nests.
    pub const MAX_DEPTH: u32 = 64;

    fn of(node: Node<R>, depth: u32) -> Self {
        if depth > Self::MAX_DEPTH {
            Filter {
                node: Node::TooDeep,
                depth: 1,
                evidence: None,
            }
        } else {
            Filter {
                node,
                depth,
                evidence: None,
            }
        }
    }

    /// Every `R`.
    pub const fn all() -> Self {
        Filter {
            node: Node::All,
            depth: 1,
            evidence: None,
        }
    }

    /// No `R`.
    pub const fn none() -> Self {
        Filter {
            node: Node::None,
            depth: 1,
            evidence: None,
        }
    }

    /// No answer: the engine or store the rule asks (`component`, e.g.
    /// `"cedar"`) could not say which `R` the principal may act on.
    ///
    /// It selects nothing, and it wins over everything it is combined with
    /// (`and`, `or`, `!`, [`named`](Self::named)), constants included: a rule
    /// with an unanswered part is unanswered, so an outage is never negated or
    /// widened into a grant. A [`FilterPolicy`] whose filter is unavailable
    /// decides every `R` as unavailable (503) and refuses its list (503);
    /// [`to_sql`](Self::to_sql) renders it as `1 = 0`. It is neither
    /// [`is_all`](Self::is_all) nor [`is_none`](Self::is_none) (an empty list
    /// would hide the outage): ask [`unavailable_component`](Self::unavailable_component).
    ///
    /// ```
    /// use auth_core::filter::{Field, Filter};
    ///
    /// struct Doc { owner: i64 }
    /// const OWNER: Field<Doc, i64> = Field::int("owner", |d| d.owner);
    ///
    /// let outage: Filter<Doc> = Filter::unavailable("cedar");
    /// let negated = !OWNER.eq(7).or(Filter::all()).or(outage);
    /// assert_eq!(negated.unavailable_component(), Some("cedar"));
    /// assert!(!negated.matches(&Doc { owner: 1 }));
    /// assert!(!negated.is_none() && !negated.is_all());
    /// ```
    pub const fn unavailable(component: &'static str) -> Self {
        Filter {
            node: Node::Unavailable(component),
            depth: 1,
            evidence: None,
        }
    }

    /// The component that did not answer, when this filter is
    /// [unavailable](Self::unavailable) (whatever it was combined with).
    pub fn unavailable_component(&self) -> Option<&'static str> {
        match self.node {
            Node::Unavailable(component) => Some(component),
            _ => None,
        }
    }

    /// Whether the filter was built past [`MAX_DEPTH`](Self::MAX_DEPTH): it
    /// selects nothing because the rule could not be held, not because the
    /// rule selects nothing. An engine that translates a rule refuses it.
    #[cfg(feature = "cedar")]
    pub(crate) fn is_too_deep(&self) -> bool {
        matches!(self.node, Node::TooDeep)
    }

    /// How many comparisons the filter holds (each its own part of the
    /// `WHERE`): what an engine that translates a rule bounds.
    #[cfg(feature = "cedar")]
    pub(crate) fn comparisons(&self) -> usize {
        self.node.comparisons()
    }

    /// Every `R` when `condition` holds, else none: a condition on the principal
    /// (`principal.role == admin`), which is known when the filter is built.
    pub const fn when(condition: bool) -> Self {
        if condition { Self::all() } else { Self::none() }
    }

    fn leaf(cmp: Cmp<R>) -> Self {
        Self::of(Node::Cmp(cmp), 1)
    }

    /// Names this part of the rule: a value it matches is allowed with this
    /// reason in the audit log (`"owner"`, `"admin"`). A named filter named
    /// again keeps the last name.
    #[must_use]
    pub fn named(self, name: &'static str) -> Self {
        let evidence = self.evidence;
        let named = match self.node {
            Node::TooDeep | Node::Unavailable(_) => {
                return Filter {
                    node: self.node,
                    depth: self.depth,
                    evidence,
                };
            }
            Node::Named(_, node) => Self::of(Node::Named(name, node), self.depth),
            node => Self::of(Node::Named(name, Box::new(node)), self.depth + 1),
        };
        named.carrying(evidence)
    }

    /// Attaches what the engine the filter comes from said (for Cedar, the
    /// policies its residual comes from): a [`FilterPolicy`] puts it on the
    /// decision of every `R` and on the list's audit event, as an engine's
    /// [`Decision::with_evidence`](crate::Decision::with_evidence) does.
    /// Combining filters keeps the evidence of the first part that has one.
    ///
    /// ```
    /// use auth_core::engine::Evidence;
    /// use auth_core::filter::{Field, Filter};
    ///
    /// struct Doc { owner: i64 }
    /// const OWNER: Field<Doc, i64> = Field::int("owner", |d| d.owner);
    ///
    /// let filter = OWNER.eq(7).with_evidence(Evidence::new("cedar", "owner-reads"));
    /// let narrowed = Filter::all().and(filter);
    /// assert_eq!(narrowed.evidence().map(Evidence::detail), Some("owner-reads"));
    /// ```
    #[must_use]
    pub fn with_evidence(self, evidence: Evidence) -> Self {
        Filter {
            evidence: Some(Box::new(evidence)),
            ..self
        }
    }

    /// The evidence attached with [`with_evidence`](Self::with_evidence).
    pub fn evidence(&self) -> Option<&Evidence> {
        self.evidence.as_deref()
    }

    /// `self`, with `evidence` when it has none of its own.
    fn carrying(mut self, evidence: Option<Box<Evidence>>) -> Self {
        if self.evidence.is_none() {
            self.evidence = evidence;
        }
        self
    }

    /// Both this and `other`.
    #[must_use]
    pub fn and(self, other: Filter<R>) -> Self {
        Self::all_of([self, other])
    }

    /// This or `other` (or both).
    #[must_use]
    pub fn or(self, other: Filter<R>) -> Self {
        Self::any_of([self, other])
    }

    /// Every one of `filters`; every `R` for none.
    pub fn all_of(filters: impl IntoIterator<Item = Filter<R>>) -> Self {
        Self::combine(filters, Junction::And)
    }

    /// Any one of `filters`; no `R` for none.
    pub fn any_of(filters: impl IntoIterator<Item = Filter<R>>) -> Self {
        Self::combine(filters, Junction::Or)
    }

    /// `and` or `or` of `filters`, folding constants and flattening parts of
    /// the same junction into one level. The first part's list is reused, so
    /// adding conditions one at a time in a loop is linear.
    ///
    /// An unavailable part makes the whole unavailable, wherever it stands
    /// (every part is looked at, even after the answer is otherwise known).
    fn combine(filters: impl IntoIterator<Item = Filter<R>>, junction: Junction) -> Self {
        let mut parts: Vec<Node<R>> = Vec::new();
        // The depth of the deepest part, as it stands in `parts`.
        let mut deepest = 0;
        // The answer once a part decided it (too deep, or the absorbing
        // constant); the remaining parts are still searched for an outage
        // (which wins over both) and for a part too deep (which wins over the
        // constant).
        let mut decided: Option<Self> = None;
        // The first part's evidence that has one.
        let mut evidence: Option<Box<Evidence>> = None;
        for filter in filters {
            let depth = filter.depth;
            if evidence.is_none() {
                evidence = filter.evidence;
            }
            let node = match filter.node {
                Node::Unavailable(component) => return Self::unavailable(component),
                // Too deep wins over an absorbing constant, before or after it.
                Node::TooDeep => {
                    decided = Some(Self::of(Node::TooDeep, 1));
                    continue;
                }
                _ if decided.is_some() => continue,
                node => node,
            };
            // The absorbing constant (`none` for `and`, `all` for `or`)
            // decides; the neutral one is dropped.
            if junction.absorbs(&node) {
                decided = Some(Self::of(node, depth));
                continue;
            }
            if junction.is_neutral(&node) {
                continue;
            }
            match (junction, node) {
                (Junction::And, Node::And(nodes)) | (Junction::Or, Node::Or(nodes)) => {
                    deepest = deepest.max(depth.saturating_sub(1));
                    if parts.is_empty() {
                        parts = nodes;
                    } else {
                        parts.extend(nodes);
                    }
                }
                (_, node) => {
                    deepest = deepest.max(depth);
                    parts.push(node);
                }
            }
        }
        if let Some(decided) = decided {
            return decided.carrying(evidence);
        }
        let combined = match parts.len() {
            0 => match junction {
                Junction::And => Self::all(),
                Junction::Or => Self::none(),
            },
            1 => match parts.pop() {
                Some(node) => Self::of(node, deepest),
                None => Self::none(),
            },
            _ => Self::of(
                match junction {
                    Junction::And => Node::And(parts),
                    Junction::Or => Node::Or(parts),
                },
                deepest + 1,
            ),
        };
        combined.carrying(evidence)
    }

    /// Whether the filter holds for every `R` (no `WHERE` needed).
    pub fn is_all(&self) -> bool {
        self.node.is_all()
    }

    /// Whether the filter holds for no `R` (no query needed: the list is empty).
    /// `false` for an [unavailable](Self::unavailable) filter, which is no
    /// answer rather than an empty one.
    pub fn is_none(&self) -> bool {
        self.node.is_none()
    }

    /// Whether `row` is one of the `R` the filter selects: the decision for one
    /// object.
    pub fn matches(&self, row: &R) -> bool {
        self.node.matches(row)
    }

    /// The name ([`named`](Self::named)) of the part of the rule that made `row`
    /// match, if it matched through a named part; `None` for a row the filter
    /// does not select.
    pub fn reason(&self, row: &R) -> Option<&'static str> {
        if self.matches(row) {
            self.node.reason(row)
        } else {
            None
        }
    }

    /// The rows of `rows` the filter selects, in memory: for data that is
    /// already loaded, or a store without a query language.
    pub fn apply<'a>(
        &'a self,
        rows: impl IntoIterator<Item = R> + 'a,
    ) -> impl Iterator<Item = R> + 'a {
        rows.into_iter().filter(move |row| self.matches(row))
    }
}

impl<R> std::ops::Not for Filter<R> {
    type Output = Filter<R>;

    /// Every `R` this filter does not select (nothing, for a filter built
    /// past [`MAX_DEPTH`](Filter::MAX_DEPTH); still unavailable, for an
    /// [unavailable](Filter::unavailable) one).
    fn not(self) -> Filter<R> {
        let depth = self.depth;
        let negated = match self.node {
            Node::TooDeep => Filter::of(Node::TooDeep, 1),
            Node::Unavailable(component) => Filter::unavailable(component),
            node if node.is_all() => Filter::none(),
            node if node.is_none() => Filter::all(),
            Node::Not(node) => Filter::of(*node, depth.saturating_sub(1)),
            node => Filter::of(Node::Not(Box::new(node)), depth + 1),
        };
        negated.carrying(self.evidence)
    }
}

/// `and` or `or`.
#[derive(Clone, Copy)]
enum Junction {
    And,
    Or,
}

impl Junction {
    /// The constant that decides the junction alone: no row for `and`, every
    /// row for `or`.
    fn absorbs<R>(self, node: &Node<R>) -> bool {
        match self {
            Junction::And => node.is_none(),
            Junction::Or => node.is_all(),
        }
    }

    /// The constant the junction ignores.
    fn is_neutral<R>(self, node: &Node<R>) -> bool {
        match self {
            Junction::And => node.is_all(),
            Junction::Or => node.is_none(),
        }
    }
}

/// The filter's shape: its columns and operators, with `?` for every value, as
/// the audit log records it (values can be personal data; the shape is not).
impl<R> fmt::Display for Filter<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.node.fmt_shape(f)
    }
}

impl<R> fmt::Debug for Filter<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Filter")
            .field(&format_args!("{self}"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row {
        a: i64,
    }
    const A: Field<Row, i64> = Field::int("a", |r| r.a);

    #[test]
    fn conditions_added_in_a_loop_stay_one_level() {
        let mut every = A.ne(-1);
        let mut either = A.eq(-1);
        for i in 0..10_000 {
            every = every.and(A.ne(i));
            either = either.or(A.eq(i));
        }
        assert_eq!(every.depth, 2);
        assert!(matches!(&every.node, Node::And(parts) if parts.len() == 10_001));
        assert!(matches!(&either.node, Node::Or(parts) if parts.len() == 10_001));
        assert!(either.matches(&Row { a: 9_999 }) && !every.matches(&Row { a: 9_999 }));
    }

    #[test]
    fn an_unavailable_part_makes_any_combination_unavailable() {
        let down = || Filter::<Row>::unavailable("engine");
        let mut too_deep = A.eq(0);
        for i in 0..200 {
            too_deep = (!too_deep).and(A.ne(i));
        }
        let others = || {
            [
                Filter::all(),
                Filter::none(),
                A.eq(1),
                !A.eq(1),
                A.eq(1).named("n"),
                A.eq(1).or(A.eq(2)),
                A.eq(1).and(A.eq(2)),
                too_deep.clone(),
            ]
        };
        for other in others() {
            let combined = [
                down().or(other.clone()),
                other.clone().or(down()),
                down().and(other.clone()),
                other.clone().and(down()),
                Filter::any_of([other.clone(), down(), other.clone()]),
                Filter::all_of([other.clone(), down(), other.clone()]),
                !(other.clone().or(down())),
                !!(other.clone().and(down())),
                other.clone().or(down()).named("n"),
            ];
            for filter in combined {
                assert_eq!(filter.unavailable_component(), Some("engine"), "{filter}");
                assert!(!filter.is_all() && !filter.is_none(), "{filter}");
                assert!(!filter.matches(&Row { a: 1 }) && !filter.matches(&Row { a: 3 }));
                assert_eq!(filter.reason(&Row { a: 1 }), None);
                assert_eq!(filter.to_string(), "UNAVAILABLE (engine)");
                assert_eq!(
                    filter.to_sql(crate::filter::SqlDialect::Sqlite).clause(),
                    "1 = 0"
                );
            }
        }
        assert_eq!(A.eq(1).unavailable_component(), None);
    }

    #[test]
    fn evidence_rides_through_combinations() {
        let evidence = || Evidence::new("engine", "rule 1");
        let with = || A.eq(1).with_evidence(evidence());
        for filter in [
            with(),
            !with(),
            with().named("n"),
            Filter::all().and(with()),
            A.eq(2).or(with()),
            Filter::none().or(with()),
            Filter::none().and(with()),
            with().or(Filter::all()),
        ] {
            assert_eq!(filter.evidence(), Some(&evidence()), "{filter}");
        }
        let first = A
            .eq(1)
            .with_evidence(Evidence::new("engine", "first"))
            .or(A.eq(2).with_evidence(Evidence::new("engine", "second")));
        assert_eq!(first.evidence().map(Evidence::detail), Some("first"));
        assert_eq!(A.eq(1).or(A.eq(2)).evidence(), None);
    }

    #[test]
    fn a_filter_past_the_depth_limit_selects_nothing_even_negated() {
        let mut filter = A.eq(0);
        let mut depths = Vec::new();
        for i in 0..200 {
            filter = (!filter).and(A.ne(i));
            depths.push(filter.depth);
        }
        assert!(filter.is_none());
        assert!(matches!(filter.node, Node::TooDeep));
        assert!(depths.iter().all(|d| *d <= Filter::<Row>::MAX_DEPTH));
        let negated = !filter.clone();
        assert!(negated.is_none() && !negated.matches(&Row { a: 5 }));
        assert!(
            filter.clone().or(Filter::all()).is_none(),
            "poison wins over `all`"
        );
        assert!(
            Filter::all().or(filter.clone()).is_none(),
            "poison wins over `all` before it too"
        );
        assert!(Filter::none().and(filter.clone()).is_none());
        assert!(filter.clone().named("x").is_none());
        assert_eq!(
            filter.to_sql(crate::filter::SqlDialect::Sqlite).clause(),
            "1 = 0"
        );
        // Deep but legal is untouched: 30 rounds of `!` and `and`.
        let mut legal = A.eq(0);
        for i in 0..30 {
            legal = (!legal).and(A.ne(i));
        }
        assert!(!legal.is_none() && legal.depth <= Filter::<Row>::MAX_DEPTH);
        // Names do not nest.
        let mut named = A.eq(1);
        for _ in 0..1_000 {
            named = named.named("n");
        }
        assert_eq!(named.depth, 2);
    }

    #[test]
    fn a_reason_is_given_only_for_a_selected_row() {
        let filter = A.eq(1).named("one").and(A.ne(1));
        assert_eq!(filter.reason(&Row { a: 1 }), None);
        let either = A.eq(1).named("one").or(A.eq(2).named("two"));
        assert_eq!(either.reason(&Row { a: 2 }), Some("two"));
        assert_eq!(either.reason(&Row { a: 3 }), None);
    }
}
