//! Why a store could not do what it was asked.

use std::time::Duration;

/// Why a revocation or refresh-token store failed, carried as the `source` of
/// [`AuthError::Unavailable`](crate::AuthError::Unavailable) so that logs can tell
/// a full store from a Redis outage.
///
/// ```
/// use std::error::Error as _;
/// use std::time::{Duration, SystemTime};
/// use auth_core::AuthError;
/// use auth_core::revocation::{MemoryRevocationStore, RevocationStore, StoreError};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryRevocationStore::with_capacity(1, 1);
/// let exp = SystemTime::now() + Duration::from_secs(900);
/// store.revoke_token("a", exp).await.unwrap();
/// let err = store.revoke_token("b", exp).await.unwrap_err();
/// assert!(matches!(err, AuthError::Unavailable { .. }));
/// let source = err.source().and_then(|s| s.downcast_ref::<StoreError>());
/// assert!(matches!(source, Some(StoreError::Full { capacity: 1 })));
/// # });
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A bounded in-memory store is full of live entries. It refuses the new one
    /// rather than forget a revocation that still matters.
    #[error("the store holds its maximum of {capacity} live entries")]
    Full {
        /// The configured maximum.
        capacity: usize,
    },
    /// A refresh token or family id was registered twice. Ids must be unique
    /// (random, 128 bits or more).
    #[error("the id is already registered")]
    DuplicateId,
    /// The store did not answer in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The store answered something this crate never writes.
    #[error("the store returned an unexpected reply")]
    UnexpectedReply,
    /// A Redis command failed.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    #[error("the redis command failed")]
    Redis(#[from] ::redis::RedisError),
    /// A Redis connection was made outside a Tokio runtime.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    #[error("no tokio runtime is running")]
    NoRuntime,
}
