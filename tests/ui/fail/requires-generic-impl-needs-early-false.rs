// A handler in a generic `impl` whose principal names the impl's parameter: the
// early gates (a function nested in the handler) cannot name it, and the macro
// cannot see the `impl`. The error points at the attribute ("generic parameter
// used in this inner function"); the documented answer is `early = false`.
#![allow(unused)]
use auth_core::{requires, Authenticated};

struct Users<U>(U);

impl<U: Clone + Send + Sync + 'static> Users<U> {
    #[requires(authenticated)]
    async fn any_principal(user: Authenticated<U>) -> &'static str {
        "anyone"
    }
}

fn main() {}
