// A `Loaded<R>` needs `R` to declare its loader (`auth_core::Load`).
#![allow(unused)]
use auth_core::{requires, Authenticated, Decision, Loaded, Policy, Resource};
use auth_tests::{Read, User};

struct Doc(u64);
impl Resource for Doc {
    const KIND: &'static str = "doc";
    fn id(&self) -> impl std::fmt::Display + '_ { self.0 }
}
impl Policy<Doc> for Read {
    type Principal = User;
    type State = ();
    fn decide(_: &Authenticated<User>, _: &Doc, (): &()) -> Decision { Decision::allow("any") }
}

#[requires(Read(doc))]
async fn read(user: Authenticated<User>, doc: Loaded<Doc>) {}

fn main() {}
