//! Red team: what the redesign still leaves open, each as a minimal reproduction.
//!
//! Every test here asserts what `SECURITY.md` promises, as a regression test of a
//! hole the red team found and that is closed, or of a guarantee it attacked and
//! found holding.
//!
//! The findings, and where each is closed:
//!
//! 1. A `#[public]` handler admitted a principal through a newtype, a tuple or a
//!    type parameter: closed at run time (the mount refuses any principal it did
//!    not admit, 500); tested here.
//! 2. An authenticator whose type name contained `SharedAuthenticator<` was never
//!    listed: closed; tested here.
//! 3. A resource loader answers 404 before a role or scope gate's 403: a known
//!    limit in `SECURITY.md` until loaders belong to the library.
//! 4. An attribute below `#[requires]` ran the author's code before the gates: a
//!    compile error now (`ui/fail/attribute-below-requires.rs`).
//! 5. The matrix dropped the generic arguments of a gate: closed; tested here.
//! 6. `&R` from a permit mutates an `R` with interior mutability: a known limit
//!    in `SECURITY.md` (resources are snapshots).
//! 7. A gate on a trait's default method is dropped by an override: a known limit
//!    in `SECURITY.md`.
//! 8. A body could name its own record: closed, the expansion's names are hidden
//!    (`ui/fail/body-names-its-record.rs`).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{App, FromRequest, HttpRequest, HttpServer, web};
use auth_adversarial::{Document, Probe, get, serve_actix, serve_axum};
use auth_core::inventory::{self, Matrix};
use auth_core::{
    AuthError, Authenticated, Authenticator, Decision, Identity, Mechanism, SharedAuthenticator,
    public, requires,
};
use auth_integration::client::Response;
use auth_tests::{Counter, User, block_on, sign_in};
use axum::extract::{FromRef, FromRequestParts};
use http::request::Parts;

// ---------------------------------------------------------------------------
// Finding 1: a `#[public]` handler admits a principal under another name.
//
// G6 says a `#[public]` handler "cannot admit a principal under another name"
// and G5 that the secure mounts authenticate "the caller a handler admits" before
// any other extractor, so a bad credential is a 401 and never a guest. The
// `PublicParam` probe behind that only sees `Authenticated<_>`, `Option<..>` and
// `Result<..>` of one, spelled out or through a type alias. Any other extractor
// that carries a principal gets past it: a newtype around `Authenticated` (the
// usual way to hang helpers on "the current user"), a tuple, actix-web's
// `Either`, or a type parameter instantiated at the mount. The handler's `C` is
// then `()`: the mount authenticates nothing first, the matrix says `PUBLIC`,
// and on actix-web the framework's `Option<T>` turns a forged token or an
// authenticator outage into a guest, exactly the hole `optional_principal.rs`
// closed for the spelled-out type.
// ---------------------------------------------------------------------------

/// "The current user": a newtype extractor around the principal, as services
/// write to hang helpers on it.
struct Viewer(Authenticated<User>);

impl FromRequest for Viewer {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let principal = Authenticated::<User>::from_request(request, payload);
        Box::pin(async move { principal.await.map(Viewer).map_err(Into::into) })
    }
}

impl<S> FromRequestParts<S> for Viewer
where
    SharedAuthenticator<User>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = auth_core::axum::AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        <Authenticated<User> as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(Viewer)
    }
}

/// Optional sign-in through the newtype: compiles under `#[public]`, so the
/// mount treats the handler as admitting nobody.
#[public]
async fn greet_viewer(viewer: Option<Viewer>) -> String {
    viewer.map_or_else(
        || "hello guest".to_owned(),
        |Viewer(user)| format!("hello user {}", user.id),
    )
}

/// The same through a tuple, which both frameworks extract element-wise.
#[public]
async fn greet_tuple(visitor: Option<(Authenticated<User>,)>) -> String {
    visitor.map_or_else(
        || "hello guest".to_owned(),
        |(user,)| format!("hello user {}", user.id),
    )
}

/// A visitor a generic handler can describe.
trait Describe {
    fn describe(&self) -> String;
}

impl Describe for Option<Authenticated<User>> {
    fn describe(&self) -> String {
        self.as_ref().map_or_else(
            || "hello guest".to_owned(),
            |user| format!("hello user {}", user.id),
        )
    }
}

/// Generic over its visitor: the probe runs on `V`, not on what the mount
/// instantiates it with (`Option<Authenticated<User>>`, spelled at the route).
#[public]
async fn greet_generic<V: Describe>(visitor: V) -> String {
    visitor.describe()
}

fn start_actix_public_wrappers() -> SocketAddr {
    let authenticator = SharedAuthenticator::new(Probe::slow()).with_realm("wrappers");
    serve_actix(move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(authenticator.clone()))
                .service(
                    auth_core::actix::SecureScope::new("")
                        .route("/viewer", auth_core::actix::get(greet_viewer))
                        .route("/tuple", auth_core::actix::get(greet_tuple))
                        .route(
                            "/generic",
                            auth_core::actix::get(greet_generic::<Option<Authenticated<User>>>),
                        ),
                )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run())
    })
}

/// Status and body: what tells a guest from a refusal.
fn answer(response: &Response) -> (u16, &str) {
    (response.status, response.body.as_str())
}

/// A principal the mount did not authenticate first is a principal it did not
/// order: under a `#[public]` handler, the `Authenticated` extractor refuses
/// (500, an error event), and the mount answers that 500 even where actix-web's
/// `Option<T>` swallowed the refusal. Such a door is broken for everyone, never a
/// guest for a forged credential or an outage.
#[tokio::test]
async fn a_public_handler_with_a_wrapped_principal_does_not_turn_a_bad_credential_into_a_guest() {
    let actix = start_actix_public_wrappers();
    for path in ["/viewer", "/tuple", "/generic"] {
        for credential in [
            None,
            Some("Test 2"),
            Some("Bearer forged"),
            Some("Test 999"),
            Some("Test down"),
        ] {
            let response = get(actix, path, credential).await;
            assert_eq!(
                response.status, 500,
                "{path} with {credential:?}: {}",
                response.body
            );
            assert!(response.body.contains("server_error"), "{}", response.body);
            assert!(!response.body.contains("hello"), "{}", response.body);
        }
    }
}

/// A `#[public]` handler that in fact demands a principal, through the newtype,
/// after a resource loader.
#[public]
async fn public_document(document: Document, viewer: Viewer) -> String {
    format!("document {} for user {}", document.id, viewer.0.id)
}

/// The same door on axum: it serves nobody, signed in or not; the audit log says
/// why, naming the principal type.
#[tokio::test]
async fn a_public_handler_with_a_wrapped_principal_serves_nobody() {
    let app = auth_core::axum::SecureRouter::new()
        .route("/documents/{id}", auth_core::axum::get(public_document))
        .with_state(SharedAuthenticator::new(Probe::slow()).with_realm("wrappers"));
    let axum = serve_axum(app).await;
    for credential in [None, Some("Test 1"), Some("Bearer forged")] {
        let response = get(axum, "/documents/1", credential).await;
        assert_eq!(response.status, 500, "{credential:?}: {}", response.body);
        assert!(!response.body.contains("document 1"), "{}", response.body);
    }
}

// ---------------------------------------------------------------------------
// Finding 2: an authenticator can be left out of the inventory.
//
// G11: `inventory::authenticators()` lists every authenticator wrapped in a
// `SharedAuthenticator` or run through `authenticate`, "under the name the
// compiler gives its type (a door cannot list itself as another)". The recorder
// skips any type whose name *contains* `auth_core::authenticator::
// SharedAuthenticator<`, to avoid listing a shared authenticator twice. A
// composite authenticator generic over another one has that text in its name as
// soon as it is instantiated with a `SharedAuthenticator`: "try the JWT, else an
// API key" is then never listed, and neither is the API-key door inside it,
// which it calls directly. The matrix shows only the JWT.
// ---------------------------------------------------------------------------

/// An API-key door: a key vouches for an admin.
struct MachineKeys;

impl Authenticator for MachineKeys {
    type User = User;

    async fn authenticate(&self, request: &Parts) -> Result<Identity<User>, AuthError> {
        match request.headers.get("x-api-key") {
            None => Err(AuthError::MissingCredentials),
            Some(key) if key == "k-123" => Ok(Identity::new(
                User {
                    id: 3,
                    roles: vec!["admin"],
                    permissions: vec![],
                },
                "machine",
                Mechanism::ApiKey,
            )),
            Some(_) => Err(auth_core::TokenError::InvalidSignature.into()),
        }
    }
}

/// Tries `first`; when the request carries no credential for it, `second`. A
/// common composition: the shared JWT authenticator, then machine keys.
struct FirstThen<A, B>(A, B);

impl<A, B> Authenticator for FirstThen<A, B>
where
    A: Authenticator,
    B: Authenticator<User = A::User>,
{
    type User = A::User;

    async fn authenticate(&self, request: &Parts) -> Result<Identity<A::User>, AuthError> {
        match self.0.authenticate(request).await {
            Err(AuthError::MissingCredentials) => self.1.authenticate(request).await,
            other => other,
        }
    }
}

#[requires(role("admin"))]
async fn purge_everything(user: Authenticated<User>) -> String {
    format!("purged by {}", user.subject())
}

#[tokio::test]
async fn a_composite_authenticator_over_a_shared_one_is_listed_in_the_matrix() {
    let jwt = SharedAuthenticator::new(Probe::new()).with_realm("jwt");
    let combined = SharedAuthenticator::new(FirstThen(jwt, MachineKeys)).with_realm("combined");
    let app = auth_core::axum::SecureRouter::new()
        .route("/purge", auth_core::axum::get(purge_everything))
        .with_state(combined);
    let addr = serve_axum(app).await;
    let by_key = auth_integration::client::send(
        addr,
        auth_integration::client::Request {
            method: "GET",
            path: "/purge",
            headers: vec![("x-api-key", "k-123".to_owned())],
            ..auth_integration::client::Request::default()
        },
    )
    .await;
    assert_eq!(
        answer(&by_key),
        (200, "purged by machine"),
        "the machine-key door works"
    );
    // Run by hand too, the other way the inventory says it sees every door.
    let (head, ()) = http::Request::builder()
        .header("x-api-key", "k-123")
        .body(())
        .expect("a request")
        .into_parts();
    let direct = FirstThen(SharedAuthenticator::new(Probe::new()), MachineKeys);
    let machine = auth_core::authenticate(&direct, &head)
        .await
        .expect("the key vouches");
    assert_eq!(machine.subject(), "machine");

    let listed: Vec<_> = inventory::authenticators()
        .into_iter()
        .map(|info| info.type_name())
        .collect();
    assert!(
        listed.iter().any(|name| name.contains("MachineKeys")),
        "the door that just vouched for an admin is not in the inventory: {listed:#?}\n{}",
        Matrix::collect()
    );
}

// ---------------------------------------------------------------------------
// Finding 5: the matrix drops a gate's generic arguments.
//
// G6/G11: the matrix lists each handler "with the gates of each", and the
// record is the audit's view of what runs. `check(on_plan::<Enterprise>)` is
// recorded (and audited, as the `rule` of each decision) as `check(on_plan)`,
// the same text as `check(on_plan::<Free>)`: the matrix cannot tell a gate that
// admits every free-plan customer from one that admits enterprise customers
// only. (The same rendering makes `any(check(on_plan::<Gold>),
// check(on_plan::<Enterprise>))` a "duplicate gate" compile error.)
// ---------------------------------------------------------------------------

/// A subscription plan, as a type.
trait Plan {
    const NAME: &'static str;
}

/// Every customer.
struct Free;

impl Plan for Free {
    const NAME: &'static str = "free";
}

/// Paying customers only.
struct Enterprise;

impl Plan for Enterprise {
    const NAME: &'static str = "enterprise";
}

/// Allows customers on plan `P` (here: enterprise customers are the admins).
fn on_plan<P: Plan>(user: &Authenticated<User>) -> Decision {
    let plan = if user.roles.contains(&"admin") {
        Enterprise::NAME
    } else {
        Free::NAME
    };
    Decision::allow_if(
        plan == P::NAME || P::NAME == Free::NAME,
        "on plan",
        "not on plan",
    )
}

#[requires(check(on_plan::<Enterprise>))]
fn export_all(user: Authenticated<User>) -> u64 {
    user.id
}

#[requires(check(on_plan::<Free>))]
fn export_own(user: Authenticated<User>) -> u64 {
    user.id
}

#[test]
fn the_matrix_tells_apart_gates_that_differ_only_in_generic_arguments() {
    // The two gates decide differently...
    assert!(export_all(sign_in(1, "")).is_denied());
    assert!(!export_own(sign_in(1, "")).is_denied());
    // ...so the matrix must not list them alike.
    let matrix = Matrix::collect().to_string();
    let gates_of = |handler: &str| {
        inventory::handlers()
            .into_iter()
            .find(|entry| entry.name() == handler)
            .map(|entry| entry.gates().to_vec())
            .unwrap_or_default()
    };
    assert_ne!(
        gates_of("export_all"),
        gates_of("export_own"),
        "two different gates, one text:\n{matrix}"
    );
}

// ---------------------------------------------------------------------------
// Held: G4 in the hand-written dyn-async shape and through `macro_rules!`.
//
// A method returning `Box::pin(async move { .. })` gets its gates inside the
// block. A statement that is not a plain rebinding (`let x = y;`) must not be
// taken for `#[async_trait]`'s prologue and run before them, whether it stands
// before the user's body block or inside it; and a body handed to `#[requires]`
// through a `macro_rules!` `$body:block` must still run after the gates.
// ---------------------------------------------------------------------------

static EARLY: Counter = Counter::new();

/// Code of the author's that must not run for a refused caller.
fn early() -> u32 {
    EARLY.hit();
    1
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = Result<T, AuthError>> + Send + 'a>>;

/// A ledger whose entries start at `opening`.
struct Ledger {
    opening: u32,
}

impl Ledger {
    /// A rebinding, then a computed statement, then the body.
    #[requires(role("admin"))]
    fn close(&self, user: Authenticated<User>) -> Boxed<'_, u32> {
        Box::pin(async move {
            let user = user;
            let count = early();
            Ok(self.opening + count + u32::try_from(user.id).unwrap_or_default())
        })
    }

    /// A rebinding, then the body as a block, as `#[async_trait]` writes it.
    #[requires(role("admin"))]
    fn reopen(&self, user: Authenticated<User>) -> Boxed<'_, u32> {
        Box::pin(async move {
            let user = user;
            {
                let count = early();
                Ok(self.opening + count + u32::try_from(user.id).unwrap_or_default())
            }
        })
    }
}

macro_rules! admin_only {
    ($name:ident, $body:block) => {
        #[requires(role("admin"))]
        fn $name(user: Authenticated<User>) -> u32 $body
    };
}

admin_only!(through_a_macro, { early() });

const LEDGER: Ledger = Ledger { opening: 0 };

#[test]
fn statements_of_a_dyn_async_method_or_a_macro_body_run_after_the_gates() {
    let customer = sign_in(1, "");
    assert!(block_on(LEDGER.close(customer.clone())).is_err());
    assert!(block_on(LEDGER.reopen(customer.clone())).is_err());
    assert!(through_a_macro(customer).is_denied());
    assert_eq!(EARLY.get(), 0, "the author's code ran for a refused caller");
    let admin = sign_in(3, "");
    assert_eq!(block_on(LEDGER.close(admin.clone())).ok(), Some(4));
    assert_eq!(block_on(LEDGER.reopen(admin.clone())).ok(), Some(4));
    assert_eq!(through_a_macro(admin).into_result().ok(), Some(1));
    assert_eq!(EARLY.get(), 3);
}
