// The test door `Authenticated::for_testing` exists only with the `testing` feature.
use auth_core::{Authenticated, Identity, Mechanism};
use auth_tests::User;

fn forge(user: User) -> Authenticated<User> {
    Authenticated::for_testing(Identity::new(user, "1", Mechanism::Test))
}

fn main() {}
