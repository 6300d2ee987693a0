// A handler's output holding a denial comes from a gatekeeper, not by hand: a
// closure cannot make a mountable output that way either.
use auth_core::{AuthError, Guarded};

fn forge() -> Guarded<&'static str, ()> {
    Guarded::denied(AuthError::forbidden("no"), None)
}

fn main() {}
