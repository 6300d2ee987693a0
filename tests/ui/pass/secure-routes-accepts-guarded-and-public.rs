use auth_core::mount::SecureRoutes;
use auth_core::{public, requires, Authenticated};
use auth_tests::{block_on, request_as, anonymous_request, TestAuthenticator, User};

#[public]
fn health(_request: &String) -> String {
    "ok".to_owned()
}

#[requires(role("admin"))]
fn purge(user: Authenticated<User>, request: &String) -> String {
    format!("{} purged {request}", user.id)
}

fn main() {
    let routes = SecureRoutes::<&str, User, String, String>::new()
        .route("/health", health)
        .route("/purge", purge);
    let auth = TestAuthenticator::default();
    let body = "everything".to_owned();
    let run = |key, head| block_on(routes.dispatch(&key, &auth, &head, &body)).unwrap();
    assert_eq!(run("/health", anonymous_request()).unwrap(), "ok");
    assert_eq!(run("/purge", anonymous_request()).unwrap_err().status().as_u16(), 401);
    assert_eq!(run("/purge", request_as(1, "")).unwrap_err().status().as_u16(), 403);
    assert_eq!(run("/purge", request_as(3, "")).unwrap(), "3 purged everything");
}
