//! `documents-api`: the second reference service, on axum. Relationships in
//! SpiceDB decide; rows live in `SQLite`.
//!
//! Users, teams (membership), folders (nested), documents (in a folder), and
//! sharing: a document or a folder shared with a user or a team, as viewer or
//! editor. Permissions are inherited (`examples/spicedb/documents.zed`): a
//! folder's viewers and editors see (edit) its documents and subfolders; a
//! team's members get what the team gets; the owner may do everything,
//! including share and delete. Administrators (a role gate: BFLA) create users
//! and teams and read the audit listing, and see no document for being one.
//!
//! | route | gate | refused |
//! |---|---|---|
//! | `GET /health` | public | |
//! | `POST /admin/users`, `POST /admin/teams`, `PUT`/`DELETE /admin/teams/{team}/members/{user}`, `GET /admin/documents` | `role("admin")` | 403 |
//! | `POST /folders`, `POST /documents` | authenticated (and `Edit` on the folder named in the body) | 404 / 403 |
//! | `GET /folders/{id}`, `GET /documents/{id}` | `View` | 404 |
//! | `PUT /documents/{id}` | `Edit` | 403 for a viewer, else 404 |
//! | `DELETE /documents/{id}`, `POST /documents/{id}/shares`, `/unshare`, `/move`, `POST /folders/{id}/shares`, `/unshare` | `Manage` | 403 for a viewer or editor, else 404 |
//! | `GET /documents` | authenticated; SpiceDB's `LookupResources` | 400 for an empty or overlong cursor, 403 for a cursor SpiceDB refuses |
//!
//! Every SpiceDB outage is a 503 with `Retry-After`, never an allow.
//!
//! **Consistency.** Every relationship write (create, share, unshare, move,
//! team membership) returns a ZedToken, stored with the row it is about. A
//! check of that row asks SpiceDB to be at least as fresh as it (the new-enemy
//! problem: an unshare is seen by the very next request), or as the latest
//! write that reached beyond one row (a folder's share, a team's membership),
//! whichever came later. Writes are serialized by the service, so it knows the
//! order. Reads without a token (a row never written, a list before any write)
//! use the client's default: `fully_consistent`, unless
//! `DOCUMENTS_API_READ_CONSISTENCY=minimize_latency`. The list asks to be at
//! least as fresh as the latest write.
//!
//! Authentication: API keys (`X-API-Key`), made by an administrator with the
//! user (`POST /admin/users` answers the key once). At start the service makes
//! the administrator `DOCUMENTS_API_ADMIN` (default `admin`) if missing, and a
//! fresh key for it, printed once. Keys are kept in memory: a restart makes
//! new ones (a real deployment keeps them in Redis, `RedisApiKeyStore`).

pub mod db;
pub mod domain;
pub mod policy;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use auth_core::api_key::{ApiKeyAuthenticator, ApiKeys, MemoryApiKeyStore};
use auth_core::axum::{SecureRouter, get, post, put};
use auth_core::engine::Page;
use auth_core::spicedb::{
    Consistency, ObjectRef, Relationship, RelationshipFilter, RelationshipUpdate, SpiceDb,
    SpiceDbError, SubjectRef, ZedToken,
};
use auth_core::{AuthError, Authenticated, LoadUser, Loaded, Scopes, SharedAuthenticator};
use auth_core::{public, requires};
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::validate::Validate;
use db::{Db, DbError, Row};
use domain::{Document, Edit, Folder, Manage, Team, User, View};

/// The SpiceDB schema the service writes at start.
pub const SCHEMA: &str = include_str!("../../spicedb/documents.zed");

/// The realm of the service's `WWW-Authenticate` challenges.
pub const REALM: &str = "documents-api";

/// Reads without a ZedToken: what SpiceDB is asked when a row has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadConsistency {
    /// `fully_consistent`: the newest revision (the default).
    #[default]
    Full,
    /// `minimize_latency`: SpiceDB's cached revision, possibly seconds old.
    MinimizeLatency,
}

/// How `documents-api` is configured. Its `Debug` leaves the preshared key out.
#[derive(Clone)]
pub struct Config {
    /// Where it listens (`DOCUMENTS_API_ADDR`, default `127.0.0.1:8081`).
    pub addr: SocketAddr,
    /// The `SQLite` file (`DOCUMENTS_API_DATABASE`, default `:memory:`).
    pub database: String,
    /// SpiceDB's gRPC endpoint (`DOCUMENTS_API_SPICEDB_ENDPOINT`), e.g.
    /// `https://spicedb.internal:50051`; `http://` only to a loopback host.
    pub spicedb_endpoint: String,
    /// SpiceDB's preshared key (`DOCUMENTS_API_SPICEDB_KEY`).
    pub spicedb_key: String,
    /// The bound on each SpiceDB call (`DOCUMENTS_API_SPICEDB_TIMEOUT_MS`,
    /// default 1000).
    pub spicedb_timeout: Duration,
    /// Reads without a ZedToken (`DOCUMENTS_API_READ_CONSISTENCY`:
    /// `fully_consistent`, the default, or `minimize_latency`).
    pub read_consistency: ReadConsistency,
    /// The administrator made at start (`DOCUMENTS_API_ADMIN`, default `admin`).
    pub admin: String,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("database", &self.database)
            .field("spicedb_endpoint", &self.spicedb_endpoint)
            .field("spicedb_key", &"<redacted>")
            .field("spicedb_timeout", &self.spicedb_timeout)
            .field("read_consistency", &self.read_consistency)
            .field("admin", &self.admin)
            .finish()
    }
}

/// A configuration value that is wrong; the message names the variable.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

impl Config {
    /// Defaults for a SpiceDB at `endpoint` with `key`.
    pub fn new(endpoint: impl Into<String>, key: impl Into<String>) -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8081)),
            database: ":memory:".to_owned(),
            spicedb_endpoint: endpoint.into(),
            spicedb_key: key.into(),
            spicedb_timeout: Duration::from_secs(1),
            read_consistency: ReadConsistency::Full,
            admin: "admin".to_owned(),
        }
    }

    /// The configuration from `lookup` (the environment: `std::env::var`), on
    /// top of the defaults; `endpoint` and `key` when given (command-line flags)
    /// win over the variables.
    ///
    /// # Errors
    /// A value that does not parse, or no SpiceDB endpoint or key at all.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        endpoint: Option<String>,
        key: Option<String>,
    ) -> Result<Self, ConfigError> {
        let endpoint = endpoint
            .or_else(|| lookup("DOCUMENTS_API_SPICEDB_ENDPOINT"))
            .ok_or_else(|| {
                ConfigError(
                    "set DOCUMENTS_API_SPICEDB_ENDPOINT (or --spicedb-endpoint, or --dev-spicedb)"
                        .to_owned(),
                )
            })?;
        let key = key
            .or_else(|| lookup("DOCUMENTS_API_SPICEDB_KEY"))
            .filter(|key| !key.is_empty())
            .ok_or_else(|| {
                ConfigError(
                    "set DOCUMENTS_API_SPICEDB_KEY (or --spicedb-key) to SpiceDB's preshared key"
                        .to_owned(),
                )
            })?;
        let mut config = Config::new(endpoint, key);
        if let Some(addr) = lookup("DOCUMENTS_API_ADDR") {
            config.addr = addr.parse().map_err(|_| {
                ConfigError("DOCUMENTS_API_ADDR: write host:port, e.g. 127.0.0.1:8081".to_owned())
            })?;
        }
        if let Some(database) = lookup("DOCUMENTS_API_DATABASE") {
            config.database = database;
        }
        if let Some(ms) = lookup("DOCUMENTS_API_SPICEDB_TIMEOUT_MS") {
            let ms: u64 = ms
                .parse()
                .ok()
                .filter(|ms| (1..=60_000).contains(ms))
                .ok_or_else(|| {
                    ConfigError(
                        "DOCUMENTS_API_SPICEDB_TIMEOUT_MS: write milliseconds, 1 to 60000"
                            .to_owned(),
                    )
                })?;
            config.spicedb_timeout = Duration::from_millis(ms);
        }
        if let Some(value) = lookup("DOCUMENTS_API_READ_CONSISTENCY") {
            config.read_consistency = match value.as_str() {
                "fully_consistent" => ReadConsistency::Full,
                "minimize_latency" => ReadConsistency::MinimizeLatency,
                _ => {
                    return Err(ConfigError(
                        "DOCUMENTS_API_READ_CONSISTENCY: write fully_consistent or minimize_latency"
                            .to_owned(),
                    ));
                }
            };
        }
        if let Some(admin) = lookup("DOCUMENTS_API_ADMIN") {
            config.admin = admin;
        }
        Ok(config)
    }
}

/// Why the service did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The database could not be opened.
    #[error("the database (DOCUMENTS_API_DATABASE): {0}")]
    Db(#[from] DbError),
    /// SpiceDB's client could not be built, or the schema not written.
    #[error("SpiceDB (DOCUMENTS_API_SPICEDB_ENDPOINT): {0}")]
    SpiceDb(#[from] SpiceDbError),
    /// The administrator's key could not be made.
    #[error("the administrator's API key: {0}")]
    ApiKey(#[from] auth_core::api_key::ApiKeyError),
}

/// The service: the database, SpiceDB's client, the API keys.
pub struct Documents {
    /// The rows.
    pub db: Db,
    /// SpiceDB.
    pub spicedb: SpiceDb,
    /// Relationship writes, one at a time, so the order of their tokens is known.
    writes: tokio::sync::Mutex<()>,
    keys: ApiKeys<Arc<MemoryApiKeyStore>>,
    authenticator: SharedAuthenticator<User>,
}

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Documents")
            .field("spicedb", &self.spicedb)
            .finish_non_exhaustive()
    }
}

/// The router state, and the policies' state: the service.
#[derive(Debug, Clone)]
pub struct App(pub Arc<Documents>);

impl FromRef<App> for SharedAuthenticator<User> {
    fn from_ref(app: &App) -> Self {
        app.0.authenticator.clone()
    }
}

/// The API keys' owners: users by id.
struct Users(Db);

impl LoadUser for Users {
    type User = User;

    async fn load(&self, subject: &str) -> Result<Option<User>, AuthError> {
        let Ok(id) = subject.parse::<i64>() else {
            return Ok(None);
        };
        self.0
            .user(id)
            .map_err(|error| AuthError::unavailable("documents database", error))
    }
}

/// A started service, and the administrator's API key (to show once).
pub struct Started {
    /// The service.
    pub app: App,
    /// The administrator.
    pub admin: User,
    /// The administrator's new API key.
    pub admin_key: String,
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Started")
            .field("admin", &self.admin)
            .finish_non_exhaustive()
    }
}

impl Documents {
    /// Opens the database, connects SpiceDB's client and writes the schema,
    /// makes the administrator if missing and a new key for it.
    ///
    /// # Errors
    /// A [`StartError`] naming what failed.
    pub async fn start(config: &Config) -> Result<Started, StartError> {
        let db = Db::open(&config.database)?;
        let default = match config.read_consistency {
            ReadConsistency::Full => Consistency::fully_consistent(),
            ReadConsistency::MinimizeLatency => Consistency::minimize_latency(),
        };
        let spicedb = SpiceDb::builder(&config.spicedb_endpoint, &config.spicedb_key)
            .timeout(config.spicedb_timeout)
            .default_consistency(default)
            .build()?;
        spicedb.write_schema(SCHEMA).await?;
        let admin = match db.user_named(&config.admin)? {
            Some(admin) => admin,
            None => db
                .create_user(&config.admin, true)?
                .ok_or(DbError::Sqlite(rusqlite::Error::QueryReturnedNoRows))?,
        };
        let store = Arc::new(MemoryApiKeyStore::new());
        let keys = ApiKeys::new(Arc::clone(&store));
        let authenticator = SharedAuthenticator::new(
            ApiKeyAuthenticator::new(store, Users(db.clone())).with_touch_interval(Duration::ZERO),
        )
        .with_realm(REALM);
        let documents = Documents {
            db,
            spicedb,
            writes: tokio::sync::Mutex::new(()),
            keys,
            authenticator,
        };
        let admin_key = documents.new_key(&admin).await?;
        Ok(Started {
            app: App(Arc::new(documents)),
            admin,
            admin_key,
        })
    }

    async fn new_key(&self, user: &User) -> Result<String, auth_core::api_key::ApiKeyError> {
        let none: [&str; 0] = [];
        let (key, _) = self
            .keys
            .create(
                &user.id.to_string(),
                &Scopes::from_space_separated(""),
                "documents-api",
                none,
                None,
            )
            .await?;
        Ok(key.into_exposed())
    }

    /// Writes relationships and stores the write's ZedToken with `row`; `wide`
    /// when the write changes access beyond that row (a folder's sharing, a
    /// team's membership), so every row's next check is at least as fresh.
    async fn write(
        &self,
        row: Row,
        updates: Vec<RelationshipUpdate>,
        wide: bool,
    ) -> Result<ZedToken, DocError> {
        let _one_at_a_time = self.writes.lock().await;
        let token = self.spicedb.write_relationships(updates).await?;
        self.db.stamp(row, &token, wide)?;
        Ok(token)
    }
}

/// Everything a handler answers besides success.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocError {
    /// Authentication or authorization, through auth-core's mapping.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// SpiceDB could not answer a write: 503.
    #[error("spicedb: {0}")]
    SpiceDb(#[from] SpiceDbError),
    /// The database failed: 500.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The request asks for something invalid: 400.
    #[error("{0}")]
    BadRequest(&'static str),
    /// The request conflicts with the state: 409.
    #[error("{0}")]
    Conflict(&'static str),
}

impl IntoResponse for DocError {
    fn into_response(self) -> Response {
        let (status, code, description, challenge, retry_after) = match self {
            DocError::Auth(error) => wire(&error),
            DocError::SpiceDb(error) => {
                tracing::warn!(%error, "a relationship write failed");
                wire(&AuthError::unavailable("spicedb", error))
            }
            DocError::Db(error) => {
                tracing::error!(%error, "request failed");
                (
                    500,
                    "server_error",
                    "the request could not be completed",
                    None,
                    None,
                )
            }
            DocError::BadRequest(reason) => (400, "invalid_request", reason, None, None),
            DocError::Conflict(reason) => (409, "conflict", reason, None, None),
        };
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            ApiError::body(code, description),
        )
            .into_response();
        if let Some(challenge) = challenge.and_then(|c| c.parse().ok()) {
            response
                .headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, challenge);
        }
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

type Wire = (u16, &'static str, &'static str, Option<String>, Option<u64>);

fn wire(error: &AuthError) -> Wire {
    let wire = error.response(REALM);
    let status = wire.status.as_u16();
    let retry_after = wire.retry_after.or((status == 503).then_some(1));
    (
        status,
        wire.error,
        wire.error_description,
        wire.www_authenticate,
        retry_after,
    )
}

const MAX_NAME: usize = 200;
const MAX_BODY: usize = 100_000;
const MAX_CURSOR: usize = 4096;

/// Refuses a name or title that is empty, longer than 200 characters, or has
/// a control character.
fn name(text: &str, what: &'static str) -> Result<(), ApiError> {
    if text.trim().is_empty()
        || text.chars().take(MAX_NAME + 1).count() > MAX_NAME
        || text.chars().any(char::is_control)
    {
        return Err(ApiError::BadRequest(what));
    }
    Ok(())
}

impl Validate for NewUser {
    fn validate(&self) -> Result<(), ApiError> {
        name(
            &self.name,
            "a user's name is 1 to 200 characters, no control characters",
        )
    }
}

impl Validate for NewTeam {
    fn validate(&self) -> Result<(), ApiError> {
        name(
            &self.name,
            "a team's name is 1 to 200 characters, no control characters",
        )
    }
}

impl Validate for NewFolder {
    fn validate(&self) -> Result<(), ApiError> {
        name(
            &self.name,
            "a folder's name is 1 to 200 characters, no control characters",
        )
    }
}

fn document_text(title: &str, body: &str) -> Result<(), ApiError> {
    name(
        title,
        "a title is 1 to 200 characters, no control characters",
    )?;
    if body.len() > MAX_BODY {
        return Err(ApiError::BadRequest("a body is at most 100000 bytes"));
    }
    Ok(())
}

impl Validate for NewDocument {
    fn validate(&self) -> Result<(), ApiError> {
        document_text(&self.title, &self.body)
    }
}

impl Validate for DocumentChange {
    fn validate(&self) -> Result<(), ApiError> {
        document_text(&self.title, &self.body)
    }
}

impl Validate for Share {
    fn validate(&self) -> Result<(), ApiError> {
        Ok(())
    }
}

impl Validate for Unshare {
    fn validate(&self) -> Result<(), ApiError> {
        Ok(())
    }
}

impl Validate for Move {
    fn validate(&self) -> Result<(), ApiError> {
        Ok(())
    }
}

fn object(kind: &'static str, id: i64) -> Result<ObjectRef, DocError> {
    Ok(ObjectRef::new(kind, id.to_string())?)
}

fn relationship(
    resource: ObjectRef,
    relation: &'static str,
    subject: impl Into<SubjectRef>,
) -> Result<Relationship, DocError> {
    Ok(Relationship::new(resource, relation, subject)?)
}

#[public]
async fn health() -> &'static str {
    "ok"
}

/// A new user, by an administrator.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    name: String,
    #[serde(default)]
    admin: bool,
}

/// A new user and their API key, shown once.
#[derive(Debug, Serialize)]
struct NewUserResponse {
    #[serde(flatten)]
    user: User,
    api_key: String,
}

#[requires(role("admin"))]
async fn create_user(
    _admin: Authenticated<User>,
    State(app): State<App>,
    Json(new): Json<NewUser>,
) -> Result<(StatusCode, axum::Json<NewUserResponse>), DocError> {
    let user = app
        .0
        .db
        .create_user(&new.name, new.admin)?
        .ok_or(DocError::Conflict("a user with this name exists"))?;
    let api_key = app.0.new_key(&user).await.map_err(|error| {
        tracing::error!(%error, "an API key could not be made");
        DocError::Auth(AuthError::misconfigured("an API key could not be made"))
    })?;
    Ok((
        StatusCode::CREATED,
        axum::Json(NewUserResponse { user, api_key }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTeam {
    name: String,
}

#[requires(role("admin"))]
async fn create_team(
    _admin: Authenticated<User>,
    State(app): State<App>,
    Json(new): Json<NewTeam>,
) -> Result<(StatusCode, axum::Json<Team>), DocError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(app.0.db.create_team(&new.name)?),
    ))
}

/// The team and the user of a membership route, both existing.
fn membership(app: &App, team: i64, user: i64) -> Result<Relationship, DocError> {
    app.0
        .db
        .team(team)?
        .ok_or(DocError::BadRequest("no such team"))?;
    app.0
        .db
        .user(user)?
        .ok_or(DocError::BadRequest("no such user"))?;
    relationship(object("team", team)?, "member", object("user", user)?)
}

#[requires(role("admin"))]
async fn add_member(
    _admin: Authenticated<User>,
    State(app): State<App>,
    Path((team, user)): Path<(i64, i64)>,
) -> Result<StatusCode, DocError> {
    let member = membership(&app, team, user)?;
    app.0
        .write(
            Row::Team(team),
            vec![RelationshipUpdate::touch(member)],
            true,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[requires(role("admin"))]
async fn remove_member(
    _admin: Authenticated<User>,
    State(app): State<App>,
    Path((team, user)): Path<(i64, i64)>,
) -> Result<StatusCode, DocError> {
    let member = membership(&app, team, user)?;
    app.0
        .write(
            Row::Team(team),
            vec![RelationshipUpdate::delete(member)],
            true,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every document's id, folder and owner: administrators only. Not a way to
/// read documents: no title, no body, and no access to any document.
#[requires(role("admin"))]
async fn audit_documents(
    _admin: Authenticated<User>,
    State(app): State<App>,
) -> Result<axum::Json<Vec<db::AuditLine>>, DocError> {
    Ok(axum::Json(app.0.db.all_documents()?))
}

/// The folder named in a body, if the caller may add to it: `Edit`, asked in
/// the body (404 when they cannot see it or it does not exist, 403 when they
/// may only view it).
async fn editable_folder(
    user: &Authenticated<User>,
    app: &App,
    id: Option<i64>,
) -> Result<Option<i64>, DocError> {
    let Some(id) = id else { return Ok(None) };
    let folder = app
        .0
        .db
        .folder(id)?
        .ok_or(DocError::Auth(AuthError::not_found("no such folder")))?;
    let permit = user.authorize_async::<Edit, Folder>(folder, app).await?;
    Ok(Some(permit.id))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewFolder {
    name: String,
    parent_id: Option<i64>,
}

#[requires(authenticated)]
async fn create_folder(
    user: Authenticated<User>,
    State(app): State<App>,
    Json(new): Json<NewFolder>,
) -> Result<(StatusCode, axum::Json<Folder>), DocError> {
    let parent = editable_folder(&user, &app, new.parent_id).await?;
    let folder = app.0.db.create_folder(&new.name, parent, user.id)?;
    let me = object("folder", folder.id)?;
    let mut updates = vec![RelationshipUpdate::create(relationship(
        me.clone(),
        "owner",
        object("user", user.id)?,
    )?)];
    if let Some(parent) = parent {
        updates.push(RelationshipUpdate::create(relationship(
            me,
            "parent",
            object("folder", parent)?,
        )?));
    }
    // The folder's subtree is new: nothing beyond the row changes.
    if let Err(error) = app.0.write(Row::Folder(folder.id), updates, false).await {
        app.0.db.forget_folder(folder.id)?;
        return Err(error);
    }
    Ok((StatusCode::CREATED, axum::Json(folder)))
}

#[requires(View(folder), state = app)]
async fn get_folder(
    _user: Authenticated<User>,
    State(app): State<App>,
    folder: Loaded<Folder>,
) -> axum::Json<Folder> {
    axum::Json(folder.into_resource())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDocument {
    title: String,
    body: String,
    folder_id: Option<i64>,
}

#[requires(authenticated)]
async fn create_document(
    user: Authenticated<User>,
    State(app): State<App>,
    Json(new): Json<NewDocument>,
) -> Result<(StatusCode, axum::Json<Document>), DocError> {
    if new.body.len() > MAX_BODY {
        return Err(DocError::BadRequest("a body is at most 100000 bytes"));
    }
    let folder = editable_folder(&user, &app, new.folder_id).await?;
    let doc = app
        .0
        .db
        .create_document(&new.title, &new.body, folder, user.id)?;
    let me = object("document", doc.id)?;
    let mut updates = vec![RelationshipUpdate::create(relationship(
        me.clone(),
        "owner",
        object("user", user.id)?,
    )?)];
    if let Some(folder) = folder {
        updates.push(RelationshipUpdate::create(relationship(
            me,
            "folder",
            object("folder", folder)?,
        )?));
    }
    if let Err(error) = app.0.write(Row::Document(doc.id), updates, false).await {
        app.0.db.forget_document(doc.id)?;
        return Err(error);
    }
    Ok((StatusCode::CREATED, axum::Json(doc)))
}

/// `GET /documents?cursor=..&limit=..`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    cursor: Option<String>,
    limit: Option<u32>,
}

/// One page of the documents the caller can see, and the cursor of the next.
#[derive(Debug, Serialize)]
struct DocumentPage {
    items: Vec<Document>,
    next: Option<String>,
}

/// "Documents I can see": SpiceDB's `LookupResources` names the ids of one
/// page, and `SQLite` is asked for those rows only (`WHERE id IN (..)`); each
/// row is admitted against the page's filter again.
#[requires(authenticated)]
async fn list_documents(
    user: Authenticated<User>,
    State(app): State<App>,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<DocumentPage>, DocError> {
    if query
        .cursor
        .as_ref()
        .is_some_and(|c| c.is_empty() || c.len() > MAX_CURSOR)
    {
        return Err(DocError::BadRequest(
            "the cursor is 1 to 4096 characters: the `next` of the previous page",
        ));
    }
    let page = Page::from_cursor(query.cursor.as_deref(), query.limit.unwrap_or(50));
    let list = user.authorize_page::<View, Document>(&app, page).await?;
    let items = app
        .0
        .db
        .documents(&list)?
        .into_iter()
        .map(auth_core::Permit::into_resource)
        .collect();
    Ok(axum::Json(DocumentPage {
        items,
        next: list.next_cursor().map(str::to_owned),
    }))
}

#[requires(View(doc), state = app)]
async fn get_document(
    _user: Authenticated<User>,
    State(app): State<App>,
    doc: Loaded<Document>,
) -> axum::Json<Document> {
    axum::Json(doc.into_resource())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentChange {
    title: String,
    body: String,
}

#[requires(Edit(doc), state = app)]
async fn update_document(
    _user: Authenticated<User>,
    State(app): State<App>,
    doc: Loaded<Document>,
    Json(change): Json<DocumentChange>,
) -> Result<StatusCode, DocError> {
    app.0
        .db
        .update_document(&doc, &change.title, &change.body)?;
    Ok(StatusCode::NO_CONTENT)
}

#[requires(Manage(doc), state = app)]
async fn delete_document(
    _user: Authenticated<User>,
    State(app): State<App>,
    doc: Loaded<Document>,
) -> Result<StatusCode, DocError> {
    {
        let _one_at_a_time = app.0.writes.lock().await;
        let filter = RelationshipFilter::on(&object("document", doc.id)?);
        let token = app.0.spicedb.delete_relationships(&filter).await?;
        app.0.db.stamp(Row::Document(doc.id), &token, false)?;
    }
    app.0.db.delete_document(&doc)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who a share is with.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Grantee {
    User,
    Team,
}

/// The relation a share gives.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Role {
    Viewer,
    Editor,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Share {
    with: Grantee,
    id: i64,
    role: Role,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Unshare {
    with: Grantee,
    id: i64,
}

/// The ZedToken of a write: a client may keep it, the service already did.
#[derive(Debug, Serialize)]
struct Written {
    zedtoken: String,
}

fn grantee(app: &App, with: Grantee, id: i64) -> Result<SubjectRef, DocError> {
    match with {
        Grantee::User => {
            app.0
                .db
                .user(id)?
                .ok_or(DocError::BadRequest("no such user"))?;
            Ok(object("user", id)?.into())
        }
        Grantee::Team => {
            app.0
                .db
                .team(id)?
                .ok_or(DocError::BadRequest("no such team"))?;
            Ok(SubjectRef::members(object("team", id)?, "member")?)
        }
    }
}

/// Gives `role` to the grantee on `resource`, and takes the other role away.
fn share_updates(
    resource: &ObjectRef,
    subject: &SubjectRef,
    role: Role,
) -> Result<Vec<RelationshipUpdate>, DocError> {
    let (give, take) = match role {
        Role::Viewer => ("viewer", "editor"),
        Role::Editor => ("editor", "viewer"),
    };
    Ok(vec![
        RelationshipUpdate::touch(relationship(resource.clone(), give, subject.clone())?),
        RelationshipUpdate::delete(relationship(resource.clone(), take, subject.clone())?),
    ])
}

/// Writes `updates` (`wide`: they reach other rows than `row`), and answers
/// with the write's ZedToken.
async fn written(
    app: &App,
    row: Row,
    updates: Vec<RelationshipUpdate>,
    wide: bool,
) -> Result<axum::Json<Written>, DocError> {
    let token = app.0.write(row, updates, wide).await?;
    Ok(axum::Json(Written {
        zedtoken: token.as_str().to_owned(),
    }))
}

fn unshare_updates(
    resource: &ObjectRef,
    subject: &SubjectRef,
) -> Result<Vec<RelationshipUpdate>, DocError> {
    Ok(vec![
        RelationshipUpdate::delete(relationship(resource.clone(), "viewer", subject.clone())?),
        RelationshipUpdate::delete(relationship(resource.clone(), "editor", subject.clone())?),
    ])
}

#[requires(Manage(doc), state = app)]
async fn share_document(
    _user: Authenticated<User>,
    State(app): State<App>,
    doc: Loaded<Document>,
    Json(share): Json<Share>,
) -> Result<axum::Json<Written>, DocError> {
    let subject = grantee(&app, share.with, share.id)?;
    let updates = share_updates(&object("document", doc.id)?, &subject, share.role)?;
    written(&app, Row::Document(doc.id), updates, false).await
}

#[requires(Manage(doc), state = app)]
async fn unshare_document(
    _user: Authenticated<User>,
    State(app): State<App>,
    doc: Loaded<Document>,
    Json(unshare): Json<Unshare>,
) -> Result<axum::Json<Written>, DocError> {
    let subject = grantee(&app, unshare.with, unshare.id)?;
    let updates = unshare_updates(&object("document", doc.id)?, &subject)?;
    written(&app, Row::Document(doc.id), updates, false).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Move {
    folder_id: i64,
}

/// Moves a document: `Manage` on it (who inherits it changes) and `Edit` on
/// the destination.
#[requires(Manage(doc), state = app)]
async fn move_document(
    user: Authenticated<User>,
    State(app): State<App>,
    doc: Loaded<Document>,
    Json(to): Json<Move>,
) -> Result<axum::Json<Written>, DocError> {
    let Some(folder) = editable_folder(&user, &app, Some(to.folder_id)).await? else {
        return Err(DocError::BadRequest("no folder"));
    };
    let me = object("document", doc.id)?;
    let mut updates = vec![RelationshipUpdate::touch(relationship(
        me.clone(),
        "folder",
        object("folder", folder)?,
    )?)];
    if let Some(old) = doc.folder_id.filter(|old| *old != folder) {
        updates.push(RelationshipUpdate::delete(relationship(
            me,
            "folder",
            object("folder", old)?,
        )?));
    }
    let answer = written(&app, Row::Document(doc.id), updates, false).await?;
    app.0.db.move_document(&doc, folder)?;
    Ok(answer)
}

#[requires(Manage(folder), state = app)]
async fn share_folder(
    _user: Authenticated<User>,
    State(app): State<App>,
    folder: Loaded<Folder>,
    Json(share): Json<Share>,
) -> Result<axum::Json<Written>, DocError> {
    let subject = grantee(&app, share.with, share.id)?;
    let updates = share_updates(&object("folder", folder.id)?, &subject, share.role)?;
    // Reaches every document and subfolder inside.
    written(&app, Row::Folder(folder.id), updates, true).await
}

#[requires(Manage(folder), state = app)]
async fn unshare_folder(
    _user: Authenticated<User>,
    State(app): State<App>,
    folder: Loaded<Folder>,
    Json(unshare): Json<Unshare>,
) -> Result<axum::Json<Written>, DocError> {
    let subject = grantee(&app, unshare.with, unshare.id)?;
    let updates = unshare_updates(&object("folder", folder.id)?, &subject)?;
    written(&app, Row::Folder(folder.id), updates, true).await
}

/// Any path no route serves.
#[public]
async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// A served path, with a method it does not serve.
#[public]
async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

fn secure_router() -> SecureRouter<App> {
    SecureRouter::new()
        .route("/health", get(health))
        .route("/admin/users", post(create_user))
        .route("/admin/teams", post(create_team))
        .route(
            "/admin/teams/{team}/members/{user}",
            put(add_member).delete(remove_member),
        )
        .route("/admin/documents", get(audit_documents))
        .route("/folders", post(create_folder))
        .route("/folders/{id}", get(get_folder))
        .route("/folders/{id}/shares", post(share_folder))
        .route("/folders/{id}/unshare", post(unshare_folder))
        .route("/documents", get(list_documents).post(create_document))
        .route(
            "/documents/{id}",
            get(get_document)
                .put(update_document)
                .delete(delete_document),
        )
        .route("/documents/{id}/shares", post(share_document))
        .route("/documents/{id}/unshare", post(unshare_document))
        .route("/documents/{id}/move", post(move_document))
}

/// Every (method, path) the service mounts, for its access matrix test.
pub fn routes() -> Vec<(http::Method, String)> {
    secure_router().routes().to_vec()
}

/// The whole service as an axum router.
pub fn router(app: App) -> axum::Router {
    secure_router()
        .with_state(app)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(256 * 1024))
        .layer(axum::middleware::from_fn(auth_core::axum::require_coverage))
}

/// Serves the router on `listener` until `shutdown` completes, within the
/// connection limits of [`crate::server`].
///
/// # Errors
/// When the listener fails.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    crate::server::serve(
        listener,
        router(app),
        crate::config::ConnectionLimits::default(),
        shutdown,
    )
    .await
}
