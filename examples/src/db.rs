//! The service's database: embedded `SQLite`, seeded at start.
//!
//! Functions that touch one user's data demand the proof that the caller may:
//! [`Db::delete_order`] takes a `&Permit<Delete, Order>`, [`Db::create_order`]
//! takes the caller's `Authenticated<User>` and makes them the owner. There is no
//! way to reach an order's row without going through the policy.

use std::sync::{Arc, Mutex, MutexGuard};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use auth_core::filter::{SqlDialect, Value};
use auth_core::{Authenticated, ListPermit, Permit};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params, params_from_iter};

use crate::domain::{ADMIN_ROLE, Delete, NewOrder, Order, Product, Read, Refund, User};
use crate::page::{Page, PageRequest};

/// A database error. Handlers answer it with a 500 that says nothing more.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// `SQLite` failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A thread panicked while holding the connection.
    #[error("the database connection was poisoned")]
    Poisoned,
    /// Hashing a password failed.
    #[error("password hashing failed")]
    PasswordHash,
    /// A filter compared a column with a kind of value this database layer
    /// does not bind.
    #[error("a filter value of an unsupported kind")]
    UnsupportedValue,
}

/// A filter's value as `SQLite` binds it (a boolean as 0 or 1).
fn sql_value(value: Value) -> Result<SqlValue, DbError> {
    Ok(match value {
        Value::Int(n) => SqlValue::Integer(n),
        Value::Text(text) => SqlValue::Text(text),
        Value::Bool(b) => SqlValue::Integer(i64::from(b)),
        _ => return Err(DbError::UnsupportedValue),
    })
}

/// The seeded users: `(email, password, roles, plan, region)`, with ids 1, 2,
/// .. in this order. Alice and Bob own two orders each (in `eu`); Bob is on the
/// `pro` plan; Erin is the `eu` manager who refunds orders.
pub const SEED_USERS: [(&str, &str, &str, &str, &str); 5] = [
    (
        "alice@example.com",
        "alice-password",
        "customer",
        "free",
        "eu",
    ),
    ("bob@example.com", "bob-password", "customer", "pro", "eu"),
    ("carol@example.com", "carol-password", "admin", "free", "us"),
    ("dave@example.com", "dave-password", "admin", "free", "eu"),
    ("erin@example.com", "erin-password", "manager", "free", "eu"),
];

/// A shared handle to the database.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
    /// Verified against when an email is unknown, so a wrong email costs as much
    /// time as a wrong password and does not reveal which emails exist.
    dummy_hash: Arc<str>,
}

/// What [`Db::set_roles`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RoleChange {
    /// The roles were replaced; the user as they are now.
    Changed(User),
    /// There is no such user.
    NoSuchUser,
    /// Refused: the user is the last administrator, and the new roles lack
    /// `admin`. Nothing changed.
    LastAdmin,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").finish_non_exhaustive()
    }
}

fn hash(password: &str) -> Result<String, DbError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|_| DbError::PasswordHash)
}

fn roles_from(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect()
}

fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        email: row.get(1)?,
        roles: roles_from(&row.get::<_, String>(2)?),
        plan: row.get(3)?,
        region: row.get(4)?,
        guest: None,
        grants: auth_core::rbac::Grants::default(),
    })
}

/// Now, in Unix seconds.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}

/// `ALTER TABLE {table} ADD COLUMN {column} {declaration}` unless the table has
/// the column: the schema of a file made by an older version grows in place.
fn add_column_if_missing(
    conn: &Connection,
    table: &str,
    column: &str,
    declaration: &str,
) -> Result<(), DbError> {
    let present: bool = conn.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
        params![table, column],
        |row| row.get(0),
    )?;
    if !present {
        conn.execute_batch(&format!(
            "ALTER TABLE {table} ADD COLUMN {column} {declaration}"
        ))?;
    }
    Ok(())
}

fn order_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Order> {
    Ok(Order {
        id: row.get(0)?,
        owner_id: row.get(1)?,
        item: row.get(2)?,
        amount: row.get(3)?,
        region: row.get(4)?,
        created_at: row.get(5)?,
        refunded_at: row.get(6)?,
    })
}

impl Db {
    /// Opens the database: in memory when `path` is `None` or `":memory:"`, else
    /// the `SQLite` file at `path` (a `sqlite://` prefix is accepted). Creates the
    /// schema and seeds it when empty.
    ///
    /// # Errors
    /// When `SQLite` cannot open or migrate the database.
    pub fn open(path: Option<&str>) -> Result<Db, DbError> {
        let conn = match path.map(|p| {
            p.trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:")
        }) {
            None | Some("" | ":memory:") => Connection::open_in_memory()?,
            Some(file) => Connection::open(file)?,
        };
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE IF NOT EXISTS users (
                 id INTEGER PRIMARY KEY,
                 email TEXT NOT NULL UNIQUE,
                 password_hash TEXT NOT NULL,
                 roles TEXT NOT NULL,
                 plan TEXT NOT NULL DEFAULT 'free',
                 region TEXT NOT NULL DEFAULT 'eu'
             );
             CREATE TABLE IF NOT EXISTS orders (
                 id INTEGER PRIMARY KEY,
                 owner_id INTEGER NOT NULL REFERENCES users(id),
                 item TEXT NOT NULL,
                 amount INTEGER NOT NULL,
                 region TEXT NOT NULL DEFAULT 'eu',
                 created_at INTEGER,
                 refunded_at INTEGER
             );
             CREATE INDEX IF NOT EXISTS orders_by_owner ON orders (owner_id, id);
             CREATE TABLE IF NOT EXISTS products (
                 id INTEGER PRIMARY KEY,
                 name TEXT NOT NULL,
                 price INTEGER NOT NULL
             );",
        )?;
        // A database file made before the column existed gets it, with its default.
        add_column_if_missing(&conn, "users", "plan", "TEXT NOT NULL DEFAULT 'free'")?;
        add_column_if_missing(&conn, "users", "region", "TEXT NOT NULL DEFAULT 'eu'")?;
        add_column_if_missing(&conn, "orders", "region", "TEXT NOT NULL DEFAULT 'eu'")?;
        add_column_if_missing(&conn, "orders", "created_at", "INTEGER")?;
        add_column_if_missing(&conn, "orders", "refunded_at", "INTEGER")?;
        let db = Db {
            conn: Arc::new(Mutex::new(conn)),
            dummy_hash: Arc::from(hash("not a password anyone has")?),
        };
        db.seed()?;
        Ok(db)
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, DbError> {
        self.conn.lock().map_err(|_| DbError::Poisoned)
    }

    fn seed(&self) -> Result<(), DbError> {
        let conn = self.lock()?;
        let users: i64 = conn.query_row("SELECT COUNT(*) FROM users", [], |row| row.get(0))?;
        if users > 0 {
            return Ok(());
        }
        for (id, (email, password, roles, plan, region)) in (1_i64..).zip(SEED_USERS) {
            conn.execute(
                "INSERT INTO users (id, email, password_hash, roles, plan, region)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, email, hash(password)?, roles, plan, region],
            )?;
        }
        conn.execute_batch(
            "INSERT INTO orders (id, owner_id, item, amount, region, created_at) VALUES
                 (1, 1, 'espresso machine', 24900, 'eu', unixepoch()),
                 (2, 1, 'coffee beans', 1800, 'eu', unixepoch()),
                 (3, 2, 'tea kettle', 4500, 'eu', unixepoch()),
                 (4, 2, 'green tea', 1200, 'eu', unixepoch());
             INSERT INTO products (id, name, price) VALUES
                 (1, 'espresso machine', 24900),
                 (2, 'coffee beans', 1800),
                 (3, 'tea kettle', 4500),
                 (4, 'green tea', 1200);",
        )?;
        Ok(())
    }

    /// Checks an email and password. `None` when either is wrong; the two cases
    /// take the same time and look the same to the caller.
    ///
    /// # Errors
    /// When the database fails.
    pub fn verify_login(&self, email: &str, password: &str) -> Result<Option<User>, DbError> {
        let found = {
            let conn = self.lock()?;
            conn.query_row(
                "SELECT id, email, roles, plan, region, password_hash FROM users WHERE email = ?1",
                params![email],
                |row| Ok((user_from_row(row)?, row.get::<_, String>(5)?)),
            )
            .optional()?
        };
        let (user, stored) = match found {
            Some((user, stored)) => (Some(user), stored),
            None => (None, self.dummy_hash.to_string()),
        };
        let matches = PasswordHash::new(&stored).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        Ok(user.filter(|_| matches))
    }

    /// The user with `id`, as they are now.
    ///
    /// # Errors
    /// When the database fails.
    pub fn user(&self, id: i64) -> Result<Option<User>, DbError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT id, email, roles, plan, region FROM users WHERE id = ?1",
                params![id],
                user_from_row,
            )
            .optional()?)
    }

    /// One page of users, in id order.
    ///
    /// # Errors
    /// When the database fails.
    pub fn users(&self, page: PageRequest) -> Result<Page<User>, DbError> {
        let conn = self.lock()?;
        let mut statement = conn.prepare(
            "SELECT id, email, roles, plan, region FROM users WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let users = statement
            .query_map(
                params![page.after, i64::from(page.limit) + 1],
                user_from_row,
            )?
            .collect::<Result<_, _>>()?;
        Ok(Page::from_rows(users, page, |user: &User| user.id))
    }

    /// Replaces a user's roles, unless that would leave no administrator.
    ///
    /// The check and the update are one `IMMEDIATE` transaction, which takes
    /// `SQLite`'s write lock before reading: of two concurrent demotions of the
    /// last two admins, even from two processes sharing the file, the second
    /// sees the first and is refused.
    ///
    /// # Errors
    /// When the database fails.
    pub fn set_roles(&self, id: i64, roles: &[String]) -> Result<RoleChange, DbError> {
        let mut conn = self.lock()?;
        let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = transaction
            .query_row(
                "SELECT id, email, roles, plan, region FROM users WHERE id = ?1",
                params![id],
                user_from_row,
            )
            .optional()?;
        let Some(current) = current else {
            return Ok(RoleChange::NoSuchUser);
        };
        if current.is_admin() && !roles.iter().any(|r| r == ADMIN_ROLE) {
            // Roles are stored comma-separated and are never empty strings, so
            // `,admin,` matches the role exactly, not a role containing it.
            let other_admins: i64 = transaction.query_row(
                "SELECT COUNT(*) FROM users
                 WHERE id != ?1 AND instr(',' || roles || ',', ',' || ?2 || ',') > 0",
                params![id, ADMIN_ROLE],
                |row| row.get(0),
            )?;
            if other_admins == 0 {
                return Ok(RoleChange::LastAdmin);
            }
        }
        transaction.execute(
            "UPDATE users SET roles = ?1 WHERE id = ?2",
            params![roles.join(","), id],
        )?;
        transaction.commit()?;
        Ok(RoleChange::Changed(User {
            roles: roles.to_vec(),
            ..current
        }))
    }

    /// One page of the orders `list` permits, in id order: the rule's filter
    /// is the query's `WHERE`, so the database reads one page (through the
    /// `orders_by_owner` index for a customer), never the table. The caller
    /// turns the rows into permits with [`ListPermit::admit_all`], which checks
    /// each against the filter again.
    ///
    /// # Errors
    /// When the database fails.
    pub fn orders(
        &self,
        list: &ListPermit<'_, Read, Order>,
        page: PageRequest,
    ) -> Result<Page<Order>, DbError> {
        let filter = list.filter();
        if filter.is_none() {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        let (clause, filter_params) = filter.to_sql(SqlDialect::Sqlite).into_parts();
        let sql = format!(
            "SELECT id, owner_id, item, amount, region, created_at, refunded_at FROM orders
             WHERE {clause} AND id > ? ORDER BY id LIMIT ?"
        );
        let mut bound = filter_params
            .into_iter()
            .map(sql_value)
            .collect::<Result<Vec<_>, _>>()?;
        bound.push(SqlValue::Integer(page.after));
        bound.push(SqlValue::Integer(i64::from(page.limit) + 1));
        let conn = self.lock()?;
        let orders = conn
            .prepare_cached(&sql)?
            .query_map(params_from_iter(bound), order_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(Page::from_rows(orders, page, |order: &Order| order.id))
    }

    /// The order with `id`, unchecked: it goes straight into a resource gate.
    ///
    /// # Errors
    /// When the database fails.
    pub fn order(&self, id: i64) -> Result<Option<Order>, DbError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT id, owner_id, item, amount, region, created_at, refunded_at
                 FROM orders WHERE id = ?1",
                params![id],
                order_from_row,
            )
            .optional()?)
    }

    /// Creates an order owned by the caller, unless they already have
    /// `max_per_owner` orders (`None`). The count and the insert are one
    /// statement, so concurrent requests cannot overshoot the limit.
    ///
    /// # Errors
    /// When the database fails.
    pub fn create_order(
        &self,
        owner: &Authenticated<User>,
        new: &NewOrder,
        max_per_owner: u32,
    ) -> Result<Option<Order>, DbError> {
        let created_at = unix_now();
        let conn = self.lock()?;
        let inserted = conn.execute(
            "INSERT INTO orders (owner_id, item, amount, region, created_at)
             SELECT ?1, ?2, ?3, ?5, ?6
             WHERE (SELECT COUNT(*) FROM orders WHERE owner_id = ?1) < ?4",
            params![
                owner.id,
                new.item,
                new.amount,
                max_per_owner,
                owner.region,
                created_at
            ],
        )?;
        if inserted == 0 {
            return Ok(None);
        }
        Ok(Some(Order {
            id: conn.last_insert_rowid(),
            owner_id: owner.id,
            item: new.item.clone(),
            amount: new.amount,
            region: owner.region.clone(),
            created_at: Some(created_at),
            refunded_at: None,
        }))
    }

    /// Deletes the order the permit is for, and no other.
    ///
    /// # Errors
    /// When the database fails.
    pub fn delete_order(&self, permit: &Permit<'_, Delete, Order>) -> Result<(), DbError> {
        let conn = self.lock()?;
        conn.execute("DELETE FROM orders WHERE id = ?1", params![permit.id])?;
        Ok(())
    }

    /// Records the refund of the order the permit is for, at `at` (Unix
    /// seconds): the order as it is now, or `None` when it was refunded already
    /// (nothing changes then; the check and the write are one statement, so two
    /// concurrent refunds of one order cannot both succeed).
    ///
    /// # Errors
    /// When the database fails.
    pub fn refund_order(
        &self,
        permit: &Permit<'_, Refund, Order>,
        at: i64,
    ) -> Result<Option<Order>, DbError> {
        let conn = self.lock()?;
        let changed = conn.execute(
            "UPDATE orders SET refunded_at = ?2 WHERE id = ?1 AND refunded_at IS NULL",
            params![permit.id, at],
        )?;
        Ok((changed == 1).then(|| Order {
            refunded_at: Some(at),
            ..permit.resource().clone()
        }))
    }

    /// The public product catalog.
    ///
    /// # Errors
    /// When the database fails.
    pub fn products(&self) -> Result<Vec<Product>, DbError> {
        let conn = self.lock()?;
        let mut statement = conn.prepare("SELECT id, name, price FROM products ORDER BY id")?;
        let products = statement
            .query_map([], |row| {
                Ok(Product {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    price: row.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(products)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use argon2::password_hash::phc::PasswordHash;

    use super::Db;

    /// A database file of a version before plans and regions: opened by this
    /// one, its rows gain the columns with their defaults, and nothing is lost.
    #[test]
    fn an_older_database_file_gains_the_new_columns() {
        let path = std::env::temp_dir().join(format!(
            "orders-api-old-schema-{}-{}.sqlite",
            std::process::id(),
            line!()
        ));
        let _ = std::fs::remove_file(&path);
        {
            let old = rusqlite::Connection::open(&path).expect("a file");
            old.execute_batch(
                "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,
                     password_hash TEXT NOT NULL, roles TEXT NOT NULL);
                 CREATE TABLE orders (id INTEGER PRIMARY KEY,
                     owner_id INTEGER NOT NULL REFERENCES users(id),
                     item TEXT NOT NULL, amount INTEGER NOT NULL);
                 INSERT INTO users VALUES (1, 'old@example.com', 'x', 'customer');
                 INSERT INTO orders VALUES (1, 1, 'kettle', 4500);",
            )
            .expect("the old schema");
        }
        let db = Db::open(path.to_str()).expect("opens and migrates");
        let user = db.user(1).expect("no error").expect("the old user");
        assert_eq!(
            (
                user.email.as_str(),
                user.plan.as_str(),
                user.region.as_str()
            ),
            ("old@example.com", "free", "eu")
        );
        let order = db.order(1).expect("no error").expect("the old order");
        assert_eq!(
            (
                order.amount,
                order.region.as_str(),
                order.created_at,
                order.refunded_at
            ),
            (4500, "eu", None, None)
        );
        drop(db);
        // Opened again: nothing to add, nothing fails.
        assert!(Db::open(path.to_str()).is_ok());
        let _ = std::fs::remove_file(&path);
    }

    /// An unknown email is checked against the dummy hash, which must cost what a
    /// real one does: a hash that failed to parse, or cheaper parameters, would
    /// answer unknown emails faster and tell which ones exist.
    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let db = Db::open(None).expect("an in-memory database");
        let stored: String = db
            .lock()
            .expect("the connection")
            .query_row(
                "SELECT password_hash FROM users WHERE email = 'alice@example.com'",
                [],
                |row| row.get(0),
            )
            .expect("alice's hash");
        let real = PasswordHash::new(&stored).expect("a PHC string");
        let dummy = PasswordHash::new(&db.dummy_hash).expect("the dummy hash parses");
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
        assert!(
            db.verify_login("nobody@example.com", "not a password anyone has")
                .expect("no database error")
                .is_none(),
            "the dummy hash never signs anyone in"
        );
    }
}
