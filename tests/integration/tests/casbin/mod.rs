//! What the Casbin tests share: a multi-tenant document service whose policies
//! ask Casbin, served over loopback HTTP, and a small HTTP client.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_core::casbin::{Casbin, CasbinResource, CasbinSubject, Object};
use auth_core::engine::{ListPolicy, Listing, Page};
use auth_core::filter::Field;
use auth_core::{
    Action, AuthError, Authenticated, Authenticator, Decision, Identity, Load, LoadError, Loaded,
    Mechanism, Policy, Resource, SharedAuthenticator, TokenError, requires,
};
use axum::extract::{FromRef, State};

/// The model and the policy the tests start from.
pub const MODEL: &str = include_str!("model.conf");
pub const POLICY: &str = include_str!("policy.csv");

/// A signed-in member of a tenant.
#[derive(Debug, Clone)]
pub struct Member;

/// `sub` is the verified subject, `dom` the tenant: the defaults.
impl CasbinSubject for Member {}

/// `Authorization: Casbin <name> <tenant>`.
#[derive(Debug, Clone, Default)]
pub struct Members;

impl Authenticator for Members {
    type User = Member;

    async fn authenticate(
        &self,
        request: &http::request::Parts,
    ) -> Result<Identity<Member>, AuthError> {
        let value = request
            .headers
            .get(http::header::AUTHORIZATION)
            .ok_or(AuthError::MissingCredentials)?
            .to_str()
            .map_err(|_| TokenError::Malformed)?;
        let mut words = value.split(' ');
        let (Some("Casbin"), Some(name), Some(tenant)) = (words.next(), words.next(), words.next())
        else {
            return Err(TokenError::Malformed.into());
        };
        Ok(Identity::new(Member, name, Mechanism::Test).tenant(tenant))
    }
}

/// Signs `name` of `tenant` in, through the authenticator.
pub fn member(name: &str, tenant: &str) -> Authenticated<Member> {
    let (parts, ()) = http::Request::builder()
        .header(
            http::header::AUTHORIZATION,
            format!("Casbin {name} {tenant}"),
        )
        .body(())
        .unwrap()
        .into_parts();
    auth_tests::block_on(auth_core::authenticate(&Members, &parts)).unwrap()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: i64,
    pub tenant: String,
}

impl Resource for Document {
    const KIND: &'static str = "document";
    const TENANT: Option<Field<Self, str>> = Some(Field::text("tenant", |d| &d.tenant));
    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

/// `obj` is `document:<id>`; a list is `id IN (..)`.
impl CasbinResource for Document {
    const OBJECT: Object<Self> = Object::int("id", |d| d.id);
}

/// The documents: 1 to 3 in acme, 10 in globex.
pub fn documents() -> Vec<Document> {
    [(1, "acme"), (2, "acme"), (3, "acme"), (10, "globex")]
        .into_iter()
        .map(|(id, tenant)| Document {
            id,
            tenant: tenant.to_owned(),
        })
        .collect()
}

#[derive(Debug)]
pub struct Docs(Vec<Document>);

impl Load for Document {
    type Key = i64;
    type Source = Arc<Docs>;

    async fn load(id: &i64, docs: &Arc<Docs>) -> Result<Option<Document>, LoadError> {
        Ok(docs.0.iter().find(|d| d.id == *id).cloned())
    }
}

#[derive(Action)]
pub struct Read;
#[derive(Action)]
pub struct Update;
/// Only the failing model names it: its matcher errors for this action.
#[derive(Action)]
pub struct Purge;

impl Policy<Document> for Read {
    type Principal = Member;
    type State = Casbin;
    fn decide(user: &Authenticated<Member>, doc: &Document, casbin: &Casbin) -> Decision {
        casbin.decide::<Read, _, _>(user, doc)
    }
}

impl Policy<Document> for Update {
    type Principal = Member;
    type State = Casbin;
    fn decide(user: &Authenticated<Member>, doc: &Document, casbin: &Casbin) -> Decision {
        casbin.decide::<Update, _, _>(user, doc)
    }
}

impl Policy<Document> for Purge {
    type Principal = Member;
    type State = Casbin;
    fn decide(user: &Authenticated<Member>, doc: &Document, casbin: &Casbin) -> Decision {
        casbin.decide::<Purge, _, _>(user, doc)
    }
}

/// "Which documents may I read?": casbin's implicit permissions, as a filter.
impl ListPolicy<Document> for Read {
    async fn list(
        user: &Authenticated<Member>,
        casbin: &Casbin,
        _: Page<'_>,
    ) -> Result<Listing<Document>, Decision> {
        casbin.listing::<Read, _, _>(user)
    }
}

#[derive(Clone)]
pub struct App {
    pub casbin: Casbin,
    pub docs: Arc<Docs>,
    pub auth: SharedAuthenticator<Member>,
}

impl FromRef<App> for SharedAuthenticator<Member> {
    fn from_ref(app: &App) -> Self {
        app.auth.clone()
    }
}

impl FromRef<App> for Arc<Docs> {
    fn from_ref(app: &App) -> Self {
        app.docs.clone()
    }
}

/// How many handler bodies ran.
pub static BODIES: AtomicUsize = AtomicUsize::new(0);

#[requires(Read(doc), state = app.casbin)]
async fn read(
    user: Authenticated<Member>,
    State(app): State<App>,
    doc: Loaded<Document>,
) -> String {
    BODIES.fetch_add(1, Ordering::SeqCst);
    format!("read {}", doc.id)
}

#[requires(Update(doc), state = app.casbin)]
async fn update(
    user: Authenticated<Member>,
    State(app): State<App>,
    doc: Loaded<Document>,
) -> String {
    BODIES.fetch_add(1, Ordering::SeqCst);
    format!("updated {}", doc.id)
}

#[requires(Purge(doc), state = app.casbin)]
async fn purge(
    user: Authenticated<Member>,
    State(app): State<App>,
    doc: Loaded<Document>,
) -> String {
    BODIES.fetch_add(1, Ordering::SeqCst);
    format!("purged {}", doc.id)
}

/// The ids of the documents the caller may read, from the list's filter (the
/// query), each admitted again.
#[requires(authenticated)]
async fn list(user: Authenticated<Member>, State(app): State<App>) -> Result<String, AuthError> {
    let list = user
        .authorize_page::<Read, Document>(&app.casbin, Page::first(50))
        .await?;
    let rows: Vec<Document> = list.filter().apply(app.docs.0.clone()).collect();
    let permits = list.admit_all(rows)?;
    Ok(permits
        .iter()
        .map(|p| p.id.to_string())
        .collect::<Vec<_>>()
        .join(","))
}

/// Serves the document routes over loopback with `casbin` deciding.
pub async fn serve(casbin: Casbin) -> SocketAddr {
    use auth_core::axum::{SecureRouter, get, post};
    let app = App {
        casbin,
        docs: Arc::new(Docs(documents())),
        auth: SharedAuthenticator::new(Members).with_realm("casbin"),
    };
    let router = SecureRouter::new()
        .route("/documents", get(list))
        .route("/documents/{id}", get(read).put(update))
        .route("/documents/{id}/purge", post(purge))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// Sends `method path` as `who` (`"alice acme"`), and returns the status and body.
pub async fn send(addr: SocketAddr, method: &str, path: &str, who: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\nauthorization: Casbin {who}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    (status, body)
}

/// A fresh directory holding `model.conf` and `policy.csv`.
pub struct Files {
    pub dir: PathBuf,
}

impl Files {
    pub fn new(name: &str, model: &str, policy: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("auth-casbin-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let files = Files { dir };
        std::fs::write(files.model(), model).unwrap();
        files.write_policy(policy);
        files
    }

    pub fn model(&self) -> PathBuf {
        self.dir.join("model.conf")
    }

    pub fn policy(&self) -> PathBuf {
        self.dir.join("policy.csv")
    }

    /// Replaces the policy the way a deploy should: a complete file renamed over
    /// the old one.
    pub fn write_policy(&self, policy: &str) {
        let next = self.dir.join("policy.csv.next");
        std::fs::write(&next, policy).unwrap();
        std::fs::rename(&next, self.policy()).unwrap();
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn exists(path: &Path) -> bool {
    path.exists()
}
