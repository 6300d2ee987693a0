//! [`ApiKeyAuthenticator`]: an `X-API-Key` header in, an `Authenticated` owner out.

use std::fmt;
use std::time::{Duration, SystemTime};

use http::request::Parts;

use crate::{AuthError, Authenticator, Identity, LoadUser, Mechanism, TokenError};

use super::ApiKeyStore;
use super::key::{self, SecretHash};

/// The one header an API key is read from. Never the query string: URLs end up
/// in logs, browser history and `Referer` headers.
pub const HEADER: &str = "x-api-key";

/// What a 503 tells the client to wait before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Authenticates a request by the API key in its [`X-API-Key`](HEADER) header,
/// as the key's owner, with the key's scopes.
///
/// On each request, in this order:
///
/// | step | failure |
/// |---|---|
/// | exactly one `X-API-Key` header | none: 401 [`MissingCredentials`](AuthError::MissingCredentials); two: 401 [`Malformed`](TokenError::Malformed) |
/// | the key's format and checksum, with no store lookup | 401 [`Malformed`](TokenError::Malformed) |
/// | the record, looked up by the key's id | store error: 503 with `Retry-After`; none (never made, or revoked): 401 [`Revoked`](TokenError::Revoked) |
/// | the hash of the key's secret, compared in constant time | 401 [`InvalidSignature`](TokenError::InvalidSignature) |
/// | the record's expiry | 401 [`Expired`](TokenError::Expired) |
/// | the owner, loaded through [`LoadUser`] | loader error: 503; no such user: 401 [`UnknownSubject`](TokenError::UnknownSubject) |
///
/// The principal has [`Mechanism::ApiKey`], the owner's subject, the key's id as
/// its [`token_id`](crate::AuthInfo::token_id), the key's scopes, its creation
/// as [`issued_at`](crate::AuthInfo::issued_at) and its expiry if it has one.
/// Gates can tell keys apart from other credentials by
/// `user.info().mechanism() == Mechanism::ApiKey`.
///
/// Then the key's last use is recorded, at most once per
/// [touch interval](Self::with_touch_interval), read from the record, so the
/// throttle holds across instances. That write is best effort: when it fails the
/// request still succeeds, with a warning in the log.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::sync::Arc;
/// use auth_core::{authenticate, AuthError, LoadUser, Mechanism, Scopes};
/// use auth_core::api_key::{ApiKeyAuthenticator, ApiKeys, MemoryApiKeyStore};
///
/// struct Users;
///
/// impl LoadUser for Users {
///     type User = String;
///     async fn load(&self, subject: &str) -> Result<Option<String>, AuthError> {
///         Ok((subject == "user-1").then(|| "Ada".to_owned()))
///     }
/// }
///
/// let store = Arc::new(MemoryApiKeyStore::new());
/// let keys = ApiKeys::new(Arc::clone(&store));
/// let authenticator = ApiKeyAuthenticator::new(store, Users);
///
/// let granted = Scopes::from_space_separated("orders:read orders:write");
/// let (key, _) = keys.create("user-1", &granted, "ci", ["orders:read"], None).await.unwrap();
///
/// let (request, ()) = http::Request::builder()
///     .header("x-api-key", key.expose())
///     .body(())
///     .unwrap()
///     .into_parts();
/// let user = authenticate(&authenticator, &request).await.unwrap();
/// assert_eq!(*user, "Ada");
/// assert_eq!(user.info().mechanism(), Mechanism::ApiKey);
/// assert_eq!(user.scopes().as_str(), "orders:read");
/// # });
/// ```
pub struct ApiKeyAuthenticator<S, L> {
    store: S,
    users: L,
    touch_interval: Duration,
}

impl<S: ApiKeyStore, L: LoadUser> ApiKeyAuthenticator<S, L> {
    /// How often a key's last use is recorded by default: once a minute.
    pub const DEFAULT_TOUCH_INTERVAL: Duration = Duration::from_secs(60);

    /// Keys from `store`, owners from `users`.
    pub fn new(store: S, users: L) -> Self {
        ApiKeyAuthenticator {
            store,
            users,
            touch_interval: Self::DEFAULT_TOUCH_INTERVAL,
        }
    }

    /// Records a key's last use only when the recorded one is at least
    /// `interval` old, so a busy key costs one write per interval, not one per
    /// request. `Duration::ZERO` records every use.
    #[must_use]
    pub fn with_touch_interval(mut self, interval: Duration) -> Self {
        self.touch_interval = interval;
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Records the use at `now` if the last recorded one is old enough. Never fails
    /// the request.
    async fn touch(&self, id: &str, last_used_at: Option<SystemTime>, now: SystemTime) {
        let due = last_used_at.is_none_or(|used| {
            now.duration_since(used)
                .is_ok_and(|since| since >= self.touch_interval)
        });
        if due && let Err(error) = self.store.touch(id, now).await {
            tracing::warn!(
                key_id = id,
                error = %error,
                "could not record an api key's last use; the request goes on"
            );
        }
    }
}

impl<S: ApiKeyStore, L: LoadUser> Authenticator for ApiKeyAuthenticator<S, L> {
    type User = L::User;

    async fn authenticate(&self, request: &Parts) -> Result<Identity<L::User>, AuthError> {
        let mut values = request.headers.get_all(HEADER).iter();
        let Some(value) = values.next() else {
            return Err(AuthError::MissingCredentials);
        };
        if values.next().is_some() {
            return Err(TokenError::Malformed.into());
        }
        // Bytes, not `to_str`: anything outside the key's alphabet fails here,
        // before a lookup, and nothing non-ASCII is ever decoded.
        let key = key::parse(value.as_bytes()).map_err(|_| TokenError::Malformed)?;
        let stored = self
            .store
            .find(key.id)
            .await
            .map_err(|error| error.or_retry_after(RETRY_AFTER))?
            .ok_or(TokenError::Revoked)?;
        if !stored
            .secret_hash()
            .matches(&SecretHash::of_secret(key.secret))
        {
            return Err(TokenError::InvalidSignature.into());
        }
        let now = SystemTime::now();
        if stored.record().is_expired_at(now) {
            return Err(TokenError::Expired.into());
        }
        let last_used_at = stored.record().last_used_at();
        let (id, owner, scopes, created_at, expires_at) = stored.into_record().into_parts();
        let user = self
            .users
            .load(&owner)
            .await
            .map_err(|error| error.or_retry_after(RETRY_AFTER))?
            .ok_or(TokenError::UnknownSubject)?;
        self.touch(&id, last_used_at, now).await;
        let tenant = L::tenant(&user).map(str::to_owned);
        let mut identity = Identity::new(user, owner, Mechanism::ApiKey)
            .token_id(id)
            .scopes(scopes)
            .issued_at(created_at);
        if let Some(tenant) = tenant {
            identity = identity.tenant(tenant);
        }
        Ok(match expires_at {
            Some(at) => identity.expires_at(at),
            None => identity,
        })
    }
    /// The `X-API-Key` header.
    fn schemes(&self) -> Vec<crate::Scheme> {
        vec![crate::Scheme::header(http::HeaderName::from_static(HEADER))]
    }
}

impl<S, L> fmt::Debug for ApiKeyAuthenticator<S, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyAuthenticator")
            .field("store", &std::any::type_name::<S>())
            .field("touch_interval", &self.touch_interval)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]

    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::api_key::key::tests::CONSTANT_TIME_COMPARISONS;
    use crate::api_key::{
        ApiKeyRecord, ApiKeyStore, ApiKeys, MemoryApiKeyStore, PlaintextKey, StoredApiKey,
    };
    use crate::revocation::StoreError;
    use crate::{Scopes, authenticate};

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    /// A store that counts the calls it gets, and can be made to fail.
    #[derive(Default)]
    struct Counting {
        inner: MemoryApiKeyStore,
        finds: AtomicUsize,
        touches: AtomicUsize,
        fail_finds: std::sync::atomic::AtomicBool,
        fail_touches: std::sync::atomic::AtomicBool,
    }

    fn down() -> AuthError {
        AuthError::unavailable("api key store", StoreError::UnexpectedReply)
    }

    impl ApiKeyStore for Counting {
        async fn insert(&self, key: &StoredApiKey) -> Result<(), AuthError> {
            self.inner.insert(key).await
        }
        async fn find(&self, id: &str) -> Result<Option<StoredApiKey>, AuthError> {
            self.finds.fetch_add(1, Ordering::SeqCst);
            if self.fail_finds.load(Ordering::SeqCst) {
                return Err(down());
            }
            self.inner.find(id).await
        }
        async fn list(&self, owner: &str) -> Result<Vec<ApiKeyRecord>, AuthError> {
            self.inner.list(owner).await
        }
        async fn revoke(&self, owner: &str, id: &str) -> Result<bool, AuthError> {
            self.inner.revoke(owner, id).await
        }
        async fn touch(&self, id: &str, at: SystemTime) -> Result<(), AuthError> {
            self.touches.fetch_add(1, Ordering::SeqCst);
            if self.fail_touches.load(Ordering::SeqCst) {
                return Err(down());
            }
            self.inner.touch(id, at).await
        }
    }

    /// Users `alice` and `bob`; `down` fails.
    struct Users;

    impl LoadUser for Users {
        type User = String;
        async fn load(&self, subject: &str) -> Result<Option<String>, AuthError> {
            match subject {
                "alice" | "bob" => Ok(Some(subject.to_uppercase())),
                "down" => Err(down()),
                _ => Ok(None),
            }
        }
        /// Alice's record says she is in tenant `acme`; Bob's names none.
        fn tenant(user: &String) -> Option<&str> {
            (user == "ALICE").then_some("acme")
        }
    }

    struct Fixture {
        store: Arc<Counting>,
        keys: ApiKeys<Arc<Counting>>,
        authenticator: ApiKeyAuthenticator<Arc<Counting>, Users>,
    }

    fn fixture() -> Fixture {
        let store = Arc::new(Counting::default());
        Fixture {
            keys: ApiKeys::new(Arc::clone(&store)),
            authenticator: ApiKeyAuthenticator::new(Arc::clone(&store), Users),
            store,
        }
    }

    impl Fixture {
        async fn key(
            &self,
            owner: &str,
            expires_in: Option<Duration>,
        ) -> (PlaintextKey, ApiKeyRecord) {
            let granted = Scopes::from_space_separated("orders:read orders:write");
            self.keys
                .create(owner, &granted, "test", ["orders:read"], expires_in)
                .await
                .unwrap()
        }

        async fn send(
            &self,
            request: http::request::Builder,
        ) -> Result<crate::Authenticated<String>, AuthError> {
            let (parts, ()) = request.body(()).unwrap().into_parts();
            authenticate(&self.authenticator, &parts).await
        }

        fn finds(&self) -> usize {
            self.store.finds.load(Ordering::SeqCst)
        }
    }

    fn with_key(key: &str) -> http::request::Builder {
        http::Request::builder().header(HEADER, key)
    }

    fn assert_token_error(
        result: Result<crate::Authenticated<String>, AuthError>,
        expected: TokenError,
    ) {
        match result {
            Err(AuthError::InvalidToken(got)) => assert_eq!(got, expected),
            other => panic!("expected a 401 {expected:?}, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_key_authenticates_its_owner_with_the_keys_scopes() {
        block_on(async {
            let f = fixture();
            let (key, record) = f.key("alice", Some(Duration::from_secs(3600))).await;
            let before = CONSTANT_TIME_COMPARISONS.with(std::cell::Cell::get);
            let user = f.send(with_key(key.expose())).await.unwrap();
            assert_eq!(
                CONSTANT_TIME_COMPARISONS.with(std::cell::Cell::get),
                before + 1
            );
            assert_eq!(*user, "ALICE");
            let info = user.info();
            assert_eq!(info.subject(), "alice");
            assert_eq!(info.mechanism(), Mechanism::ApiKey);
            assert_eq!(info.token_id(), Some(record.id()));
            assert_eq!(info.scopes().as_str(), "orders:read");
            assert_eq!(info.issued_at(), Some(record.created_at()));
            assert_eq!(info.expires_at(), record.expires_at());
            // The tenant comes from the owner's record (`LoadUser::tenant`).
            assert_eq!(info.tenant(), Some("acme"));
            let (bobs, _) = f.key("bob", None).await;
            let bob = f.send(with_key(bobs.expose())).await.unwrap();
            assert_eq!(bob.info().tenant(), None);
            // The header name is case-insensitive, as HTTP says.
            f.send(http::Request::builder().header("X-API-Key", key.expose()))
                .await
                .unwrap();
        });
    }

    #[test]
    fn no_header_is_missing_credentials_and_the_query_string_is_never_read() {
        block_on(async {
            let f = fixture();
            let (key, _) = f.key("alice", None).await;
            for uri in [
                "/".to_owned(),
                format!("/?api_key={}", key.expose()),
                format!("/?key={}", key.expose()),
                format!("/?x-api-key={}", key.expose()),
            ] {
                let result = f.send(http::Request::builder().uri(uri.as_str())).await;
                assert!(
                    matches!(result, Err(AuthError::MissingCredentials)),
                    "{uri}: {result:?}"
                );
            }
            // Another scheme's header is not an API key either.
            let bearer = http::Request::builder()
                .header("authorization", format!("Bearer {}", key.expose()));
            assert!(matches!(
                f.send(bearer).await,
                Err(AuthError::MissingCredentials)
            ));
            assert_eq!(f.finds(), 0);
        });
    }

    #[test]
    fn two_headers_are_a_401_even_when_both_are_valid() {
        block_on(async {
            let f = fixture();
            let (key, _) = f.key("alice", None).await;
            let request = with_key(key.expose()).header(HEADER, key.expose());
            let result = f.send(request).await;
            assert_eq!(result.as_ref().unwrap_err().status().as_u16(), 401);
            assert_token_error(result, TokenError::Malformed);
            assert_eq!(f.finds(), 0);
        });
    }

    #[test]
    fn a_malformed_key_is_a_401_without_a_store_lookup() {
        block_on(async {
            let f = fixture();
            let (key, _) = f.key("alice", None).await;
            let text = key.expose();
            let mut typo = text.as_bytes().to_vec();
            typo[30] = if typo[30] == b'a' { b'b' } else { b'a' };
            let values: Vec<http::HeaderValue> = vec![
                http::HeaderValue::from_bytes(&typo).unwrap(),
                http::HeaderValue::from_str(&text.to_uppercase()).unwrap(),
                http::HeaderValue::from_str(&format!(" {text}")).unwrap(),
                http::HeaderValue::from_str(&format!("Bearer {text}")).unwrap(),
                http::HeaderValue::from_static(""),
                http::HeaderValue::from_bytes(b"oak_\xff\xfe").unwrap(),
                http::HeaderValue::from_bytes("oak_é".as_bytes()).unwrap(),
                http::HeaderValue::from_bytes(&[b'\t'; 80]).unwrap(),
            ];
            for value in values {
                let result = f
                    .send(http::Request::builder().header(HEADER, value.clone()))
                    .await;
                assert_token_error(result, TokenError::Malformed);
            }
            assert_eq!(f.finds(), 0, "a malformed key never reaches the store");
        });
    }

    #[test]
    fn an_unknown_a_forged_and_a_revoked_key_are_refused() {
        block_on(async {
            let f = fixture();
            let (key, record) = f.key("alice", None).await;
            // A well-formed key nobody created.
            let (stranger, _) = key::generate().unwrap();
            assert_token_error(
                f.send(with_key(stranger.expose())).await,
                TokenError::Revoked,
            );
            // The right id with another secret (and a checksum fixed up to match).
            let forged = forge(record.id());
            assert_token_error(
                f.send(with_key(&forged)).await,
                TokenError::InvalidSignature,
            );
            // Revoked: refused at once.
            f.send(with_key(key.expose())).await.unwrap();
            f.keys.revoke("alice", record.id()).await.unwrap();
            assert_token_error(f.send(with_key(key.expose())).await, TokenError::Revoked);
        });
    }

    /// A well-formed key with id `id` and a secret of its own.
    fn forge(id: &str) -> String {
        let (other, _) = key::generate().unwrap();
        let body = format!("oak_{id}_{}", &other.expose()[21..73]);
        let mut checksum = String::new();
        let digest = <sha2::Sha256 as sha2::Digest>::digest(body.as_bytes());
        super::super::key::tests::encode_for_tests(&digest[..4], &mut checksum);
        let forged = format!("{body}{checksum}");
        assert_eq!(key::parse(forged.as_bytes()).unwrap().id, id);
        forged
    }

    #[test]
    fn an_expired_key_is_refused() {
        block_on(async {
            let f = fixture();
            let (key, _) = f.key("alice", Some(Duration::from_millis(30))).await;
            f.send(with_key(key.expose())).await.unwrap();
            std::thread::sleep(Duration::from_millis(40));
            let result = f.send(with_key(key.expose())).await;
            assert_eq!(
                result.as_ref().unwrap_err().public_description(),
                "the access token expired"
            );
            assert_token_error(result, TokenError::Expired);
        });
    }

    #[test]
    fn the_owner_is_loaded_on_every_request() {
        block_on(async {
            let f = fixture();
            let (gone, _) = f.key("carol", None).await;
            assert_token_error(
                f.send(with_key(gone.expose())).await,
                TokenError::UnknownSubject,
            );
            let (down, _) = f.key("down", None).await;
            let err = f.send(with_key(down.expose())).await.unwrap_err();
            assert_eq!(err.status().as_u16(), 503);
            assert_eq!(err.retry_after(), Some(RETRY_AFTER));
        });
    }

    #[test]
    fn a_store_that_cannot_answer_is_a_503_never_an_allow() {
        block_on(async {
            let f = fixture();
            let (key, _) = f.key("alice", None).await;
            f.store.fail_finds.store(true, Ordering::SeqCst);
            let err = f.send(with_key(key.expose())).await.unwrap_err();
            assert!(matches!(err, AuthError::Unavailable { .. }), "{err:?}");
            let response = err.response("api");
            assert_eq!(response.status.as_u16(), 503);
            assert_eq!(response.retry_after, Some(1));
        });
    }

    #[test]
    fn last_use_is_recorded_at_most_once_per_interval_and_never_fails_a_request() {
        block_on(async {
            let f = fixture();
            let (key, record) = f.key("alice", None).await;
            assert_eq!(record.last_used_at(), None);
            let touches = || f.store.touches.load(Ordering::SeqCst);
            for _ in 0..5 {
                f.send(with_key(key.expose())).await.unwrap();
            }
            assert_eq!(touches(), 1, "one write per minute, not one per request");
            let used = f.keys.list("alice").await.unwrap()[0]
                .last_used_at()
                .unwrap();
            assert!(used >= record.created_at());

            // A short interval: the next use after it is recorded again.
            let f2 = Fixture {
                authenticator: ApiKeyAuthenticator::new(Arc::clone(&f.store), Users)
                    .with_touch_interval(Duration::from_millis(20)),
                keys: ApiKeys::new(Arc::clone(&f.store)),
                store: Arc::clone(&f.store),
            };
            std::thread::sleep(Duration::from_millis(30));
            f2.send(with_key(key.expose())).await.unwrap();
            f2.send(with_key(key.expose())).await.unwrap();
            assert_eq!(touches(), 2);
            let later = f.keys.list("alice").await.unwrap()[0]
                .last_used_at()
                .unwrap();
            assert!(later > used);

            // A store that cannot record the use does not fail the request.
            f.store.fail_touches.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(30));
            f2.send(with_key(key.expose())).await.unwrap();
            assert_eq!(touches(), 3);
        });
    }

    #[test]
    fn the_debug_output_names_no_secret() {
        let f = fixture();
        let shown = format!("{:?}", f.authenticator);
        assert!(shown.contains("ApiKeyAuthenticator"));
    }
}
