//! From verified claims to the application's user: identity metadata, roles and
//! scopes in their common shapes, a user store that sees a demotion at once, and the
//! verified-token cache (which must never skip revocation or expiry).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod jwt_support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use auth_core::jwt::{
    self, Claims, ClaimsMapper, HasSubject, HmacAlgorithm, JwtAuthenticator, KeySet,
    PrincipalMapper, RolesClaim, VerifyingKey,
};
use auth_core::revocation::RevocationStore as _;
use auth_core::{AuthError, HasRoles, Mechanism, TokenError, authenticate};
use jsonwebtoken::Algorithm as JwtAlgorithm;
use jwt_support::*;

fn keys() -> KeySet {
    KeySet::new()
        .with_key(
            "hs",
            VerifyingKey::hmac(HmacAlgorithm::HS256, HMAC_SECRET).unwrap(),
        )
        .unwrap()
}

#[tokio::test]
async fn identity_carries_the_token_metadata() {
    let auth = JwtAuthenticator::builder(
        keys(),
        PrincipalMapper::new().roles(RolesClaim::keycloak_realm()),
    )
    .audience(AUDIENCE)
    .revocation(TestStore::default())
    .build()
    .unwrap();
    let now = now();
    let mut claims = good_claims();
    claims.insert("auth_time".into(), (now - 100).into());
    claims.insert("amr".into(), serde_json::json!(["pwd", "otp"]));
    claims.insert(
        "realm_access".into(),
        serde_json::json!({"roles": ["admin", "user"]}),
    );
    let user = authenticate(&auth, &bearer(&hs256(&claims))).await.unwrap();

    let info = user.info();
    assert_eq!(info.subject(), "user-1");
    assert_eq!(info.mechanism(), Mechanism::BearerToken);
    assert_eq!(info.token_id(), claims["jti"].as_str());
    assert_eq!(info.issued_at(), Some(unix(now - 10)));
    assert_eq!(info.expires_at(), Some(unix(now + 600)));
    assert_eq!(info.auth_time(), Some(unix(now - 100)));
    assert_eq!(info.amr(), ["pwd", "otp"]);
    assert_eq!(user.scopes().as_str(), "orders:read orders:write");
    assert!(user.has_role("admin") && user.has_role("user") && !user.has_role("root"));
    assert_eq!(user.roles(), ["admin", "user"]);
}

#[tokio::test]
async fn scopes_and_roles_come_in_common_shapes() {
    let shapes = [
        // OAuth `scope`, space-separated.
        (serde_json::json!({"scope": "a b"}), "a b"),
        // Okta: `scp` array.
        (serde_json::json!({"scp": ["a", "b"]}), "a b"),
        // Azure AD: `scp` space-separated string.
        (serde_json::json!({"scp": "a b"}), "a b"),
        (serde_json::json!({"scope": "a", "scp": ["b"]}), "a b"),
    ];
    let auth = JwtAuthenticator::builder(keys(), PrincipalMapper::new())
        .audience(AUDIENCE)
        .dangerous_without_revocation()
        .build()
        .unwrap();
    for (extra, expected) in shapes {
        let mut claims = good_claims();
        claims.remove("scope");
        claims.extend(extra.as_object().unwrap().clone());
        let identity = auth.verify(&hs256(&claims)).await.unwrap();
        assert_eq!(identity.info().scopes().as_str(), expected);
    }
    let mut claims = good_claims();
    claims.insert("scp".into(), serde_json::json!([1]));
    assert_invalid(
        auth.verify(&hs256(&claims)).await,
        TokenError::InvalidClaim("scp"),
    );

    for (roles_claim, value) in [
        (
            RolesClaim::top_level("roles"),
            serde_json::json!({"roles": ["admin"]}),
        ),
        (
            RolesClaim::top_level("groups"),
            serde_json::json!({"groups": "admin"}),
        ),
        (
            RolesClaim::keycloak_client("orders-api"),
            serde_json::json!({"resource_access": {"orders-api": {"roles": ["admin"]}, "other": {"roles": ["x"]}}}),
        ),
        (
            RolesClaim::segments(["https://example.com/roles"]),
            serde_json::json!({"https://example.com/roles": ["admin"]}),
        ),
    ] {
        let auth = JwtAuthenticator::builder(keys(), PrincipalMapper::new().roles(roles_claim))
            .audience(AUDIENCE)
            .dangerous_without_revocation()
            .build()
            .unwrap();
        let mut claims = good_claims();
        claims.extend(value.as_object().unwrap().clone());
        let identity = auth.verify(&hs256(&claims)).await.unwrap();
        assert!(identity.user().has_role("admin"), "{value}");
        assert!(!identity.user().has_role("x"));
    }
}

#[tokio::test]
async fn a_closure_maps_custom_claims() {
    #[derive(Debug)]
    struct Tenant {
        user: String,
        tenant: String,
    }
    impl HasSubject for Tenant {
        fn canonical_subject(&self) -> std::borrow::Cow<'_, str> {
            self.user.as_str().into()
        }
    }
    let mapper = jwt::from_fn(|claims: &Claims<'_>| -> Result<Tenant, AuthError> {
        Ok(Tenant {
            user: claims.subject().to_owned(),
            tenant: claims
                .get::<String>("tenant")?
                .ok_or(TokenError::MissingClaim("tenant"))?,
        })
    });
    let auth = JwtAuthenticator::builder(keys(), mapper)
        .audience(AUDIENCE)
        .dangerous_without_revocation()
        .build()
        .unwrap();
    let mut claims = good_claims();
    claims.insert("tenant".into(), "acme".into());
    let identity = auth.verify(&hs256(&claims)).await.unwrap();
    assert_eq!(identity.user().tenant, "acme");
    assert_eq!(identity.user().user, "user-1");
    claims.insert("tenant".into(), 7.into());
    assert_invalid(
        auth.verify(&hs256(&claims)).await,
        TokenError::InvalidClaim("tenant"),
    );
    claims.remove("tenant");
    assert_invalid(
        auth.verify(&hs256(&claims)).await,
        TokenError::MissingClaim("tenant"),
    );
}

/// `tenant_claim`: the principal's tenant comes from a verified string claim,
/// which every token must then carry.
#[tokio::test]
async fn the_tenant_comes_from_the_configured_claim() {
    let auth = JwtAuthenticator::builder(keys(), PrincipalMapper::new())
        .audience(AUDIENCE)
        .tenant_claim("tid")
        .dangerous_without_revocation()
        .build()
        .unwrap();
    let mut claims = good_claims();
    claims.insert("tid".into(), "acme".into());
    let user = authenticate(&auth, &bearer(&hs256(&claims))).await.unwrap();
    assert_eq!(user.info().tenant(), Some("acme"));
    claims.insert("tid".into(), serde_json::json!(["acme"]));
    assert_invalid(
        auth.verify(&hs256(&claims)).await,
        TokenError::InvalidClaim("tid"),
    );
    claims.remove("tid");
    assert_invalid(
        auth.verify(&hs256(&claims)).await,
        TokenError::MissingClaim("tid"),
    );

    // Without `tenant_claim`, a `tid` claim sets nothing.
    let plain = JwtAuthenticator::builder(keys(), PrincipalMapper::new())
        .audience(AUDIENCE)
        .dangerous_without_revocation()
        .build()
        .unwrap();
    claims.insert("tid".into(), "acme".into());
    let user = authenticate(&plain, &bearer(&hs256(&claims)))
        .await
        .unwrap();
    assert_eq!(user.info().tenant(), None);
}

#[derive(Debug, Clone)]
struct User {
    id: String,
    admin: bool,
}

impl HasRoles for User {
    fn has_role(&self, role: &str) -> bool {
        role == "admin" && self.admin
    }
}

impl HasSubject for User {
    fn canonical_subject(&self) -> std::borrow::Cow<'_, str> {
        self.id.as_str().into()
    }
}

/// The source of truth: reloaded on every request.
#[derive(Default)]
struct UserStore {
    users: RwLock<HashMap<String, User>>,
    down: AtomicBool,
}

impl ClaimsMapper for UserStore {
    type User = User;

    async fn map(&self, claims: &Claims<'_>) -> Result<User, AuthError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(AuthError::unavailable("user store", "connection refused"));
        }
        self.users
            .read()
            .unwrap()
            .get(claims.subject())
            .cloned()
            .ok_or_else(|| TokenError::UnknownSubject.into())
    }
}

#[tokio::test]
async fn a_demoted_admin_is_refused_at_once() {
    let users = Arc::new(UserStore::default());
    users.users.write().unwrap().insert(
        "user-1".into(),
        User {
            id: "user-1".into(),
            admin: true,
        },
    );
    let auth = JwtAuthenticator::builder(keys(), Arc::clone(&users))
        .audience(AUDIENCE)
        .verified_token_cache(16)
        .revocation(TestStore::default())
        .build()
        .unwrap();
    // The token still says admin; only the store knows better.
    let mut claims = good_claims();
    claims.insert(
        "realm_access".into(),
        serde_json::json!({"roles": ["admin"]}),
    );
    let token = hs256(&claims);

    let admin = authenticate(&auth, &bearer(&token)).await.unwrap();
    assert!(admin.has_role("admin"));
    assert_eq!(admin.id, "user-1");

    users
        .users
        .write()
        .unwrap()
        .get_mut("user-1")
        .unwrap()
        .admin = false;
    let demoted = authenticate(&auth, &bearer(&token)).await.unwrap();
    assert!(
        !demoted.has_role("admin"),
        "the same (cached) token no longer makes an admin"
    );

    users.users.write().unwrap().remove("user-1");
    assert_invalid(
        authenticate(&auth, &bearer(&token)).await,
        TokenError::UnknownSubject,
    );

    users.down.store(true, Ordering::SeqCst);
    let error = authenticate(&auth, &bearer(&token)).await.unwrap_err();
    assert_eq!(error.response(REALM).status.as_u16(), 503);
}

#[tokio::test]
async fn the_cache_never_skips_revocation() {
    let store = Arc::new(TestStore::default());
    let auth = JwtAuthenticator::builder(keys(), PrincipalMapper::new())
        .audience(AUDIENCE)
        .verified_token_cache(16)
        .revocation(Arc::clone(&store))
        .build()
        .unwrap();
    let claims = good_claims();
    let token = sign(
        JwtAlgorithm::HS256,
        &hmac_key(),
        r#"{"alg":"HS256","kid":"hs"}"#,
        &json(&claims),
    );
    for _ in 0..3 {
        authenticate(&auth, &bearer(&token)).await.unwrap();
    }
    assert_eq!(
        store.checks(),
        3,
        "every request, cached or not, asks the store"
    );
    store
        .revoke_token(claims["jti"].as_str().unwrap(), unix(now() + 600))
        .await
        .unwrap();
    assert_invalid(
        authenticate(&auth, &bearer(&token)).await,
        TokenError::Revoked,
    );
    store.set_down(true);
    let error = authenticate(&auth, &bearer(&token)).await.unwrap_err();
    assert_eq!(error.response(REALM).status.as_u16(), 503);
}

#[tokio::test]
async fn the_cache_never_serves_an_expired_token() {
    let auth = JwtAuthenticator::builder(keys(), PrincipalMapper::new())
        .audience(AUDIENCE)
        .leeway(Duration::ZERO)
        .verified_token_cache(16)
        .dangerous_without_revocation()
        .build()
        .unwrap();
    let mut claims = good_claims();
    claims.insert("exp".into(), (now() + 1).into());
    let token = hs256(&claims);
    let _ = auth.verify(&token).await.unwrap();
    let _ = auth.verify(&token).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_invalid(auth.verify(&token).await, TokenError::Expired);
}

#[tokio::test]
async fn a_cached_token_is_still_the_exact_token() {
    let auth = JwtAuthenticator::builder(keys(), PrincipalMapper::new())
        .audience(AUDIENCE)
        .verified_token_cache(16)
        .dangerous_without_revocation()
        .build()
        .unwrap();
    let token = hs256(&good_claims());
    let _ = auth.verify(&token).await.unwrap();
    // A one-character change is a different key in the cache, and a bad signature.
    let (input, signature) = token.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
    let tampered = format!("{input}.{flipped}{}", &signature[1..]);
    assert_invalid_token(auth.verify(&tampered).await);
}

/// A user looked up by a number: `"01"`, `"+1"` and `"1"` all parse as 1.
#[derive(Debug)]
struct NumericUser(i64);

impl HasSubject for NumericUser {
    fn canonical_subject(&self) -> std::borrow::Cow<'_, str> {
        self.0.to_string().into()
    }
}

/// A mapper that parses `sub` as an integer, as the reference service does.
struct NumericUsers;

impl ClaimsMapper for NumericUsers {
    type User = NumericUser;

    async fn map(&self, claims: &Claims<'_>) -> Result<NumericUser, AuthError> {
        let id: i64 = claims
            .subject()
            .parse()
            .map_err(|_| TokenError::InvalidClaim("sub"))?;
        if id == 1 {
            Ok(NumericUser(id))
        } else {
            Err(TokenError::UnknownSubject.into())
        }
    }
}

/// A token whose `sub` is another spelling of the user's id is refused, even
/// though the mapper loads the user: revocation keys on `sub`, so it would be a
/// second identity of user 1 that a "log out everywhere" of `"1"` misses. The
/// identity of an accepted token names the canonical subject.
#[tokio::test]
async fn a_subject_that_is_not_the_users_canonical_one_is_refused() {
    let store = Arc::new(TestStore::default());
    let auth = JwtAuthenticator::builder(keys(), NumericUsers)
        .audience(AUDIENCE)
        .revocation(Arc::clone(&store))
        .build()
        .unwrap();
    let with_sub = |sub: &str| {
        let mut claims = good_claims();
        claims.insert("sub".into(), sub.into());
        hs256(&claims)
    };
    let user = authenticate(&auth, &bearer(&with_sub("1"))).await.unwrap();
    assert_eq!(user.subject(), "1");
    for sub in ["01", "+1", "001", "+01"] {
        // Each of these loads user 1, and is refused for it.
        assert_invalid(
            authenticate(&auth, &bearer(&with_sub(sub))).await,
            TokenError::InvalidClaim("sub"),
        );
    }
    for sub in [" 1", "1 ", "\u{661}", "\u{ff11}", "1e0"] {
        // These do not even parse; refused all the same.
        assert_invalid_token(authenticate(&auth, &bearer(&with_sub(sub))).await);
    }
    // "Log out everywhere" of user 1 ends the one identity there is.
    store.revoke_subject("1", unix(now() + 60)).await.unwrap();
    assert_invalid(
        authenticate(&auth, &bearer(&with_sub("1"))).await,
        TokenError::SubjectRevoked,
    );
    for sub in ["01", "+1"] {
        assert_invalid_token(authenticate(&auth, &bearer(&with_sub(sub))).await);
    }
}
