//! Guests are authenticated, and refused by default.
//!
//! A guest (`Mechanism::Guest`) is a verified credential for someone who did not
//! sign in. The claim: a `#[requires]` handler refuses a guest with a 403 unless
//! it says `guests = true`, before any gate, policy or resource loader runs, on
//! both frameworks. The attacks:
//!
//! - a guest principal that an over-generous mapping gave the `admin` role, at an
//!   admin route and at a resource whose policy lets admins read everything;
//! - probing which documents exist as a guest (the loader runs before the body:
//!   it must not answer 404 for a guest);
//! - a guest at a `#[public]` route with optional sign-in sees itself as a guest,
//!   not as nobody, and not as a user.

use std::net::SocketAddr;

use auth_adversarial::{
    Document, GuestsOrUsers, View, fingerprint, get, serve_actix_scope, serve_axum,
};
use auth_core::axum::SecureRouter;
use auth_core::{Authenticated, SharedAuthenticator, public, requires};
use auth_tests::User;

#[requires(View(document))]
async fn read(document: Document, user: Authenticated<User>) -> String {
    format!("document {}", document.id)
}

#[requires(role("admin"))]
async fn admin(user: Authenticated<User>) -> &'static str {
    "admin"
}

#[requires(authenticated, guests = true)]
async fn me(user: Authenticated<User>) -> String {
    format!("{} via {}", user.subject(), user.info().mechanism())
}

/// Reading a document's title: guests may, when the route and the policy both
/// say so.
#[derive(auth_core::Action)]
struct Browse;

impl auth_core::Policy<Document> for Browse {
    type Principal = User;
    type State = ();
    const GUESTS: bool = true;

    fn decide(_: &Authenticated<User>, _: &Document, (): &()) -> auth_core::Decision {
        auth_core::Decision::allow("titles are public")
    }
}

#[requires(Browse(document), guests = true)]
async fn browse(document: Document, user: Authenticated<User>) -> String {
    format!("title of {}", document.id)
}

/// The route lets guests in, the policy (`View`) does not decide for them.
#[requires(View(document), guests = true)]
async fn peek(document: Document, user: Authenticated<User>) -> String {
    format!("document {}", document.id)
}

#[public]
async fn hello(user: Option<Authenticated<User>>) -> String {
    match user {
        Some(user) => format!("hello {} via {}", user.subject(), user.info().mechanism()),
        None => "hello nobody".to_owned(),
    }
}

async fn start_axum() -> SocketAddr {
    use auth_core::axum::get;
    let app = SecureRouter::new()
        .route("/docs/{id}", get(read))
        .route("/admin", get(admin))
        .route("/me", get(me))
        .route("/hello", get(hello))
        .route("/browse/{id}", get(browse))
        .route("/peek/{id}", get(peek))
        .with_state(SharedAuthenticator::new(GuestsOrUsers::default()).with_realm("guests"));
    serve_axum(app).await
}

fn start_actix() -> SocketAddr {
    use auth_core::actix::{SecureScope, get};
    serve_actix_scope(
        SharedAuthenticator::new(GuestsOrUsers::default()).with_realm("guests"),
        || {
            SecureScope::new("")
                .route("/docs/{id}", get(read))
                .route("/admin", get(admin))
                .route("/me", get(me))
                .route("/hello", get(hello))
                .route("/browse/{id}", get(browse))
                .route("/peek/{id}", get(peek))
        },
    )
}

async fn attack(addr: SocketAddr) {
    const GUEST: Option<&str> = Some("Guest mallory");

    // Every document probe a guest makes is the same 403: one that exists (and
    // that the admin-reading policy would allow), one that does not, a malformed id.
    let existing = get(addr, "/docs/1", GUEST).await;
    assert_eq!(existing.status, 403, "{}", existing.body);
    for path in ["/docs/2", "/docs/99", "/docs/not-a-number"] {
        let probe = get(addr, path, GUEST).await;
        assert_eq!(fingerprint(&probe), fingerprint(&existing), "{path}");
    }
    // A user still reads their own document, and is told nothing of others'.
    assert_eq!(get(addr, "/docs/1", Some("Test 1")).await.status, 200);
    assert_eq!(get(addr, "/docs/2", Some("Test 1")).await.status, 404);

    // The admin role a guest was given does not open the admin route.
    assert_eq!(get(addr, "/admin", GUEST).await.status, 403);
    assert_eq!(get(addr, "/admin", Some("Test 3")).await.status, 200);

    // A route that accepts guests tells them they are one.
    let me = get(addr, "/me", GUEST).await;
    assert_eq!(
        (me.status, me.body.as_str()),
        (200, "guest:mallory via guest")
    );

    // Optional sign-in: a guest is a guest, nobody is nobody.
    let hello = get(addr, "/hello", GUEST).await;
    assert_eq!(hello.body, "hello guest:mallory via guest");
    assert_eq!(get(addr, "/hello", None).await.body, "hello nobody");

    // A guest-friendly route runs its policy for a guest only if the policy
    // decides for guests (`Policy::GUESTS`); otherwise 403, the rule not run.
    let browse = get(addr, "/browse/2", GUEST).await;
    assert_eq!((browse.status, browse.body.as_str()), (200, "title of 2"));
    assert_eq!(get(addr, "/peek/1", GUEST).await.status, 403);

    // Anonymous callers are still 401 on a guarded route, guest-friendly or not.
    assert_eq!(get(addr, "/me", None).await.status, 401);
    assert_eq!(get(addr, "/docs/1", None).await.status, 401);
}

#[tokio::test]
async fn guests_are_refused_unless_a_route_accepts_them_on_axum() {
    attack(start_axum().await).await;
}

#[tokio::test]
async fn guests_are_refused_unless_a_route_accepts_them_on_actix() {
    attack(start_actix()).await;
}
