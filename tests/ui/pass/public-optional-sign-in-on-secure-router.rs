// A `#[public]` handler with optional sign-in admits `Option<Authenticated<User>>`,
// and mounts on the secure routers, which authenticate it first.
use auth_core::{public, Authenticated, Guarded, SharedAuthenticator};
use auth_tests::{TestAuthenticator, User};

#[public]
async fn greet(guest: Option<Authenticated<User>>) -> String {
    match guest {
        Some(user) => format!("hello {}", user.id),
        None => "hello stranger".to_owned(),
    }
}

fn main() {
    let _typed: fn(Option<Authenticated<User>>) -> _ = |guest| async move {
        let out: Guarded<String, Option<Authenticated<User>>> = greet(guest).await;
        out
    };
    let _axum: axum::Router = auth_core::axum::SecureRouter::new()
        .route("/greet", auth_core::axum::get(greet))
        .with_state(SharedAuthenticator::new(TestAuthenticator::default()));
    let _actix = auth_core::actix::SecureScope::new("").route("/greet", auth_core::actix::get(greet));
}
