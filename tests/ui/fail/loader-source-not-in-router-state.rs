// The loader reads a `Db` the router's state cannot give: the handler does not
// mount. (The state needs `impl FromRef<AppState> for Db`.)
#![allow(unused)]
use auth_core::axum::{get, SecureRouter};
use auth_core::{
    requires, Authenticated, Decision, Load, LoadError, Loaded, Policy, Resource,
    SharedAuthenticator,
};
use auth_tests::{Read, User};

#[derive(Clone)]
struct Db;

struct Doc(u64);
impl Resource for Doc {
    const KIND: &'static str = "doc";
    fn id(&self) -> impl std::fmt::Display + '_ { self.0 }
}
impl Load for Doc {
    type Key = u64;
    type Source = Db;
    async fn load(id: &u64, _: &Db) -> Result<Option<Doc>, LoadError> { Ok(Some(Doc(*id))) }
}
impl Policy<Doc> for Read {
    type Principal = User;
    type State = ();
    fn decide(_: &Authenticated<User>, _: &Doc, (): &()) -> Decision { Decision::allow("any") }
}

#[requires(Read(doc))]
async fn read(user: Authenticated<User>, doc: Loaded<Doc>) -> &'static str {
    "read"
}

fn main() {
    let _app: axum::Router<SharedAuthenticator<User>> =
        SecureRouter::new().route("/docs/{id}", get(read)).into_router();
}
