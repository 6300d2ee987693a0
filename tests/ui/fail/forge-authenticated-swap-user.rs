// A proven principal cannot be swapped for another user: only `Identity` (not yet proven) has `map_user`.
use auth_core::Authenticated;
use auth_tests::User;

fn promote(alice: Authenticated<User>) -> Authenticated<User> {
    alice.map_user(|mut user| {
        user.roles.push("admin");
        user
    })
}

fn main() {}
