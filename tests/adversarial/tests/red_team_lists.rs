//! Red team: lists as queries (`auth_core::filter`, `FilterPolicy`,
//! `ListPermit`), attacked without a database. `red_team_lists_http.rs` (in
//! `tests/integration`) attacks the SQL in a real SQLite and `GET /orders` over
//! HTTP; the compile-time claims are `ui/fail/filter-policy-*.rs` and
//! `ui/fail/list-permit-*.rs`.
//!
//! The claims (README "Lists as queries", SECURITY.md G17): a list shows exactly
//! the rows the single-object rule allows; a `ListPermit` comes only from the
//! policy, for one principal and one action, and `admit` never mints a permit
//! for a row the filter does not select; the SQL carries no value and quotes
//! every column; folding constants never changes a filter's meaning; a guest is
//! refused on every path unless the policy says `GUESTS`; a list is one audit
//! event with the filter's shape and no value.
//!
//! Each test proves a door shut. The findings of the first run, now fixed and
//! tested here as shut:
//!
//! 1. `Filter::reason` named a reason for a row the filter does not select.
//! 2. `FilterPolicy::HIDES_DENIED` did not hide from guests (403, not 404).
//! 3. `SqlDialect::Postgres { first: 0 }` rendered `$0`; a `first` near
//!    `usize::MAX` overflowed.
//! 4. A deeply nested filter overflowed the stack (a process abort): filters
//!    now stop at `Filter::MAX_DEPTH` and then select nothing, even negated.
//! 5. `a.and(b)` in a loop was quadratic (the timing test stays `#[ignore]`d,
//!    for a manual run; a unit test proves the flattening by structure).

use std::cell::Cell;
use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use auth_core::filter::{Field, Filter, SqlDialect, Value};
use auth_core::{
    Action, AuthError, Authenticated, Authenticator, FilterPolicy, Guarded, Identity, Mechanism,
    Resource, authenticate, requires,
};
use auth_tests::{audit, block_on};
use http::request::Parts;

// ---------------------------------------------------------------------------
// Fixtures: a row with every kind of field, and a principal.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    id: i64,
    a: i64,
    b: i64,
    t: String,
    flag: bool,
}

impl Resource for Row {
    const KIND: &'static str = "row";
    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

const A: Field<Row, i64> = Field::int("a", |r| r.a);
const B: Field<Row, i64> = Field::int("b", |r| r.b);
const T: Field<Row, str> = Field::text("t", |r| &r.t);
const FLAG: Field<Row, bool> = Field::bool("flag", |r| r.flag);

#[derive(Debug, Clone)]
struct Member {
    id: i64,
    admin: bool,
}

struct As(Member, Mechanism);

impl Authenticator for As {
    type User = Member;
    async fn authenticate(&self, _: &Parts) -> Result<Identity<Member>, AuthError> {
        Ok(Identity::new(self.0.clone(), self.0.id.to_string(), self.1))
    }
}

fn member(id: i64, admin: bool, mechanism: Mechanism) -> Authenticated<Member> {
    let parts = http::Request::new(()).into_parts().0;
    block_on(authenticate(&As(Member { id, admin }, mechanism), &parts)).expect("authenticated")
}

thread_local! {
    /// How often `ReadRow`'s filter ran on this thread: a refused guest must not
    /// reach it.
    static FILTER_CALLS: Cell<usize> = const { Cell::new(0) };
}

/// Read a row: its owner (`a`), or anyone when `flag`, or an admin.
#[derive(Action)]
struct ReadRow;

impl FilterPolicy<Row> for ReadRow {
    type Principal = Member;
    type State = ();

    fn filter(member: &Authenticated<Member>, (): &()) -> Filter<Row> {
        FILTER_CALLS.with(|calls| calls.set(calls.get() + 1));
        A.eq(member.id)
            .named("owner")
            .or(FLAG.is(true).and(B.ge(0)).named("public"))
            .or(Filter::when(member.admin).named("admin"))
    }
}

/// Edit a row: its owner only; everyone else is told it does not exist.
#[derive(Action)]
struct EditRow;

impl FilterPolicy<Row> for EditRow {
    type Principal = Member;
    type State = ();
    const HIDES_DENIED: bool = true;

    fn filter(member: &Authenticated<Member>, (): &()) -> Filter<Row> {
        A.eq(member.id)
    }
}

/// A small deterministic generator (xorshift64*): the adversarial crate keeps
/// its dependencies lean, and a fixed seed makes a failure reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn int(&mut self) -> i64 {
        [-2, -1, 0, 1, 2, i64::MIN, i64::MAX][usize::try_from(self.below(7)).unwrap_or(0)]
    }

    fn text(&mut self) -> String {
        ["", "a", "A", "a ", "é", "'", "\"", "?", "$1"][usize::try_from(self.below(9)).unwrap_or(0)]
            .to_owned()
    }

    fn row(&mut self, id: i64) -> Row {
        Row {
            id,
            a: self.int(),
            b: self.int(),
            t: self.text(),
            flag: self.below(2) == 1,
        }
    }
}

/// A filter as written, evaluated naively: the meaning folding must keep.
#[derive(Debug, Clone)]
enum Spec {
    When(bool),
    Int(bool, u8, i64),
    IntIn(Vec<i64>),
    Text(bool, String),
    TextIn(Vec<String>),
    Flag(bool),
    AllOf(Vec<Spec>),
    AnyOf(Vec<Spec>),
    And(Box<Spec>, Box<Spec>),
    Or(Box<Spec>, Box<Spec>),
    Not(Box<Spec>),
    Named(&'static str, Box<Spec>),
}

impl Spec {
    fn random(rng: &mut Rng, depth: u32) -> Spec {
        let leaf = depth == 0 || rng.below(3) == 0;
        if leaf {
            return match rng.below(7) {
                0 => Spec::When(rng.below(2) == 1),
                1 | 2 => Spec::Int(
                    rng.below(2) == 1,
                    u8::try_from(rng.below(6)).unwrap_or(0),
                    rng.int(),
                ),
                3 => Spec::IntIn((0..rng.below(3)).map(|_| rng.int()).collect()),
                4 => Spec::Text(rng.below(2) == 1, rng.text()),
                5 => Spec::TextIn((0..rng.below(3)).map(|_| rng.text()).collect()),
                _ => Spec::Flag(rng.below(2) == 1),
            };
        }
        let inner = |rng: &mut Rng| Box::new(Spec::random(rng, depth - 1));
        match rng.below(6) {
            0 => Spec::AllOf((0..rng.below(4)).map(|_| *inner(rng)).collect()),
            1 => Spec::AnyOf((0..rng.below(4)).map(|_| *inner(rng)).collect()),
            2 => Spec::And(inner(rng), inner(rng)),
            3 => Spec::Or(inner(rng), inner(rng)),
            4 => Spec::Not(inner(rng)),
            _ => Spec::Named(
                ["owner", "admin", "public"][usize::try_from(rng.below(3)).unwrap_or(0)],
                inner(rng),
            ),
        }
    }

    fn build(&self) -> Filter<Row> {
        match self {
            Spec::When(b) => Filter::when(*b),
            Spec::Int(on_b, op, v) => {
                let field = if *on_b { B } else { A };
                match op {
                    0 => field.eq(*v),
                    1 => field.ne(*v),
                    2 => field.lt(*v),
                    3 => field.le(*v),
                    4 => field.gt(*v),
                    _ => field.ge(*v),
                }
            }
            Spec::IntIn(values) => A.one_of(values.clone()),
            Spec::Text(ne, v) => {
                if *ne {
                    T.ne(v.clone())
                } else {
                    T.eq(v.clone())
                }
            }
            Spec::TextIn(values) => T.one_of(values.clone()),
            Spec::Flag(v) => FLAG.is(*v),
            Spec::AllOf(specs) => Filter::all_of(specs.iter().map(Spec::build)),
            Spec::AnyOf(specs) => Filter::any_of(specs.iter().map(Spec::build)),
            Spec::And(l, r) => l.build().and(r.build()),
            Spec::Or(l, r) => l.build().or(r.build()),
            Spec::Not(s) => !s.build(),
            Spec::Named(name, s) => s.build().named(name),
        }
    }

    fn holds(&self, row: &Row) -> bool {
        match self {
            Spec::When(b) => *b,
            Spec::Int(on_b, op, v) => {
                let x = if *on_b { row.b } else { row.a };
                match op {
                    0 => x == *v,
                    1 => x != *v,
                    2 => x < *v,
                    3 => x <= *v,
                    4 => x > *v,
                    _ => x >= *v,
                }
            }
            Spec::IntIn(values) => values.contains(&row.a),
            Spec::Text(ne, v) => (row.t == *v) != *ne,
            Spec::TextIn(values) => values.contains(&row.t),
            Spec::Flag(v) => row.flag == *v,
            Spec::AllOf(specs) => specs.iter().all(|s| s.holds(row)),
            Spec::AnyOf(specs) => specs.iter().any(|s| s.holds(row)),
            Spec::And(l, r) => l.holds(row) && r.holds(row),
            Spec::Or(l, r) => l.holds(row) || r.holds(row),
            Spec::Not(s) => !s.holds(row),
            Spec::Named(_, s) => s.holds(row),
        }
    }
}

/// Random filters with the rows to try them on.
fn cases(seed: u64, count: usize) -> impl Iterator<Item = (Spec, Filter<Row>, Vec<Row>)> {
    let mut rng = Rng(seed);
    (0..count).map(move |_| {
        let spec = Spec::random(&mut rng, 5);
        let filter = spec.build();
        let rows = (0..24).map(|id| rng.row(id)).collect();
        (spec, filter, rows)
    })
}

// ---------------------------------------------------------------------------
// Claim 4: folding never changes the meaning; `is_all`/`is_none` are truthful.
// ---------------------------------------------------------------------------

/// `when`, `all_of`, `any_of` (empty ones too), `and`, `or`, `!`, `named` and
/// empty `one_of`s, nested at random: the built filter means what was written,
/// row by row, and a filter that says it selects all (none) does.
#[test]
fn folding_never_changes_a_filters_meaning() {
    for (spec, filter, rows) in cases(0x5eed_0001, 20_000) {
        for row in &rows {
            assert_eq!(
                filter.matches(row),
                spec.holds(row),
                "{filter} from {spec:?} on {row:?}"
            );
        }
        if filter.is_all() {
            assert!(rows.iter().all(|r| spec.holds(r)), "{spec:?} is_all");
            assert_eq!(filter.to_sql(SqlDialect::Sqlite).clause(), "1 = 1");
        }
        if filter.is_none() {
            assert!(!rows.iter().any(|r| spec.holds(r)), "{spec:?} is_none");
            assert_eq!(filter.to_sql(SqlDialect::Sqlite).clause(), "1 = 0");
        }
    }
}

/// Constants are folded before they reach SQL: no `NOT (1 = 1)`, no constant
/// inside a compound, no empty `IN ()` and no empty `()`; a constant is only
/// ever the whole clause.
#[test]
fn no_constant_and_no_empty_list_reaches_the_sql() {
    for (spec, filter, _) in cases(0x5eed_0002, 20_000) {
        for dialect in [
            SqlDialect::Sqlite,
            SqlDialect::MySql,
            SqlDialect::Postgres { first: 1 },
        ] {
            let sql = filter.to_sql(dialect);
            let clause = sql.clause();
            if clause != "1 = 1" && clause != "1 = 0" {
                assert!(
                    !clause.contains("1 = 1") && !clause.contains("1 = 0"),
                    "a constant inside {clause} ({spec:?})"
                );
            }
            assert!(!clause.contains("()"), "an empty list in {clause}");
            assert!(!clause.contains("IN ()"), "an empty IN in {clause}");
            assert_eq!(
                clause.matches('(').count(),
                clause.matches(')').count(),
                "{clause}"
            );
        }
    }
}

/// The binary forms fold too: `!when(true)`, `when(false).or(x)`, an empty
/// `one_of` inside `!`, and names around constants.
#[test]
fn named_and_negated_constants_fold() {
    let empty = || A.one_of(Vec::<i64>::new());
    assert!((!empty()).is_all());
    assert!((!(!empty())).is_none());
    assert!((!Filter::<Row>::when(true).named("admin")).is_none());
    assert!(Filter::<Row>::when(true).named("admin").named("x").is_all());
    assert!(
        empty()
            .or(T.one_of(Vec::<String>::new()))
            .named("n")
            .is_none()
    );
    assert!(Filter::<Row>::all_of([]).is_all());
    assert!(Filter::<Row>::any_of([]).is_none());
    assert!((!Filter::<Row>::all_of([])).is_none());
    assert!(Filter::all_of([A.eq(1), !Filter::when(true)]).is_none());
    assert!(Filter::any_of([A.eq(1), !empty()]).is_all());
    // A name around a constant stays truthful through `and`/`or`.
    let admin = Filter::<Row>::when(true).named("admin");
    assert!(A.eq(1).or(admin).is_all());
    assert!(A.eq(1).and(Filter::when(false).named("n")).is_none());
}

/// Finding 1: `Filter::reason` is documented as "the part of the rule that made
/// `row` match", but an `and` returns the name of its first named part that
/// matches even when another part does not, so `reason` names a reason for a
/// row the filter does not select. The library only calls it after `matches`
/// (so the audit log is right today); a service that calls it to explain a
/// decision, or a future caller, logs "owner" for a denied row.
///
/// Fix: `Node::And` answers `None` unless every part matches (or
/// `Filter::reason` returns `None` when `!self.matches(row)`).
#[test]
fn reason_is_none_for_a_row_the_filter_does_not_select() {
    let filter = A.eq(1).named("owner").and(B.eq(2));
    let row = Row {
        id: 1,
        a: 1,
        b: 3,
        t: String::new(),
        flag: false,
    };
    assert!(!filter.matches(&row));
    assert_eq!(
        filter.reason(&row),
        None,
        "{filter} does not select {row:?}"
    );
}

/// The same, on random filters: every reason `reason` gives is for a row the
/// filter selects, and names a part the row satisfies.
#[test]
fn reason_only_speaks_for_selected_rows_on_random_filters() {
    for (spec, filter, rows) in cases(0x5eed_0003, 5_000) {
        for row in &rows {
            if filter.reason(row).is_some() {
                assert!(filter.matches(row), "{filter} ({spec:?}) on {row:?}");
            }
        }
    }
}

/// When the filter does select the row (the only way the library asks), the
/// reason is one of the names on a path the row satisfies: the audit log's
/// `reason` for an allowed value is truthful.
#[test]
fn the_reason_of_an_allowed_row_is_a_part_it_satisfies() {
    let customer = member(7, false, Mechanism::Test);
    let rows = [
        (7, 0, false, Some("owner")),
        (8, 1, true, Some("public")),
        (8, -1, true, None),
    ];
    for (a, b, flag, reason) in rows {
        let row = Row {
            id: 1,
            a,
            b,
            t: String::new(),
            flag,
        };
        let (permit, events) = audit::capture(|| customer.authorize::<ReadRow, _>(row.clone()));
        match reason {
            Some(reason) => {
                assert!(permit.is_ok(), "{row:?}");
                assert_eq!(events[0]["reason"], reason, "{events:#?}");
            }
            None => assert!(matches!(permit, Err(AuthError::Forbidden { .. }))),
        }
    }
}

// ---------------------------------------------------------------------------
// Claims 1 and 2: a list shows exactly what the single-object rule allows, and
// `admit` mints nothing else.
// ---------------------------------------------------------------------------

#[requires(ReadRow(row))]
fn read_row(member: Authenticated<Member>, row: Row) -> i64 {
    row.id
}

#[requires(ReadRow(row))]
async fn read_row_async(member: Authenticated<Member>, row: Row) -> i64 {
    row.id
}

/// For customers, an admin and every kind of row: the resource gate (sync and
/// async), `authorize` and `authorize_list` + `admit` give the same answer,
/// row by row, and `admit` is `Ok` exactly when the gate allows.
#[test]
fn every_path_answers_the_same_for_every_row() {
    let mut rng = Rng(0x5eed_0004);
    let rows: Vec<Row> = (0..400).map(|id| rng.row(id)).collect();
    for who in [
        member(-1, false, Mechanism::Test),
        member(0, false, Mechanism::Test),
        member(2, false, Mechanism::Test),
        member(i64::MIN, false, Mechanism::Test),
        member(5, true, Mechanism::Test),
    ] {
        let list = who
            .authorize_list::<ReadRow, Row>(&())
            .expect("a list permit");
        for row in &rows {
            let gate: Guarded<i64, Authenticated<Member>> = read_row(who.clone(), row.clone());
            let gate = gate.into_result().is_ok();
            let gate_async: Guarded<i64, Authenticated<Member>> =
                block_on(read_row_async(who.clone(), row.clone()));
            let gate_async = gate_async.into_result().is_ok();
            let authorized = who.authorize::<ReadRow, _>(row.clone()).is_ok();
            let admitted = list.admit(row.clone());
            assert_eq!(gate, authorized, "{row:?} for {who:?}");
            assert_eq!(gate_async, authorized, "{row:?} for {who:?}");
            assert_eq!(admitted.is_ok(), authorized, "{row:?} for {who:?}");
            assert_eq!(list.filter().matches(row), authorized);
            if let Ok(permit) = admitted {
                // The permit speaks for the list's principal, about this row.
                assert_eq!(permit.principal().subject(), who.subject());
                assert_eq!(permit.resource(), row);
                assert_eq!(permit.action(), "read_row");
            }
        }
    }
}

/// `admit` on random filters (through a policy whose filter is the random one):
/// it mints a permit exactly for the rows the filter selects, and a stray row
/// is a 500 with an `ERROR` event, never a permit, wherever it is in the batch.
#[test]
fn admit_mints_nothing_the_filter_does_not_select() {
    thread_local! {
        static CURRENT: std::cell::RefCell<Option<Spec>> = const { std::cell::RefCell::new(None) };
    }
    #[derive(Action)]
    struct Random;
    impl FilterPolicy<Row> for Random {
        type Principal = Member;
        type State = ();
        fn filter(_: &Authenticated<Member>, (): &()) -> Filter<Row> {
            CURRENT.with(|c| c.borrow().as_ref().map_or_else(Filter::none, Spec::build))
        }
    }
    let who = member(1, false, Mechanism::Test);
    for (spec, _, rows) in cases(0x5eed_0005, 3_000) {
        CURRENT.with(|c| *c.borrow_mut() = Some(spec.clone()));
        let list = who
            .authorize_list::<Random, Row>(&())
            .expect("a list permit");
        for row in &rows {
            assert_eq!(list.admit(row.clone()).is_ok(), spec.holds(row), "{spec:?}");
        }
        let selected: Vec<Row> = rows.iter().filter(|r| spec.holds(r)).cloned().collect();
        assert_eq!(
            list.admit_all(selected.clone()).map(|p| p.len()).ok(),
            Some(selected.len())
        );
        if let Some(stray) = rows.iter().find(|r| !spec.holds(r)) {
            let mut batch = selected.clone();
            batch.insert(batch.len() / 2, stray.clone());
            let (admitted, events) = audit::capture(|| list.admit_all(batch).map(|p| p.len()));
            assert!(
                matches!(admitted, Err(AuthError::Misconfigured { .. })),
                "{admitted:?}"
            );
            assert_eq!(events.len(), 1, "{events:#?}");
            assert_eq!(events[0]["level"], "ERROR");
        }
    }
}

/// A permit from Alice's list names Alice, whoever else is signed in nearby; the
/// list permit's `Debug` shows the shape, not the values it compares with.
#[test]
fn a_list_permit_speaks_for_its_own_principal_only() {
    let alice = member(1, false, Mechanism::Test);
    let bob = member(2, false, Mechanism::Test);
    let hers = alice
        .authorize_list::<ReadRow, Row>(&())
        .expect("a list permit");
    let his = bob
        .authorize_list::<ReadRow, Row>(&())
        .expect("a list permit");
    let bobs_row = Row {
        id: 9,
        a: 2,
        b: 0,
        t: String::new(),
        flag: false,
    };
    assert!(
        hers.admit(bobs_row.clone()).is_err(),
        "alice's list admits bob's row"
    );
    let permit = his.admit(bobs_row).expect("bob's own row");
    assert_eq!(permit.principal().subject(), "2");
    assert_eq!(hers.principal().subject(), "1");
    let debug = format!("{hers:?}");
    assert!(debug.contains("a = ?"), "{debug}");
    assert!(!debug.contains("= 1"), "a value in {debug}");
}

// ---------------------------------------------------------------------------
// Claim 5: guests.
// ---------------------------------------------------------------------------

#[requires(ReadRow(row), guests = true)]
fn read_row_guests_welcome(member: Authenticated<Member>, row: Row) -> i64 {
    row.id
}

#[requires(ReadRow(row), guests = true)]
async fn read_row_guests_welcome_async(member: Authenticated<Member>, row: Row) -> i64 {
    row.id
}

/// `GUESTS` false: a guest (even one an over-generous mapping made an admin, on
/// a route that lets guests in) is refused by the sync gate, the async gate,
/// `authorize` and `authorize_list`, and the filter never runs for it.
#[test]
fn a_guest_is_refused_on_every_path_and_the_filter_never_runs() {
    FILTER_CALLS.with(|calls| calls.set(0));
    let guest = member(0, true, Mechanism::Guest);
    let public_row = Row {
        id: 1,
        a: 0,
        b: 1,
        t: String::new(),
        flag: true,
    };
    let gate: Guarded<i64, Authenticated<Member>> =
        read_row_guests_welcome(guest.clone(), public_row.clone());
    assert!(matches!(
        gate.into_result(),
        Err(AuthError::Forbidden { .. })
    ));
    let gate: Guarded<i64, Authenticated<Member>> = block_on(read_row_guests_welcome_async(
        guest.clone(),
        public_row.clone(),
    ));
    assert!(matches!(
        gate.into_result(),
        Err(AuthError::Forbidden { .. })
    ));
    assert!(matches!(
        guest.authorize::<ReadRow, _>(public_row),
        Err(AuthError::Forbidden { .. })
    ));
    let (list, events) = audit::capture(|| guest.authorize_list::<ReadRow, Row>(&()));
    assert!(matches!(list, Err(AuthError::Forbidden { .. })), "{list:?}");
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["decision"], "deny");
    assert!(
        !events[0].contains_key("filter"),
        "a refused guest's event has no filter: {events:#?}"
    );
    assert_eq!(
        FILTER_CALLS.with(Cell::get),
        0,
        "the filter ran for a guest"
    );
    // The same member signed in for real does reach the filter.
    let user = member(0, true, Mechanism::Test);
    assert!(user.authorize_list::<ReadRow, Row>(&()).is_ok());
    assert_eq!(FILTER_CALLS.with(Cell::get), 1);
}

/// Finding 2: `HIDES_DENIED = true` is meant to make a denied value a 404, so a
/// caller cannot learn that it exists. A guest is refused before the filter with
/// a 403 (`guest_refused` is a `deny`), so for a guest a row that exists answers
/// 403 and a row that does not answers the loader's 404: an existence oracle
/// for anyone who can get a guest token, exactly what `HIDES_DENIED` promises
/// to close. (A hand-written `Policy` that answers `not_found` has the same
/// hole; `FilterPolicy` has the constant, so it can close it.)
///
/// Fix: in the blanket `impl Policy<R> for A: FilterPolicy<R>`, refuse the guest
/// with `Decision::not_found` when `HIDES_DENIED`, e.g. set `Policy::GUESTS =
/// true` there and do the `FilterPolicy::GUESTS` test inside `decide`; and let
/// `PolicyFor`/`AsyncPolicyFor` do the same for any policy that hides.
#[test]
fn a_hidden_row_is_404_for_a_guest_too() {
    let guest = member(0, false, Mechanism::Guest);
    let stranger = member(2, false, Mechanism::Test);
    let row = Row {
        id: 1,
        a: 1,
        b: 0,
        t: String::new(),
        flag: false,
    };
    assert!(matches!(
        stranger.authorize::<EditRow, _>(row.clone()),
        Err(AuthError::NotFound { .. })
    ));
    let guest_answer = guest.authorize::<EditRow, _>(row);
    assert!(
        matches!(guest_answer, Err(AuthError::NotFound { .. })),
        "a guest learns the row exists: {guest_answer:?}"
    );
}

// ---------------------------------------------------------------------------
// Claim 3: the SQL carries no value, quotes every column, numbers parameters
// in order, and never panics.
// ---------------------------------------------------------------------------

const HOSTILE: [&str; 10] = [
    "x' OR '1'='1",
    "'); DROP TABLE orders; --",
    "\" OR 1=1 --",
    "` OR 1=1 -- ",
    "$1",
    "?",
    ":name",
    "\\' OR 1=1 #",
    "a\u{0}b",
    "/* */ UNION SELECT",
];

/// Hostile text (quotes of every dialect, placeholders, comments, NUL) is a
/// parameter in every dialect: the clause is the same whatever the values are,
/// and the values come back unchanged, in order.
#[test]
fn values_never_reach_the_sql_text() {
    for dialect in [
        SqlDialect::Sqlite,
        SqlDialect::MySql,
        SqlDialect::Postgres { first: 1 },
    ] {
        let plain = T.eq("v").or(T.one_of(["w", "x"])).and(!T.ne("y"));
        let hostile = T
            .eq(HOSTILE[0])
            .or(T.one_of(HOSTILE[1..3].iter().copied()))
            .and(!T.ne(HOSTILE[3]));
        assert_eq!(
            plain.to_sql(dialect).clause(),
            hostile.to_sql(dialect).clause()
        );
        for value in HOSTILE {
            let sql = T.eq(value).to_sql(dialect);
            assert_eq!(
                sql.clause(),
                T.eq("v").to_sql(dialect).clause(),
                "{value:?} in {sql:?}"
            );
            assert_eq!(sql.params(), [Value::Text(value.to_owned())]);
            let sql = T.one_of(HOSTILE).to_sql(dialect);
            assert_eq!(sql.params().len(), HOSTILE.len());
        }
    }
}

/// Reads the quoted identifier at the start of `s` the way the database's
/// tokenizer does (a doubled quote is one quote): what the column name becomes.
fn dequote(s: &str, quote: char) -> (String, &str) {
    let mut chars = s.char_indices();
    assert_eq!(chars.next().map(|(_, c)| c), Some(quote), "{s}");
    let mut name = String::new();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            match chars.clone().next() {
                Some((_, next)) if next == quote => {
                    chars.next();
                    name.push(quote);
                }
                _ => return (name, &s[i + c.len_utf8()..]),
            }
        } else {
            name.push(c);
        }
    }
    panic!("an unterminated identifier in {s}");
}

/// A column name with the other dialects' quotes, a doubled quote, a comment,
/// a placeholder or a backslash reads back as exactly that name, followed by
/// the operator: a column name cannot end the identifier early.
#[test]
fn column_names_read_back_as_themselves_in_every_dialect() {
    const NAMES: [&str; 8] = [
        "plain",
        "a\"b",
        "a``b",
        "\"\"",
        "x\" = 1 OR \"y",
        "x` = 1 OR `y",
        "$1 ? :p -- /*",
        "back\\slash\\",
    ];
    macro_rules! field {
        ($name:expr) => {
            Field::<Row, i64>::int($name, |r| r.a)
        };
    }
    let fields = [
        field!(NAMES[0]),
        field!(NAMES[1]),
        field!(NAMES[2]),
        field!(NAMES[3]),
        field!(NAMES[4]),
        field!(NAMES[5]),
        field!(NAMES[6]),
        field!(NAMES[7]),
    ];
    for (name, field) in NAMES.iter().zip(fields) {
        for (dialect, quote, param) in [
            (SqlDialect::Sqlite, '`', "?"),
            (SqlDialect::MySql, '`', "?"),
            (SqlDialect::Postgres { first: 3 }, '"', "$3"),
        ] {
            let sql = field.lt(5).to_sql(dialect);
            let (read, rest) = dequote(sql.clause(), quote);
            assert_eq!(read, *name, "{dialect:?}: {}", sql.clause());
            assert_eq!(rest, format!(" < {param}"), "{dialect:?}: {}", sql.clause());
        }
    }
}

/// PostgreSQL's numbered parameters line up with the values for random filters
/// and any sensible first number, and `next_param` is one past the last.
#[test]
fn postgres_parameters_are_numbered_in_order() {
    for (spec, filter, _) in cases(0x5eed_0006, 5_000) {
        for first in [1_usize, 2, 7, 65_000] {
            let sql = filter.to_sql(SqlDialect::Postgres { first });
            let numbers: Vec<usize> = sql
                .clause()
                .split('$')
                .skip(1)
                .map(|s| {
                    s.chars()
                        .take_while(char::is_ascii_digit)
                        .collect::<String>()
                        .parse()
                        .expect("a number")
                })
                .collect();
            let expected: Vec<usize> = (first..first + sql.params().len()).collect();
            assert_eq!(numbers, expected, "{} ({spec:?})", sql.clause());
            assert_eq!(sql.next_param(), first + sql.params().len());
            // SQLite compares booleans with 0 (a non-zero integer is true), so it
            // binds every value but the booleans.
            let sqlite = filter.to_sql(SqlDialect::Sqlite);
            let bound: Vec<Value> = sql
                .params()
                .iter()
                .filter(|value| !matches!(value, Value::Bool(_)))
                .cloned()
                .collect();
            assert_eq!(sqlite.params(), bound);
            assert_eq!(sqlite.clause().matches('?').count(), bound.len());
        }
    }
}

/// Finding 3a: `Postgres { first: 0 }` renders `$0`, a parameter PostgreSQL does
/// not have ("there is no parameter $0"; checked by hand with psql 15): the
/// query fails at run time instead of the mistake being unrepresentable.
/// Fix: `first: NonZeroUsize` (or `u16`, PostgreSQL's limit is 65535
/// parameters), or number from `max(first, 1)`.
#[test]
fn postgres_numbering_never_renders_dollar_zero() {
    let sql = A.eq(1).to_sql(SqlDialect::Postgres { first: 0 });
    assert!(!sql.clause().contains("$0"), "{}", sql.clause());
}

/// Finding 3b: a `first` near `usize::MAX` overflows `next += 1`: a panic in a
/// debug build ("rendering never panics" does not hold) and, in release, `$0`,
/// `$1`, ... after `$18446744073709551615`: numbers that alias the statement's
/// own parameters (PostgreSQL 15 refuses the statement at `$18446744073709551615`,
/// "there is no parameter $-1", so today this is an error, not a wrong query).
/// Fix: `checked_add` and a typed error, or a `u16` `first`
/// (PostgreSQL's own limit) so the sum cannot overflow `usize`.
#[test]
fn postgres_numbering_near_the_top_does_not_panic_or_wrap() {
    let rendered = std::panic::catch_unwind(|| {
        A.eq(1)
            .or(B.one_of([1, 2]))
            .to_sql(SqlDialect::Postgres { first: usize::MAX })
    });
    let sql = rendered.expect("rendering panicked");
    assert!(
        !sql.clause().contains("$0") && !sql.clause().contains("$1,"),
        "{}",
        sql.clause()
    );
}

// ---------------------------------------------------------------------------
// Claim 7: audit.
// ---------------------------------------------------------------------------

/// A list's one event carries the shape only: no value (an email, an id), no
/// name given with `named`, whatever the values are (even text that looks like
/// a shape); a list of a thousand values is one short field.
#[test]
fn the_list_event_carries_no_value() {
    #[derive(Action)]
    struct ByEmail;
    impl FilterPolicy<Row> for ByEmail {
        type Principal = Member;
        type State = ();
        fn filter(member: &Authenticated<Member>, (): &()) -> Filter<Row> {
            T.eq("alice@example.com")
                .named("secret-name")
                .or(T.one_of((0..1000).map(|i| format!("user{i}@example.com"))))
                .or(T.eq("t = ? OR a = ?\nforged=1"))
                .or(A.eq(member.id))
        }
    }
    let who = member(4242, false, Mechanism::Test);
    let (list, events) = audit::capture(|| who.authorize_list::<ByEmail, Row>(&()));
    assert!(list.is_ok());
    assert_eq!(events.len(), 1, "{events:#?}");
    let event = &events[0];
    assert_eq!(
        event["filter"],
        "(t = ? OR t IN (1000 values) OR t = ? OR a = ?)"
    );
    let everything = format!("{event:?}");
    for leak in [
        "alice@",
        "user1@",
        "secret-name",
        "forged",
        "4242 ",
        "= 4242",
    ] {
        assert!(!everything.contains(leak), "{leak} in {event:#?}");
    }
}

// ---------------------------------------------------------------------------
// Claim 8: denial of service.
// ---------------------------------------------------------------------------

/// A flat filter from a caller's list (`one_of` of 200 000 ids, `all_of` /
/// `any_of` of 50 000 parts) builds, renders and decides in linear time: well
/// under a second each, even unoptimized.
#[test]
fn a_huge_flat_filter_is_linear() {
    let n: i64 = 200_000;
    let started = Instant::now();
    let filter = A.one_of(0..n).or(B.one_of(0..n));
    let sql = filter.to_sql(SqlDialect::Postgres { first: 1 });
    assert_eq!(sql.params().len(), 400_000);
    assert_eq!(
        filter.to_string(),
        "(a IN (200000 values) OR b IN (200000 values))"
    );
    let row = Row {
        id: 1,
        a: -1,
        b: n - 1,
        t: String::new(),
        flag: false,
    };
    assert!(filter.matches(&row));
    let all = Filter::all_of((0..50_000).map(|i| A.ne(i)));
    let any = Filter::any_of((0..50_000).map(|i| A.eq(i)));
    assert!(all.matches(&row) && !any.matches(&row));
    drop((filter, all, any));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// Finding 5: `f = f.and(x)` in a loop (the natural way to add conditions one
/// by one, e.g. one per search term of a request) is quadratic: `all_of`
/// flattens the left `And` by moving its parts into a new `Vec` each time.
/// Measured unoptimized: 4 000 terms 0.09 s, 16 000 terms 2.2 s, 64 000 terms
/// 35 s (`Filter::all_of` of the same 64 000: 0.02 s). Fix: in `all_of`/`any_of`,
/// reuse the first part's `Vec` when it is the same kind
/// (`Node::And(nodes) if parts.is_empty() => parts = nodes`).
#[test]
#[ignore = "a timing, kept for a manual run: `filter::tests::conditions_added_in_a_loop_stay_one_level` proves the loop linear by structure"]
fn adding_conditions_one_by_one_is_linear() {
    let time = |n: i64| {
        let started = Instant::now();
        let mut filter = A.eq(-1);
        let mut either = A.eq(-1);
        for i in 0..n {
            filter = filter.and(A.ne(i));
            either = either.or(A.eq(i));
        }
        drop((filter, either));
        started.elapsed()
    };
    let small = time(4_000);
    let large = time(32_000);
    // Eight times the terms: linear is 8x (with slack for a busy machine: 24x);
    // quadratic is 64x.
    assert!(
        large < small * 24 + Duration::from_millis(200),
        "4 000: {small:?}, 32 000: {large:?}"
    );
}

/// The depth the nested-filter attack builds: `(!f).and(x)` repeated (each
/// round two levels), or `.named(..)` repeated.
const DEPTH: usize = 100_000;

fn nested(depth: usize) -> Filter<Row> {
    let mut filter = A.eq(0);
    for i in 0..depth / 2 {
        filter = (!filter).and(A.eq(i64::try_from(i).unwrap_or(0)));
    }
    filter
}

/// What the child process of `a_deeply_nested_filter_does_not_abort_the_process`
/// runs: one operation on a deeply nested filter, on a thread with a Tokio
/// worker's 2 MiB stack. Not a test on its own.
#[test]
#[ignore = "the worker of a_deeply_nested_filter_does_not_abort_the_process"]
fn deep_filter_worker() {
    let op = std::env::var("RED_TEAM_DEEP_FILTER_OP")
        .expect("run by a_deeply_nested_filter_does_not_abort_the_process");
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let row = Row {
                id: 1,
                a: 1,
                b: 0,
                t: String::new(),
                flag: false,
            };
            let filter = if op == "named" {
                (0..DEPTH).fold(A.eq(0), |f, _| f.named("n"))
            } else {
                nested(DEPTH)
            };
            match op.as_str() {
                "matches" => assert!(!filter.matches(&row) || filter.matches(&row)),
                "to_sql" => assert!(!filter.to_sql(SqlDialect::Sqlite).clause().is_empty()),
                "display" => assert!(!filter.to_string().is_empty()),
                "clone" => drop(filter.clone()),
                _ => {}
            }
            drop(filter);
        })
        .expect("a thread")
        .join()
        .expect("the worker thread");
}

/// Finding 4: nothing bounds a filter's depth, and `matches`, `to_sql`,
/// `Display` (the audit event), `Clone` and `Drop` all recurse. A filter nested
/// some thousands deep (here 100 000: `(!f).and(x)` or `.named(..)` in a loop
/// over a request's terms) overflows a 2 MiB stack: a stack overflow aborts the
/// whole process (every request in flight), it is not a panic a framework
/// catches. Measured unoptimized: 10 000 levels overflow `to_sql`, `Display`
/// and `Clone`, 20 000 `matches` and `Drop`, 40 000 chained `named`s `Drop`.
/// Policies written by hand are shallow; a service that builds a filter from a
/// request (search terms, a query language) is exposed.
///
/// Fix: keep a depth in `Filter` (or cap it where it grows: `!`, `and`, `or`,
/// `named`), make `named` on a named filter keep one name, and refuse a filter
/// deeper than a documented limit (64?) with a typed error from `to_sql` /
/// `authorize_list` and a deny from `matches`; or make the walks iterative and
/// give `Node` an iterative `Drop`.
#[test]
fn a_deeply_nested_filter_does_not_abort_the_process() {
    let exe = std::env::current_exe().expect("this test binary");
    let mut aborted = BTreeSet::new();
    for op in ["matches", "to_sql", "display", "clone", "drop", "named"] {
        let status = Command::new(&exe)
            .args(["deep_filter_worker", "--exact", "--ignored", "--nocapture"])
            .env("RED_TEAM_DEEP_FILTER_OP", op)
            .status()
            .expect("the worker runs");
        if !status.success() {
            aborted.insert(op);
        }
    }
    assert!(
        aborted.is_empty(),
        "a filter {DEPTH} deep aborts the process in {aborted:?}"
    );
}
