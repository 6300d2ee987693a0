// A sync handler cannot await a loader: a `Loaded<R>` needs an `async fn`.
#![allow(unused)]
use auth_core::{requires, Authenticated, Decision, Load, LoadError, Loaded, Policy, Resource};
use auth_tests::{Read, User};

struct Doc(u64);
impl Resource for Doc {
    const KIND: &'static str = "doc";
    fn id(&self) -> impl std::fmt::Display + '_ { self.0 }
}
impl Load for Doc {
    type Key = u64;
    type Source = ();
    async fn load(id: &u64, (): &()) -> Result<Option<Doc>, LoadError> { Ok(Some(Doc(*id))) }
}
impl Policy<Doc> for Read {
    type Principal = User;
    type State = ();
    fn decide(_: &Authenticated<User>, _: &Doc, (): &()) -> Decision { Decision::allow("any") }
}

#[requires(Read(doc))]
fn read(user: Authenticated<User>, doc: Loaded<Doc>) {}

fn main() {}
