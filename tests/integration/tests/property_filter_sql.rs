//! A filter means the same thing as a `WHERE` as it does in memory.
//!
//! For random filters (every operator, nested `and`/`or`/`not`, constants) over
//! random rows (values drawn from small domains so that comparisons collide,
//! with the integer extremes, empty text, quotes and non-ASCII text), the rows a
//! real SQLite database returns for `Filter::to_sql` are exactly the rows
//! `Filter::matches` selects: the query never returns a row the single-object
//! rule would deny, nor misses one it would allow.

use std::collections::BTreeSet;

use auth_core::filter::{Field, Filter, SqlDialect, Value};
use proptest::prelude::*;
use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;

#[derive(Debug, Clone)]
struct Row {
    id: i64,
    a: i64,
    b: i64,
    t: String,
    flag: bool,
}

const A: Field<Row, i64> = Field::int("a", |r| r.a);
const B: Field<Row, i64> = Field::int("b", |r| r.b);
const T: Field<Row, str> = Field::text("t", |r| &r.t);
// A column name that needs quoting.
const FLAG: Field<Row, bool> = Field::bool("select \"flag\"", |r| r.flag);

fn int() -> impl Strategy<Value = i64> {
    prop_oneof![
        -3_i64..=3,
        Just(i64::MIN),
        Just(i64::MAX),
        Just(i64::MIN + 1),
        Just(i64::MAX - 1),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "", "a", "A", "a ", "é", "e\u{301}", "'", "\"", "%", "a'--",
    ])
    .prop_map(str::to_owned)
}

fn row() -> impl Strategy<Value = (i64, i64, String, bool)> {
    (int(), int(), text(), any::<bool>())
}

/// A description of a filter, to build it and to print a failing case.
#[derive(Debug, Clone)]
enum Spec {
    All,
    None,
    Int(bool, u8, i64),
    IntIn(bool, Vec<i64>),
    Text(bool, String),
    TextIn(Vec<String>),
    Flag(bool),
    And(Vec<Spec>),
    Or(Vec<Spec>),
    Not(Box<Spec>),
}

fn leaf() -> impl Strategy<Value = Spec> {
    prop_oneof![
        Just(Spec::All),
        Just(Spec::None),
        (any::<bool>(), 0_u8..6, int()).prop_map(|(b, op, v)| Spec::Int(b, op, v)),
        (any::<bool>(), prop::collection::vec(int(), 0..4)).prop_map(|(b, v)| Spec::IntIn(b, v)),
        (any::<bool>(), text()).prop_map(|(ne, v)| Spec::Text(ne, v)),
        prop::collection::vec(text(), 0..4).prop_map(Spec::TextIn),
        any::<bool>().prop_map(Spec::Flag),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Spec::And),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Spec::Or),
            inner.prop_map(|s| Spec::Not(Box::new(s))),
        ]
    })
}

fn build(spec: &Spec) -> Filter<Row> {
    match spec {
        Spec::All => Filter::all(),
        Spec::None => Filter::none(),
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
        Spec::IntIn(on_b, values) => (if *on_b { B } else { A }).one_of(values.clone()),
        Spec::Text(ne, v) => {
            if *ne {
                T.ne(v.clone())
            } else {
                T.eq(v.clone())
            }
        }
        Spec::TextIn(values) => T.one_of(values.clone()),
        Spec::Flag(v) => FLAG.is(*v),
        Spec::And(specs) => Filter::all_of(specs.iter().map(build)),
        Spec::Or(specs) => Filter::any_of(specs.iter().map(build)),
        Spec::Not(spec) => !build(spec),
    }
}

fn database(rows: &[Row]) -> Connection {
    let conn = Connection::open_in_memory().expect("an in-memory database");
    conn.execute_batch(
        r#"CREATE TABLE rows (
               id INTEGER PRIMARY KEY,
               a INTEGER NOT NULL,
               b INTEGER NOT NULL,
               t TEXT NOT NULL,
               "select ""flag""" INTEGER NOT NULL
           );"#,
    )
    .expect("the schema");
    for row in rows {
        conn.execute(
            r#"INSERT INTO rows (id, a, b, t, "select ""flag""") VALUES (?1, ?2, ?3, ?4, ?5)"#,
            rusqlite::params![row.id, row.a, row.b, row.t, row.flag],
        )
        .expect("a row");
    }
    conn
}

fn bind(value: &Value) -> SqlValue {
    match value {
        Value::Int(n) => SqlValue::Integer(*n),
        Value::Text(t) => SqlValue::Text(t.clone()),
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        other => panic!("a value kind this test does not bind: {other:?}"),
    }
}

fn selected_by_sql(conn: &Connection, filter: &Filter<Row>) -> BTreeSet<i64> {
    let sql = filter.to_sql(SqlDialect::Sqlite);
    let query = format!("SELECT id FROM rows WHERE {}", sql.clause());
    let mut statement = conn
        .prepare(&query)
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    statement
        .query_map(
            rusqlite::params_from_iter(sql.params().iter().map(bind)),
            |row| row.get(0),
        )
        .expect("the query runs")
        .collect::<Result<_, _>>()
        .expect("ids")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn the_where_clause_selects_exactly_the_matching_rows(
        spec in spec(),
        values in prop::collection::vec(row(), 0..24),
    ) {
        let rows: Vec<Row> = (1..)
            .zip(values)
            .map(|(id, (a, b, t, flag))| Row { id, a, b, t, flag })
            .collect();
        let conn = database(&rows);
        let filter = build(&spec);
        let in_memory: BTreeSet<i64> =
            rows.iter().filter(|r| filter.matches(r)).map(|r| r.id).collect();
        let by_sql = selected_by_sql(&conn, &filter);
        prop_assert_eq!(&by_sql, &in_memory, "filter {} ({:?})", filter, spec);
        // The constants fold: a filter that says it selects all (none) does.
        if filter.is_all() {
            prop_assert_eq!(in_memory.len(), rows.len());
        }
        if filter.is_none() {
            prop_assert!(in_memory.is_empty());
        }
        // `apply` is `matches`, in order.
        let applied: Vec<i64> = filter.apply(rows.clone()).map(|r| r.id).collect();
        prop_assert_eq!(applied, in_memory.iter().copied().collect::<Vec<_>>());
    }
}

/// The numbered parameters of the PostgreSQL dialect line up with the values,
/// from any first number (checked by rewriting them as SQLite's `?NNN`).
#[test]
fn numbered_parameters_line_up_with_their_values() {
    let rows = vec![
        Row {
            id: 1,
            a: 1,
            b: 2,
            t: "x".into(),
            flag: true,
        },
        Row {
            id: 2,
            a: 2,
            b: 1,
            t: "y".into(),
            flag: false,
        },
        Row {
            id: 3,
            a: 3,
            b: 3,
            t: "x".into(),
            flag: false,
        },
    ];
    let conn = database(&rows);
    let filter = A
        .ge(2)
        .and(T.one_of(["x", "z"]).or(FLAG.is(true)))
        .or(B.eq(1));
    let sql = filter.to_sql(SqlDialect::Postgres { first: 3 });
    let clause = sql.clause().replace('$', "?");
    // Two leading parameters the query itself binds, as `?1` and `?2`.
    let query = format!("SELECT id FROM rows WHERE ?1 = ?2 AND {clause}");
    let mut params = vec![SqlValue::Integer(0), SqlValue::Integer(0)];
    params.extend(sql.params().iter().map(bind));
    let ids: BTreeSet<i64> = conn
        .prepare(&query)
        .expect("the query")
        .query_map(rusqlite::params_from_iter(params), |row| row.get(0))
        .expect("runs")
        .collect::<Result<_, _>>()
        .expect("ids");
    let expected: BTreeSet<i64> = rows
        .iter()
        .filter(|r| filter.matches(r))
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(expected, BTreeSet::from([2, 3]));
}
