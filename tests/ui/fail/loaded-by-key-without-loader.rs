// A `LoadedBy<R, K>` needs a loader by that key (`auth_core::LoadBy<K>`); the
// resource's `Load` is by another key.
#![allow(unused)]
use auth_core::{requires, Authenticated, Decision, Load, LoadError, LoadedBy, Policy, Resource};
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

struct Title(String);

#[requires(Read(doc))]
async fn read(user: Authenticated<User>, doc: LoadedBy<Doc, Title>) {}

fn main() {}
