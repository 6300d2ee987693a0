// `#[requires]` alongside `#[axum::debug_handler]` and `#[utoipa::path]`, in
// either order, mounted on the secure router.
use auth_core::axum::{get, SecureRouter};
use auth_core::{public, requires, Authenticated, SharedAuthenticator};
use auth_tests::{TestAuthenticator, User};
use axum::extract::{FromRef, Path};

#[derive(Clone)]
struct AppState {
    auth: SharedAuthenticator<User>,
}

impl FromRef<AppState> for SharedAuthenticator<User> {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

#[utoipa::path(get, path = "/orders/{id}")]
#[axum::debug_handler(state = AppState)]
#[requires(role("customer"))]
async fn get_order(user: Authenticated<User>, Path(id): Path<u64>) -> String {
    format!("order {id} for {}", user.id)
}

#[requires(role("admin"))]
#[axum::debug_handler(state = AppState)]
#[utoipa::path(delete, path = "/orders/{id}")]
async fn delete_order(_user: Authenticated<User>, Path(id): Path<u64>) -> String {
    format!("deleted {id}")
}

#[public]
#[axum::debug_handler]
async fn health() -> &'static str {
    "ok"
}

fn main() {
    let state = AppState { auth: SharedAuthenticator::new(TestAuthenticator::default()) };
    let _app: axum::Router = SecureRouter::new()
        .route("/health", get(health))
        .route("/orders/{id}", get(get_order).delete(delete_order))
        .with_state(state);
}
