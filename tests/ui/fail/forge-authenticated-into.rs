// No conversion into a principal, not even an implicit one.
use auth_core::Authenticated;
use auth_tests::User;

fn forge(user: User) -> Authenticated<User> {
    user.into()
}

fn main() {}
