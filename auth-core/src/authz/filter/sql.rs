//! A [`Filter`] as an SQL `WHERE` clause with bound parameters.

use std::fmt::Write as _;

use super::{Filter, Node, Op, Operand, Value};

/// How to write identifiers and parameters for a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SqlDialect {
    /// SQLite: `` `column` ``, `?` parameters. Backticks, not double quotes:
    /// SQLite reads a double-quoted name that is no column as a string literal
    /// (its "double-quoted string" fallback), so a field naming a missing
    /// column would compare a constant instead of failing.
    Sqlite,
    /// PostgreSQL: `"column"`, `$1`, `$2`, ... parameters, numbered from `first`
    /// (1 when the filter's parameters come first in the statement; 0 is read
    /// as 1, since PostgreSQL numbers from 1).
    Postgres {
        /// The number of the filter's first parameter.
        first: usize,
    },
    /// MySQL and MariaDB: `` `column` ``, `?` parameters.
    MySql,
}

/// A [`Filter`] as SQL: a boolean expression for a `WHERE` (or an `AND`) and the
/// values to bind to its parameters, in order.
///
/// Values are never written into the text: every one is a parameter. Column
/// names are quoted identifiers, so a column name cannot inject SQL either.
///
/// ```
/// use auth_core::filter::{Field, SqlDialect, Value};
///
/// struct Order { owner_id: i64, amount: i64 }
/// const OWNER_ID: Field<Order, i64> = Field::int("owner_id", |o| o.owner_id);
/// const AMOUNT: Field<Order, i64> = Field::int("amount", |o| o.amount);
///
/// let sql = OWNER_ID.eq(7).and(AMOUNT.lt(50_000)).to_sql(SqlDialect::Postgres { first: 1 });
/// assert_eq!(sql.clause(), r#"("owner_id" = $1 AND "amount" < $2)"#);
/// assert_eq!(sql.params(), [Value::Int(7), Value::Int(50_000)]);
/// // A query appends its own parameters after the filter's:
/// assert_eq!(sql.next_param(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlWhere {
    clause: String,
    params: Vec<Value>,
    next: usize,
}

impl SqlWhere {
    /// The boolean expression. `1 = 1` when the filter selects every row, and
    /// `1 = 0` when it selects none.
    pub fn clause(&self) -> &str {
        &self.clause
    }

    /// The values of the expression's parameters, in order.
    pub fn params(&self) -> &[Value] {
        &self.params
    }

    /// The number of the next parameter after the filter's (for numbered
    /// parameters, [`SqlDialect::Postgres`]); `usize::MAX` past it.
    pub fn next_param(&self) -> usize {
        self.next
    }

    /// Takes the expression and the parameters apart.
    pub fn into_parts(self) -> (String, Vec<Value>) {
        (self.clause, self.params)
    }
}

impl<R> Filter<R> {
    /// The filter as a `WHERE` expression for `dialect`, with its parameters.
    pub fn to_sql(&self, dialect: SqlDialect) -> SqlWhere {
        let first = match dialect {
            SqlDialect::Postgres { first } => first.max(1),
            SqlDialect::Sqlite | SqlDialect::MySql => 1,
        };
        let mut writer = Writer {
            dialect,
            clause: String::new(),
            params: Vec::new(),
            next: first as u128,
        };
        writer.node(&self.node);
        SqlWhere {
            clause: writer.clause,
            params: writer.params,
            next: usize::try_from(writer.next).unwrap_or(usize::MAX),
        }
    }
}

struct Writer {
    dialect: SqlDialect,
    clause: String,
    params: Vec<Value>,
    /// Wide enough never to wrap, whatever `first` was: a number past what
    /// the database accepts is an error there, never another parameter.
    next: u128,
}

impl Writer {
    fn node<R>(&mut self, node: &Node<R>) {
        match node {
            Node::All => self.clause.push_str("1 = 1"),
            Node::None | Node::TooDeep | Node::Unavailable(_) => self.clause.push_str("1 = 0"),
            Node::Cmp(cmp) => {
                self.identifier(cmp.column);
                // A boolean column of SQLite or MySQL is an integer, and Rust
                // reads any non-zero one as `true`: compare with 0, not 1.
                if let (Operand::One(Value::Bool(value)), false) = (
                    &cmp.operand,
                    matches!(self.dialect, SqlDialect::Postgres { .. }),
                ) {
                    let negated = matches!(cmp.op, Op::Ne);
                    self.clause
                        .push_str(if *value == negated { " = 0" } else { " <> 0" });
                    return;
                }
                self.clause.push(' ');
                self.clause.push_str(cmp.op.sql());
                self.clause.push(' ');
                match &cmp.operand {
                    Operand::One(value) => self.param(value),
                    Operand::Many(values) => {
                        self.clause.push('(');
                        for (i, value) in values.iter().enumerate() {
                            if i > 0 {
                                self.clause.push_str(", ");
                            }
                            self.param(value);
                        }
                        self.clause.push(')');
                    }
                }
            }
            Node::And(nodes) => self.list(nodes, " AND "),
            Node::Or(nodes) => self.list(nodes, " OR "),
            Node::Not(node) => {
                self.clause.push_str("NOT (");
                self.node(node);
                self.clause.push(')');
            }
            Node::Named(_, node) => self.node(node),
        }
    }

    fn list<R>(&mut self, nodes: &[Node<R>], joint: &str) {
        self.clause.push('(');
        for (i, node) in nodes.iter().enumerate() {
            if i > 0 {
                self.clause.push_str(joint);
            }
            self.node(node);
        }
        self.clause.push(')');
    }

    fn identifier(&mut self, name: &str) {
        let quote = match self.dialect {
            SqlDialect::MySql | SqlDialect::Sqlite => '`',
            SqlDialect::Postgres { .. } => '"',
        };
        self.clause.push(quote);
        for c in name.chars() {
            if c == quote {
                self.clause.push(quote);
            }
            self.clause.push(c);
        }
        self.clause.push(quote);
    }

    fn param(&mut self, value: &Value) {
        match self.dialect {
            SqlDialect::Postgres { .. } => {
                let _ = write!(self.clause, "${}", self.next);
            }
            SqlDialect::Sqlite | SqlDialect::MySql => self.clause.push('?'),
        }
        self.next += 1;
        self.params.push(value.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Field;

    struct Row {
        a: i64,
        t: String,
    }
    const A: Field<Row, i64> = Field::int("a", |r| r.a);
    const T: Field<Row, str> = Field::text("t", |r| &r.t);
    const ODD: Field<Row, str> = Field::text("we\"ird`", |r| &r.t);

    #[test]
    fn constants_fold_and_render() {
        assert_eq!(
            Filter::<Row>::all().to_sql(SqlDialect::Sqlite).clause(),
            "1 = 1"
        );
        assert_eq!(
            Filter::<Row>::none().to_sql(SqlDialect::Sqlite).clause(),
            "1 = 0"
        );
        assert!(A.eq(1).or(Filter::all()).is_all());
        assert!(A.eq(1).and(Filter::none()).is_none());
        assert!(A.one_of([]).is_none());
        assert!(T.one_of(Vec::<String>::new()).is_none());
        let row = Row {
            a: 1,
            t: "x".into(),
        };
        assert!(A.eq(1).and(Filter::all()).matches(&row));
    }

    #[test]
    fn nesting_is_parenthesized_and_params_are_in_order() {
        let filter = (!A.eq(1).or(T.one_of(["x", "y"]))).and(A.ge(3));
        let sql = filter.to_sql(SqlDialect::Postgres { first: 4 });
        assert_eq!(
            sql.clause(),
            r#"(NOT (("a" = $4 OR "t" IN ($5, $6))) AND "a" >= $7)"#
        );
        assert_eq!(
            sql.params(),
            [
                Value::Int(1),
                Value::Text("x".into()),
                Value::Text("y".into()),
                Value::Int(3)
            ]
        );
        assert_eq!(sql.next_param(), 8);
        assert_eq!(
            filter.to_string(),
            "(NOT (a = ? OR t IN (2 values)) AND a >= ?)"
        );
    }

    #[test]
    fn postgres_numbers_from_one_and_never_wraps() {
        let sql = A.eq(1).to_sql(SqlDialect::Postgres { first: 0 });
        assert_eq!(sql.clause(), r#""a" = $1"#);
        let sql = A
            .eq(1)
            .and(A.eq(2))
            .to_sql(SqlDialect::Postgres { first: usize::MAX });
        assert_eq!(
            sql.clause(),
            format!(
                r#"("a" = ${} AND "a" = ${})"#,
                usize::MAX,
                u128::from(u64::MAX) + 1
            )
        );
        assert_eq!(sql.next_param(), usize::MAX);
    }

    #[test]
    fn identifiers_are_quoted_in_each_dialect() {
        assert_eq!(
            ODD.eq("v").to_sql(SqlDialect::Sqlite).clause(),
            "`we\"ird``` = ?"
        );
        assert_eq!(
            ODD.eq("v")
                .to_sql(SqlDialect::Postgres { first: 1 })
                .clause(),
            r#""we""ird`" = $1"#
        );
        assert_eq!(
            ODD.eq("v").to_sql(SqlDialect::MySql).clause(),
            "`we\"ird``` = ?"
        );
    }
}
