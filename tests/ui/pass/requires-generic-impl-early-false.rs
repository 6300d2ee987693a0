// `early = false`: a handler in a generic `impl` whose principal or predicate
// names the impl's parameters keeps all its gates in the body.
#![allow(unused)]
use auth_core::{requires, Authenticated, Decision};
use auth_tests::User;

trait Rule {
    fn decide(user: &Authenticated<User>) -> Decision;
}

fn by_rule<R: Rule>(user: &Authenticated<User>) -> Decision {
    R::decide(user)
}

struct Api<R>(R);

impl<R: Rule> Api<R> {
    #[requires(check(by_rule::<R>), early = false)]
    async fn ruled(user: Authenticated<User>) -> &'static str {
        "ruled"
    }
}

struct Users<U>(U);

impl<U: Clone + Send + Sync + 'static> Users<U> {
    #[requires(authenticated, early = false)]
    async fn any_principal(user: Authenticated<U>) -> &'static str {
        "anyone"
    }
}

fn main() {}
