//! What the attack files share: servers on loopback, requests, authenticators an
//! attacker would like to meet (a slow one, a lenient one), a resource whose
//! loader answers at once.
//!
//! Each file in `tests/` tries one way around a guarantee of `DESIGN.md` and is
//! named after it; each test is named after the attack it tries.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auth_core::{
    Action, AuthError, Authenticated, Authenticator, Decision, Identity, Mechanism, Policy,
    Resource, Scopes, SharedAuthenticator, TokenError,
};
use auth_integration::client::{self, Response};
use auth_tests::{TestAuthenticator, User};
use http::request::Parts;

/// How long [`Probe::slow`] waits before it answers: about a Redis or JWKS round
/// trip, long enough for an extractor that does not wait to answer first.
pub const SLOW: Duration = Duration::from_millis(50);

/// Starts `app` on a loopback port, on the current runtime.
///
/// # Panics
/// When no loopback port can be bound.
pub async fn serve_axum(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// Starts an actix-web server on a loopback port, on its own thread (actix runs
/// its own system): `start` turns the bound listener into the running server,
/// typically `HttpServer::new(..).workers(1).disable_signals().listen(l)?.run()`.
///
/// The listener is bound before this returns, so a client may connect at once.
///
/// # Panics
/// When no loopback port can be bound.
pub fn serve_actix<F>(start: F) -> SocketAddr
where
    F: FnOnce(std::net::TcpListener) -> std::io::Result<actix_web::dev::Server> + Send + 'static,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = start(listener).expect("the actix server starts");
            let _ = server.await;
        });
    });
    addr
}

/// A `SecureScope` from `scope` (once per worker), with `authenticator` as the
/// app's `web::Data`, served by one worker on a loopback port: the actix-web
/// server most attack files need.
///
/// # Panics
/// When no loopback port can be bound or the server does not start.
pub fn serve_actix_scope<U, F>(authenticator: SharedAuthenticator<U>, scope: F) -> SocketAddr
where
    U: Send + Sync + 'static,
    F: Fn() -> auth_core::actix::SecureScope + Send + Clone + 'static,
{
    serve_actix(move |listener| {
        Ok(actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(actix_web::web::Data::new(authenticator.clone()))
                .service(scope())
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run())
    })
}

/// `Authorization: Guest <name>`: a guest whom a careless mapping made user 1, an
/// admin with every permission who proved a second factor; anything else goes to
/// the `Test <id>` authenticator. What the guest attacks use.
#[derive(Debug, Clone, Default)]
pub struct GuestsOrUsers {
    users: TestAuthenticator,
}

impl Authenticator for GuestsOrUsers {
    type User = User;

    async fn authenticate(&self, request: &Parts) -> Result<Identity<User>, AuthError> {
        let guest = request
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Guest "));
        match guest {
            Some(name) => Ok(Identity::new(
                User {
                    id: 1,
                    roles: vec!["admin"],
                    permissions: vec!["orders.delete"],
                },
                format!("guest:{name}"),
                Mechanism::Guest,
            )
            .amr(["otp"])),
            None => self.users.authenticate(request).await,
        }
    }
}

/// `method path` over loopback with an optional `Authorization` header value and
/// an optional body (sent as `application/json`, whatever it holds).
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Option<&str>,
) -> Response {
    let headers = authorization
        .map(|value| vec![("authorization", value.to_owned())])
        .unwrap_or_default();
    client::send(
        addr,
        client::Request {
            method,
            path,
            json: body.map(str::to_owned),
            headers,
            ..client::Request::default()
        },
    )
    .await
}

/// `GET path` with an optional `Authorization` header value.
pub async fn get(addr: SocketAddr, path: &str, authorization: Option<&str>) -> Response {
    send(addr, "GET", path, authorization, None).await
}

/// What a client can tell responses apart by: the status, every header but
/// `date`, and the body.
pub fn fingerprint(response: &Response) -> (u16, BTreeMap<String, String>, String) {
    let mut headers = response.headers.clone();
    headers.remove("date");
    (response.status, headers, response.body.clone())
}

/// How many times an authenticator verified a credential; shared by its clones.
#[derive(Debug, Clone, Default)]
pub struct Calls(Arc<AtomicUsize>);

impl Calls {
    /// The count so far.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    fn hit(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// [`TestAuthenticator`] (`Authorization: Test <id> [scope ..]`, ids 1 to 3)
/// with a delay, a count of calls, and an outage on demand: `Test down` answers
/// [`AuthError::unavailable`], as an authenticator whose store is down would.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    inner: TestAuthenticator,
    delay: Duration,
    calls: Calls,
}

impl Probe {
    /// Answers at once.
    pub fn new() -> Self {
        Probe::default()
    }

    /// Awaits [`SLOW`] before answering, as Redis or a JWKS fetch would.
    pub fn slow() -> Self {
        Probe {
            delay: SLOW,
            ..Probe::default()
        }
    }

    /// The count of its verifications (and its clones').
    pub fn calls(&self) -> Calls {
        self.calls.clone()
    }
}

impl Authenticator for Probe {
    type User = User;

    async fn authenticate(&self, request: &Parts) -> Result<Identity<User>, AuthError> {
        self.calls.hit();
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        if request
            .headers
            .get(http::header::AUTHORIZATION)
            .is_some_and(|value| value == "Test down")
        {
            return Err(AuthError::unavailable(
                "user store",
                std::io::Error::other("connection refused"),
            ));
        }
        self.inner.authenticate(request).await
    }
}

/// A credential only [`Lenient::default`] accepts: every other authenticator
/// here refuses user 42.
pub const LENIENT_ONLY: &str = "Test 42";

/// An authenticator that vouches for any `Test <number>` up to a maximum: a
/// number it does not know becomes an admin. What an attacker wants a stricter
/// route to reuse. [`Lenient::up_to`] makes a stricter one *of the same type*, as
/// two JWT authenticators for two audiences are.
#[derive(Debug, Clone)]
pub struct Lenient {
    max_id: u64,
    calls: Calls,
}

impl Default for Lenient {
    /// Accepts every number.
    fn default() -> Self {
        Lenient::up_to(u64::MAX)
    }
}

impl Lenient {
    /// Accepts `Test <n>` for `n <= max_id` only.
    pub fn up_to(max_id: u64) -> Self {
        Lenient {
            max_id,
            calls: Calls::default(),
        }
    }

    /// The count of its verifications.
    pub fn calls(&self) -> Calls {
        self.calls.clone()
    }
}

impl Authenticator for Lenient {
    type User = User;

    async fn authenticate(&self, request: &Parts) -> Result<Identity<User>, AuthError> {
        self.calls.hit();
        let Some(value) = request.headers.get(http::header::AUTHORIZATION) else {
            return Err(AuthError::MissingCredentials);
        };
        let id: u64 = value
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Test "))
            .and_then(|rest| rest.split(' ').next())
            .and_then(|id| id.parse().ok())
            .ok_or(TokenError::Malformed)?;
        if id > self.max_id {
            return Err(TokenError::UnknownSubject.into());
        }
        let user = User {
            id,
            roles: vec!["admin"],
            permissions: vec![],
        };
        Ok(Identity::new(user, id.to_string(), Mechanism::Test).scopes(Scopes::none()))
    }
}

/// A document; ids 1 (owned by user 1) and 2 (owned by user 2) exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Its id.
    pub id: u64,
    /// Its owner's user id.
    pub owner_id: u64,
}

impl Resource for Document {
    const KIND: &'static str = "document";

    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

/// The document `id`, if it exists.
pub fn document(id: u64) -> Option<Document> {
    [(1, 1), (2, 2)]
        .into_iter()
        .find(|(known, _)| *known == id)
        .map(|(id, owner_id)| Document { id, owner_id })
}

/// Reading a document: its owner or an admin; anyone else is told it does not
/// exist (404).
#[derive(Action)]
pub struct View;

impl Policy<Document> for View {
    type Principal = User;
    type State = ();

    fn decide(user: &Authenticated<User>, document: &Document, (): &()) -> Decision {
        if user.roles.contains(&"admin") || user.id == document.owner_id {
            Decision::allow("owner or admin")
        } else {
            Decision::not_found("not the owner of the document")
        }
    }
}

/// Loads the document of the path's `{id}` at once, without authenticating: the
/// naive resource loader whose 404 must never reach an unauthenticated caller.
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Document {
    type Rejection = (http::StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(id) = axum::extract::Path::<u64>::from_request_parts(parts, state)
            .await
            .map_err(|_| (http::StatusCode::BAD_REQUEST, "not a document id"))?;
        document(id).ok_or((http::StatusCode::NOT_FOUND, "no such document"))
    }
}

/// The same loader on actix-web: it answers before any authenticator could.
impl actix_web::FromRequest for Document {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;

    fn from_request(
        request: &actix_web::HttpRequest,
        _payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let found = request
            .match_info()
            .get("id")
            .and_then(|id| id.parse::<u64>().ok())
            .ok_or_else(|| actix_web::error::ErrorBadRequest("not a document id"))
            .and_then(|id| {
                document(id).ok_or_else(|| actix_web::error::ErrorNotFound("no such document"))
            });
        std::future::ready(found)
    }
}
