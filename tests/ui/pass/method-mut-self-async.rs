use auth_core::{requires, AuthError, Authenticated};
use auth_tests::{block_on, sign_in, User};

#[derive(Default)]
struct Counter(u32);

impl Counter {
    #[requires(scope("counter:write"))]
    async fn bump(&mut self, _user: Authenticated<User>) -> Result<u32, AuthError> {
        self.0 += 1;
        Ok(self.0)
    }
}

fn main() {
    let mut counter = Counter::default();
    assert!(block_on(counter.bump(sign_in(1, ""))).is_err());
    assert_eq!(block_on(counter.bump(sign_in(1, "counter:write"))).unwrap(), 1);
}
