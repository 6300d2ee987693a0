// There is no default principal.
use auth_core::Authenticated;
use auth_tests::User;

fn forge() -> Authenticated<User> {
    Authenticated::default()
}

fn main() {}
