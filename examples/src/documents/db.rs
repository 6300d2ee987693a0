//! The rows of `documents-api`, in `SQLite`: users, teams, folders, documents,
//! and the ZedToken of the last relationship write about each row.
//!
//! Who may see or change a row is not here: it is in SpiceDB
//! ([`super::policy`]). The functions that read or change one document take the
//! permit that proves the caller may ([`Db::update_document`] takes a
//! `&Permit<Edit, Document>`); the list takes the list permit and selects only
//! the ids it names ([`Db::documents`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use auth_core::filter::{SqlDialect, Value};
use auth_core::spicedb::ZedToken;
use auth_core::{ListPermit, Permit};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::domain::{Document, Edit, Folder, Team, User, View};

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
    /// A filter compared a column with a kind of value this database layer
    /// does not bind.
    #[error("a filter value of an unsupported kind")]
    UnsupportedValue,
    /// The system's random number generator failed: no id was made.
    #[error("the random number generator failed")]
    Random,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    admin INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    zedtoken TEXT
);
CREATE TABLE IF NOT EXISTS folders (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    parent_id INTEGER REFERENCES folders(id),
    owner_id INTEGER NOT NULL REFERENCES users(id),
    zedtoken TEXT,
    zed_seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    folder_id INTEGER REFERENCES folders(id),
    owner_id INTEGER NOT NULL REFERENCES users(id),
    zedtoken TEXT,
    zed_seq INTEGER NOT NULL DEFAULT 0
);
-- The ZedTokens of the latest write ('latest') and of the latest write that
-- took access away ('removal'), with the local order of writes (seq).
CREATE TABLE IF NOT EXISTS zed_watermarks (
    name TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    token TEXT NOT NULL
);
";

/// The token a check of a row asks to be at least as fresh as: the row's own
/// (its last relationship write) or, when a write took access away anywhere
/// after it (a folder unshared, a team member removed), that write's.
const FRESHNESS: &str = "CASE
    WHEN (SELECT seq FROM zed_watermarks WHERE name = 'removal') > t.zed_seq
    THEN (SELECT token FROM zed_watermarks WHERE name = 'removal')
    ELSE t.zedtoken END";

/// A shared handle to the database.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
    /// Rows the document queries have read, for the tests that prove a list
    /// loads nothing the caller cannot see.
    rows_read: Arc<AtomicU64>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").finish_non_exhaustive()
    }
}

/// A new random id: 52 bits, so it is exact in JSON numbers, and ids of
/// several services sharing one SpiceDB (or one test SpiceDB) never collide.
fn new_id() -> Result<i64, DbError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|_| DbError::Random)?;
    let id = i64::from_le_bytes(bytes) & ((1 << 52) - 1);
    Ok(id.max(1))
}

/// A filter's value as `SQLite` binds it.
fn sql_value(value: Value) -> Result<SqlValue, DbError> {
    Ok(match value {
        Value::Int(n) => SqlValue::Integer(n),
        Value::Text(text) => SqlValue::Text(text),
        Value::Bool(b) => SqlValue::Integer(i64::from(b)),
        _ => return Err(DbError::UnsupportedValue),
    })
}

fn document_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Document> {
    Ok(Document {
        id: row.get(0)?,
        title: row.get(1)?,
        body: row.get(2)?,
        folder_id: row.get(3)?,
        owner_id: row.get(4)?,
        zedtoken: row.get::<_, Option<String>>(5)?.map(ZedToken::new),
    })
}

fn folder_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Folder> {
    Ok(Folder {
        id: row.get(0)?,
        name: row.get(1)?,
        parent_id: row.get(2)?,
        owner_id: row.get(3)?,
        zedtoken: row.get::<_, Option<String>>(4)?.map(ZedToken::new),
    })
}

/// One line of the administrators' audit listing: neither title nor body.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditLine {
    /// The document's id.
    pub id: i64,
    /// Its folder.
    pub folder_id: Option<i64>,
    /// Who made it.
    pub owner_id: i64,
}

/// The row a relationship write was about, to store its ZedToken with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// A document.
    Document(i64),
    /// A folder.
    Folder(i64),
    /// A team.
    Team(i64),
}

impl Db {
    /// Opens (and creates the tables of) the database at `path`; `:memory:` for
    /// one that lives as long as the process.
    ///
    /// # Errors
    /// When `SQLite` cannot open or write it.
    pub fn open(path: &str) -> Result<Self, DbError> {
        let conn = Connection::open(path)?;
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
            rows_read: Arc::default(),
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, DbError> {
        self.conn.lock().map_err(|_| DbError::Poisoned)
    }

    /// How many document rows the document queries have read so far.
    pub fn rows_read(&self) -> u64 {
        self.rows_read.load(Ordering::Relaxed)
    }

    fn counted(&self, row: &rusqlite::Row<'_>) -> rusqlite::Result<Document> {
        self.rows_read.fetch_add(1, Ordering::Relaxed);
        document_from_row(row)
    }

    /// The user with `id`.
    ///
    /// # Errors
    /// When the database fails.
    pub fn user(&self, id: i64) -> Result<Option<User>, DbError> {
        Ok(self
            .lock()?
            .query_row(
                "SELECT id, name, admin FROM users WHERE id = ?",
                [id],
                |row| {
                    Ok(User {
                        id: row.get(0)?,
                        name: row.get(1)?,
                        admin: row.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// The user named `name`.
    ///
    /// # Errors
    /// When the database fails.
    pub fn user_named(&self, name: &str) -> Result<Option<User>, DbError> {
        Ok(self
            .lock()?
            .query_row(
                "SELECT id, name, admin FROM users WHERE name = ?",
                [name],
                |row| {
                    Ok(User {
                        id: row.get(0)?,
                        name: row.get(1)?,
                        admin: row.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// A new user; `None` when the name is taken.
    ///
    /// # Errors
    /// When the database fails.
    pub fn create_user(&self, name: &str, admin: bool) -> Result<Option<User>, DbError> {
        let id = new_id()?;
        let inserted = self.lock()?.execute(
            "INSERT INTO users (id, name, admin) VALUES (?, ?, ?) ON CONFLICT(name) DO NOTHING",
            params![id, name, admin],
        )?;
        Ok((inserted == 1).then(|| User {
            id,
            name: name.to_owned(),
            admin,
        }))
    }

    /// A new team.
    ///
    /// # Errors
    /// When the database fails.
    pub fn create_team(&self, name: &str) -> Result<Team, DbError> {
        let id = new_id()?;
        self.lock()?.execute(
            "INSERT INTO teams (id, name) VALUES (?, ?)",
            params![id, name],
        )?;
        Ok(Team {
            id,
            name: name.to_owned(),
        })
    }

    /// The team with `id`.
    ///
    /// # Errors
    /// When the database fails.
    pub fn team(&self, id: i64) -> Result<Option<Team>, DbError> {
        Ok(self
            .lock()?
            .query_row("SELECT id, name FROM teams WHERE id = ?", [id], |row| {
                Ok(Team {
                    id: row.get(0)?,
                    name: row.get(1)?,
                })
            })
            .optional()?)
    }

    /// A new folder, owned by `owner_id`, in `parent_id` (checked by the
    /// caller). Its relationships are written next ([`Db::stamp`]).
    ///
    /// # Errors
    /// When the database fails.
    pub fn create_folder(
        &self,
        name: &str,
        parent_id: Option<i64>,
        owner_id: i64,
    ) -> Result<Folder, DbError> {
        let id = new_id()?;
        self.lock()?.execute(
            "INSERT INTO folders (id, name, parent_id, owner_id) VALUES (?, ?, ?, ?)",
            params![id, name, parent_id, owner_id],
        )?;
        Ok(Folder {
            id,
            name: name.to_owned(),
            parent_id,
            owner_id,
            zedtoken: None,
        })
    }

    /// The folder with `id`, unchecked (it goes straight into a resource gate),
    /// with the token its checks must be as fresh as.
    ///
    /// # Errors
    /// When the database fails.
    pub fn folder(&self, id: i64) -> Result<Option<Folder>, DbError> {
        let sql = format!(
            "SELECT t.id, t.name, t.parent_id, t.owner_id, {FRESHNESS} FROM folders t WHERE t.id = ?"
        );
        Ok(self
            .lock()?
            .query_row(&sql, [id], folder_from_row)
            .optional()?)
    }

    /// A new document, owned by `owner_id`, in `folder_id` (checked by the
    /// caller). Its relationships are written next ([`Db::stamp`]).
    ///
    /// # Errors
    /// When the database fails.
    pub fn create_document(
        &self,
        title: &str,
        body: &str,
        folder_id: Option<i64>,
        owner_id: i64,
    ) -> Result<Document, DbError> {
        let id = new_id()?;
        self.lock()?.execute(
            "INSERT INTO documents (id, title, body, folder_id, owner_id) VALUES (?, ?, ?, ?, ?)",
            params![id, title, body, folder_id, owner_id],
        )?;
        Ok(Document {
            id,
            title: title.to_owned(),
            body: body.to_owned(),
            folder_id,
            owner_id,
            zedtoken: None,
        })
    }

    /// Removes a document whose relationships could not be written.
    ///
    /// # Errors
    /// When the database fails.
    pub fn forget_document(&self, id: i64) -> Result<(), DbError> {
        self.lock()?
            .execute("DELETE FROM documents WHERE id = ?", [id])?;
        Ok(())
    }

    /// Removes a folder whose relationships could not be written.
    ///
    /// # Errors
    /// When the database fails.
    pub fn forget_folder(&self, id: i64) -> Result<(), DbError> {
        self.lock()?
            .execute("DELETE FROM folders WHERE id = ?", [id])?;
        Ok(())
    }

    /// The document with `id`, unchecked (it goes straight into a resource
    /// gate), with the token its checks must be as fresh as.
    ///
    /// # Errors
    /// When the database fails.
    pub fn document(&self, id: i64) -> Result<Option<Document>, DbError> {
        let sql = format!(
            "SELECT t.id, t.title, t.body, t.folder_id, t.owner_id, {FRESHNESS}
             FROM documents t WHERE t.id = ?"
        );
        Ok(self
            .lock()?
            .query_row(&sql, [id], |row| self.counted(row))
            .optional()?)
    }

    /// The documents of one page of the caller's list: only the rows the list
    /// permit's filter selects (the ids SpiceDB looked up), each admitted
    /// against the filter again.
    ///
    /// # Errors
    /// When the database fails, or a row the filter does not select came back.
    pub fn documents<'p>(
        &self,
        list: &ListPermit<'p, View, Document>,
    ) -> Result<Vec<Permit<'p, View, Document>>, crate::documents::DocError> {
        let filter = list.filter();
        if filter.is_none() {
            return Ok(Vec::new());
        }
        let (clause, filter_params) = filter.to_sql(SqlDialect::Sqlite).into_parts();
        let sql = format!(
            "SELECT t.id, t.title, t.body, t.folder_id, t.owner_id, {FRESHNESS}
             FROM documents t WHERE {clause} ORDER BY t.id"
        );
        let bound = filter_params
            .into_iter()
            .map(sql_value)
            .collect::<Result<Vec<_>, _>>()?;
        let rows: Vec<Document> = {
            let conn = self.lock()?;
            let mut statement = conn.prepare(&sql).map_err(DbError::from)?;
            statement
                .query_map(params_from_iter(bound), |row| self.counted(row))
                .map_err(DbError::from)?
                .collect::<Result<_, _>>()
                .map_err(DbError::from)?
        };
        Ok(list.admit_all(rows)?)
    }

    /// Every document's id, folder and owner: the administrators' audit listing
    /// (no title, no body).
    ///
    /// # Errors
    /// When the database fails.
    pub fn all_documents(&self) -> Result<Vec<AuditLine>, DbError> {
        let conn = self.lock()?;
        let mut statement =
            conn.prepare("SELECT id, folder_id, owner_id FROM documents ORDER BY id")?;
        let rows = statement
            .query_map([], |row| {
                Ok(AuditLine {
                    id: row.get(0)?,
                    folder_id: row.get(1)?,
                    owner_id: row.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Changes the title and body of the document the permit is for.
    ///
    /// # Errors
    /// When the database fails.
    pub fn update_document(
        &self,
        doc: &Permit<'_, Edit, Document>,
        title: &str,
        body: &str,
    ) -> Result<(), DbError> {
        self.lock()?.execute(
            "UPDATE documents SET title = ?, body = ? WHERE id = ?",
            params![title, body, doc.id],
        )?;
        Ok(())
    }

    /// Deletes the document the permit is for (its relationships are deleted
    /// first, by the caller).
    ///
    /// # Errors
    /// When the database fails.
    pub fn delete_document(
        &self,
        doc: &Permit<'_, super::domain::Manage, Document>,
    ) -> Result<(), DbError> {
        self.lock()?
            .execute("DELETE FROM documents WHERE id = ?", [doc.id])?;
        Ok(())
    }

    /// Moves the document the permit is for into `folder_id`.
    ///
    /// # Errors
    /// When the database fails.
    pub fn move_document(
        &self,
        doc: &Permit<'_, super::domain::Manage, Document>,
        folder_id: i64,
    ) -> Result<(), DbError> {
        self.lock()?.execute(
            "UPDATE documents SET folder_id = ? WHERE id = ?",
            params![folder_id, doc.id],
        )?;
        Ok(())
    }

    /// Stores the ZedToken of a relationship write with the row it was about,
    /// and as the latest write (and the latest removal, when it took access
    /// away). The caller holds the write lock, so `seq` orders the writes as
    /// SpiceDB did.
    ///
    /// # Errors
    /// When the database fails.
    pub fn stamp(&self, row: Row, token: &ZedToken, removal: bool) -> Result<(), DbError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction()?;
        let seq: i64 = tx.query_row(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM zed_watermarks",
            [],
            |row| row.get(0),
        )?;
        let token = token.as_str();
        match row {
            Row::Document(id) => tx.execute(
                "UPDATE documents SET zedtoken = ?, zed_seq = ? WHERE id = ?",
                params![token, seq, id],
            )?,
            Row::Folder(id) => tx.execute(
                "UPDATE folders SET zedtoken = ?, zed_seq = ? WHERE id = ?",
                params![token, seq, id],
            )?,
            Row::Team(id) => tx.execute(
                "UPDATE teams SET zedtoken = ? WHERE id = ?",
                params![token, id],
            )?,
        };
        let mut names = vec!["latest"];
        if removal {
            names.push("removal");
        }
        for name in names {
            tx.execute(
                "INSERT INTO zed_watermarks (name, seq, token) VALUES (?, ?, ?)
                 ON CONFLICT(name) DO UPDATE SET seq = excluded.seq, token = excluded.token",
                params![name, seq, token],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The ZedToken of the latest relationship write, if any: what a list asks
    /// to be at least as fresh as.
    ///
    /// # Errors
    /// When the database fails.
    pub fn latest_token(&self) -> Result<Option<ZedToken>, DbError> {
        Ok(self
            .lock()?
            .query_row(
                "SELECT token FROM zed_watermarks WHERE name = 'latest'",
                [],
                |row| row.get::<_, String>(0),
            )
            .optional()?
            .map(ZedToken::new))
    }

    /// The ZedToken stored with a document (its last relationship write).
    ///
    /// # Errors
    /// When the database fails.
    pub fn stored_token(&self, id: i64) -> Result<Option<ZedToken>, DbError> {
        Ok(self
            .lock()?
            .query_row("SELECT zedtoken FROM documents WHERE id = ?", [id], |row| {
                row.get::<_, Option<String>>(0)
            })
            .optional()?
            .flatten()
            .map(ZedToken::new))
    }
}
