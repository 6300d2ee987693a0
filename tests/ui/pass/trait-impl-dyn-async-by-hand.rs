// A dyn-compatible async trait written by hand: the method returns
// `Box::pin(async move { .. })`, and the gates run inside that block, before the
// body's first statement.
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_core::{requires, AuthError, Authenticated};
use auth_tests::{block_on, sign_in, Order, Update, User};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

trait OrderService: Send + Sync {
    fn update<'a>(&'a self, user: Authenticated<User>, order: Order) -> BoxFuture<'a, Result<u64, AuthError>>;
}

struct Service {
    writes: AtomicUsize,
}

impl OrderService for Service {
    #[requires(Update(order))]
    fn update<'a>(&'a self, user: Authenticated<User>, order: Order) -> BoxFuture<'a, Result<u64, AuthError>> {
        Box::pin(async move {
            self.writes.fetch_add(1, Ordering::SeqCst);
            let _ = &user;
            Ok(order.id)
        })
    }
}

fn main() {
    let service = Service { writes: AtomicUsize::new(0) };
    let dynamic: &dyn OrderService = &service;
    let order = Order { id: 5, owner_id: 1 };
    assert!(block_on(dynamic.update(sign_in(2, ""), order.clone())).is_err());
    assert_eq!(service.writes.load(Ordering::SeqCst), 0);
    assert_eq!(block_on(dynamic.update(sign_in(1, ""), order)).unwrap(), 5);
    assert_eq!(service.writes.load(Ordering::SeqCst), 1);
}
