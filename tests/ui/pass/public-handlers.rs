use auth_core::{public, Authenticated};
use auth_tests::{block_on, sign_in, User};

#[public]
fn health() -> &'static str {
    "ok"
}

#[public]
async fn greet(guest: Option<Authenticated<User>>) -> String {
    match guest {
        Some(user) => format!("hello {}", user.id),
        None => "hello stranger".to_owned(),
    }
}

struct Catalog;

impl Catalog {
    #[public]
    fn count(&self) -> usize {
        3
    }
}

fn main() {
    assert_eq!(health().into_result().unwrap(), "ok");
    assert_eq!(block_on(greet(None)).into_result().unwrap(), "hello stranger");
    assert_eq!(block_on(greet(Some(sign_in(2, "")))).into_result().unwrap(), "hello 2");
    assert_eq!(Catalog.count(), 3);
}
