// An `Identity` becomes `Authenticated` only by running its authenticator.
use auth_core::{Authenticated, Identity, Mechanism};
use auth_tests::User;

fn forge(user: User) -> Authenticated<User> {
    Authenticated::from_identity(Identity::new(user, "1", Mechanism::BearerToken))
}

fn main() {}
