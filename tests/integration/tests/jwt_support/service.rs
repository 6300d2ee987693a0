//! A service as the session tests see it: the issuer of one instance and the
//! authenticator of (possibly) another, on shared stores, in memory or in Redis.

use std::sync::Arc;
use std::time::Duration;

use auth_core::jwt::{
    AccessClaims, HmacAlgorithm, JwtAuthenticator, Principal, PrincipalMapper, RolesClaim,
    SigningKey, TokenIssuer, TokenPair,
};
use auth_core::revocation::{
    MemoryRefreshStore, MemoryRevocationStore, RefreshStore, RevocationStore, SubjectCutoffs,
};
use auth_core::{AuthError, Authenticated, authenticate};

use super::{AUDIENCE, HMAC_SECRET, ISSUER, bearer};

/// The HS256 key every issuer of these tests signs with.
pub(crate) fn signing_key() -> SigningKey {
    SigningKey::hmac(HmacAlgorithm::HS256, HMAC_SECRET).unwrap()
}

pub(crate) fn mapper() -> PrincipalMapper {
    PrincipalMapper::new().roles(RolesClaim::top_level("roles"))
}

pub(crate) fn claims(roles: &[&str]) -> AccessClaims {
    AccessClaims::new()
        .roles(roles.iter().copied())
        .scope("orders:read orders:write")
}

/// The issuer of a service and the authenticator of (possibly) another instance
/// of it, sharing revocations through `R` and `A`'s store.
pub(crate) struct Service<R, F, A> {
    pub(crate) issuer: TokenIssuer<R, F>,
    pub(crate) auth: JwtAuthenticator<PrincipalMapper, A>,
}

impl<R, F, A> Service<R, F, A>
where
    R: SubjectCutoffs,
    F: RefreshStore,
    A: RevocationStore,
{
    /// The authenticator has no leeway: a token stamped in the future is refused.
    pub(crate) fn new(issuer: TokenIssuer<R, F>, revocations_of_verifier: A) -> Self {
        Self::with_leeway(issuer, revocations_of_verifier, Duration::ZERO)
    }

    pub(crate) fn with_leeway(
        issuer: TokenIssuer<R, F>,
        revocations_of_verifier: A,
        leeway: Duration,
    ) -> Self {
        let auth = issuer
            .authenticator_builder(mapper())
            .leeway(leeway)
            .revocation(revocations_of_verifier)
            .build()
            .unwrap();
        Service { issuer, auth }
    }

    pub(crate) async fn verify(
        &self,
        access_token: &str,
    ) -> Result<Authenticated<Principal>, AuthError> {
        authenticate(&self.auth, &bearer(access_token)).await
    }

    pub(crate) async fn login(&self, subject: &str, roles: &[&str]) -> TokenPair {
        self.issuer.login(subject, &claims(roles)).await.unwrap()
    }

    /// A whole refresh: rotate, then mint with `roles`.
    pub(crate) async fn refresh(
        &self,
        refresh_token: &str,
        roles: &[&str],
    ) -> Result<TokenPair, AuthError> {
        let grant = self.issuer.refresh(refresh_token).await?;
        self.issuer.finish_refresh(grant, &claims(roles)).await
    }
}

pub(crate) type MemoryService =
    Service<Arc<MemoryRevocationStore>, MemoryRefreshStore, Arc<MemoryRevocationStore>>;

pub(crate) fn memory_service() -> MemoryService {
    let revocations = Arc::new(MemoryRevocationStore::new());
    let issuer = TokenIssuer::builder(
        signing_key(),
        Arc::clone(&revocations),
        MemoryRefreshStore::new(),
    )
    .issuer(ISSUER)
    .audience(AUDIENCE)
    .key_id("k1")
    .build()
    .unwrap();
    Service::new(issuer, revocations)
}

/// The same on Redis: each instance of the service has its own connection.
#[cfg(unix)]
pub(crate) mod redis {
    use std::time::Duration;

    use auth_core::jwt::TokenIssuer;
    use auth_core::revocation::{
        RedisConnection, RedisOptions, RedisRefreshStore, RedisRevocationStore,
    };
    use auth_integration::redis_server::RedisServer;

    use super::{AUDIENCE, ISSUER, Service, signing_key};

    /// The bound on each Redis call.
    pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(1);
    /// The bound on anything else a test awaits.
    pub(crate) const WAIT: Duration = Duration::from_secs(10);

    /// One instance's connection to the shared server.
    pub(crate) async fn connect(server: &RedisServer) -> RedisConnection {
        let options = RedisOptions::new(server.url())
            .prefix("issuer-test:")
            .timeout(CALL_TIMEOUT);
        tokio::time::timeout(WAIT, RedisConnection::connect(options))
            .await
            .expect("connect within the bound")
            .expect("connects to the test server")
    }

    pub(crate) type RedisService =
        Service<RedisRevocationStore, RedisRefreshStore, RedisRevocationStore>;

    /// The issuer on one instance, the authenticator on another: what one revokes,
    /// the other refuses.
    pub(crate) async fn redis_service(server: &RedisServer) -> RedisService {
        let issuing_instance = connect(server).await;
        let verifying_instance = connect(server).await;
        let issuer = TokenIssuer::builder(
            signing_key(),
            RedisRevocationStore::new(issuing_instance.clone()),
            RedisRefreshStore::new(issuing_instance),
        )
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .key_id("k1")
        .build()
        .unwrap();
        Service::new(issuer, RedisRevocationStore::new(verifying_instance))
    }
}
