// A user value is not proof that it signed in.
use auth_core::Authenticated;
use auth_tests::User;

fn forge(user: User) -> Authenticated<User> {
    Authenticated::from(user)
}

fn main() {}
