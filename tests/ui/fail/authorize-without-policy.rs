// Authorizing by hand needs a policy for that action and resource, same as the macro.
use auth_core::{AuthError, Authenticated, Permit};
use auth_tests::{Archive, Order, User};

fn archive(user: &Authenticated<User>, order: Order) -> Result<Permit<'_, Archive, Order>, AuthError> {
    user.authorize(order)
}

fn main() {}
