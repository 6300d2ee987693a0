//! [`RateLimitStore`]: where the limiter keeps its one number per key.

use std::future::Future;
use std::sync::Arc;

use super::{Quota, Verdict};
use crate::AuthError;

/// Keeps each key's GCRA state and answers one request at a time, atomically:
/// two concurrent requests on one key never both take its last cell.
///
/// The store reads its own clock (a memory store's [`Clock`](super::Clock), or
/// the Redis server's time), so that every instance sharing a store measures
/// time the same way.
///
/// Implemented by [`MemoryRateLimits`](super::MemoryRateLimits) and, with the
/// `redis` feature, `RedisRateLimits`; and by `&S`, `Arc<S>` and `Box<S>` of one.
pub trait RateLimitStore: Send + Sync {
    /// Takes a request from `key`'s `quota`, or refuses it.
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store cannot answer: the gate then
    /// answers 503, never an allow.
    fn check(
        &self,
        key: &str,
        quota: Quota,
    ) -> impl Future<Output = Result<Verdict, AuthError>> + Send;
}

impl<S: RateLimitStore + ?Sized> RateLimitStore for &S {
    fn check(
        &self,
        key: &str,
        quota: Quota,
    ) -> impl Future<Output = Result<Verdict, AuthError>> + Send {
        (**self).check(key, quota)
    }
}

impl<S: RateLimitStore + ?Sized> RateLimitStore for Arc<S> {
    fn check(
        &self,
        key: &str,
        quota: Quota,
    ) -> impl Future<Output = Result<Verdict, AuthError>> + Send {
        (**self).check(key, quota)
    }
}

impl<S: RateLimitStore + ?Sized> RateLimitStore for Box<S> {
    fn check(
        &self,
        key: &str,
        quota: Quota,
    ) -> impl Future<Output = Result<Verdict, AuthError>> + Send {
        (**self).check(key, quota)
    }
}
