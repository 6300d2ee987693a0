//! The issuing side: `TokenIssuer` and `SigningKey`.
//!
//! Tokens go through the real `JwtAuthenticator` (leeway 0, so an `iat` or `nbf`
//! stamped in the future would be caught). The session flows (rotation, reuse,
//! logout, logout everywhere) run against the memory stores and, when
//! `redis-server` is on `PATH`, against a Redis server the test starts on a free
//! loopback port, with the issuer and the authenticator on two connections (two
//! instances of a service). Without `redis-server` the Redis tests are skipped
//! with a note, except under `CI=true`, where that is a failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod jwt_support;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_core::jwt::{
    AccessClaims, ConfigError, DEFAULT_ACCESS_TTL, EcAlgorithm, HmacAlgorithm, IssuerConfigError,
    JwtAuthenticator, KeyError, KeySet, MAX_ACCESS_TTL, Principal, RsaAlgorithm, SigningKey,
    SigningKeyError, TokenIssuer,
};
use auth_core::revocation::{
    CUTOFF_CLAIM, MemoryRefreshStore, MemoryRevocationStore, RefreshStore, RevocationStore,
    SubjectCutoffs,
};
use auth_core::{AuthError, Authenticated, HasRoles as _, TokenError, authenticate};
use auth_tests::audit::capture;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jwt_support::service::{Service, claims, mapper, memory_service, signing_key};
use jwt_support::{
    AUDIENCE, HMAC_SECRET, ISSUER, assert_invalid, assert_refused_grant, bearer, every_algorithm,
    fixture, good_claims, hmac_key, json, now, sign,
};
use serde_json::{Value, json};

// --- fixtures -------------------------------------------------------------------

/// The JSON of a token's header and payload, decoded without verification.
fn decode(token: &str) -> (Value, Value) {
    let mut parts = token.split('.');
    let mut part = || -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap()
    };
    (part(), part())
}

fn keys_of(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

// --- access tokens ----------------------------------------------------------------

/// Every claim of a login's access token with a scope and two extra claims.
const LOGIN_CLAIMS: [&str; 13] = [
    "iss",
    "aud",
    "sub",
    "iat",
    "nbf",
    "exp",
    "jti",
    "sid",
    CUTOFF_CLAIM,
    "roles",
    "scope",
    "tenant",
    "amr",
];

/// Every claim of a direct access token without scope or extra claims.
const DIRECT_CLAIMS: [&str; 9] = [
    "iss",
    "aud",
    "sub",
    "iat",
    "nbf",
    "exp",
    "jti",
    CUTOFF_CLAIM,
    "roles",
];

#[tokio::test]
async fn every_algorithm_round_trips_through_the_authenticator() {
    let mut verified = Vec::new();
    for (alg, signing, public) in every_algorithm() {
        let revocations = Arc::new(MemoryRevocationStore::new());
        let issuer =
            TokenIssuer::builder(signing, Arc::clone(&revocations), MemoryRefreshStore::new())
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .key_id(alg)
                .build()
                .unwrap();
        assert_eq!(issuer.algorithm().as_str(), alg);

        // A verifier configured the way a separate service would be: the public key
        // from its own file, nothing taken from the issuer.
        let independent =
            JwtAuthenticator::builder(KeySet::new().with_key(alg, public).unwrap(), mapper())
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .require_type("at+jwt")
                .leeway(Duration::ZERO)
                .revocation(Arc::clone(&revocations))
                .build()
                .unwrap();
        // And the one the issuer presets.
        let preset = issuer
            .authenticator_builder(mapper())
            .leeway(Duration::ZERO)
            .revocation(Arc::clone(&revocations))
            .build()
            .unwrap();

        let pair = issuer
            .login(&format!("user-{alg}"), &claims(&["admin", alg]))
            .await
            .unwrap();
        let alone = issuer
            .issue_access_token("service-account", &claims(&["robot"]))
            .await
            .unwrap();
        for auth in [&independent, &preset] {
            let user = authenticate(auth, &bearer(pair.access_token()))
                .await
                .unwrap_or_else(|error| panic!("{alg} token refused: {error:?}"));
            assert_eq!(user.subject(), format!("user-{alg}"));
            assert!(user.has_role("admin") && user.has_role(alg));
            assert!(user.scopes().contains("orders:write"));
            assert_eq!(user.info().token_id(), Some(pair.access().token_id()));
            assert_eq!(user.info().expires_at(), Some(pair.access().expires_at()));

            let robot = authenticate(auth, &bearer(alone.as_str())).await.unwrap();
            assert_eq!(robot.subject(), "service-account");
        }
        verified.push(alg);
    }
    assert_eq!(verified.len(), 12, "{verified:?}");
}

#[tokio::test]
async fn access_tokens_carry_exactly_the_specified_claims_and_header() {
    let service = memory_service();
    let before = now();
    let pair = service
        .issuer
        .login(
            "user-1",
            &AccessClaims::new()
                .roles(["customer", "auditor"])
                .scope(" orders:read   orders:write ")
                .claim("tenant", "acme")
                .unwrap()
                .claim("amr", ["pwd"])
                .unwrap(),
        )
        .await
        .unwrap();
    let after = now();

    let (header, payload) = decode(pair.access_token());
    assert_eq!(
        header,
        json!({"alg": "HS256", "typ": "at+jwt", "kid": "k1"})
    );
    assert_eq!(keys_of(&payload), BTreeSet::from(LOGIN_CLAIMS));
    // `sid` names the login session (the refresh family), so a logout can end
    // every access token of it.
    assert_eq!(payload["sid"], pair.family().id.as_str());
    assert_eq!(payload["iss"], ISSUER);
    assert_eq!(payload["aud"], AUDIENCE);
    assert_eq!(payload["sub"], "user-1");
    let iat = payload["iat"].as_u64().unwrap();
    assert!(
        (before..=after).contains(&iat),
        "{before} <= {iat} <= {after}"
    );
    assert_eq!(payload["nbf"], iat);
    assert_eq!(payload["exp"], iat + 900);
    assert_eq!(payload["jti"], pair.access().token_id());
    // The subject had no revocation cutoff at the login: the token says so, and
    // any cutoff will revoke it, whatever its `iat`.
    assert_eq!(payload[CUTOFF_CLAIM], 0);
    assert_eq!(payload["roles"], json!(["customer", "auditor"]));
    assert_eq!(payload["scope"], "orders:read orders:write");
    assert_eq!(payload["tenant"], "acme");
    assert_eq!(payload["amr"], json!(["pwd"]));

    // The `jti`: the login's family id and 128 random bits, both base64url.
    let jti = payload["jti"].as_str().unwrap();
    let (family, random) = jti.split_once('.').unwrap();
    assert_eq!(family, pair.family().id);
    assert_eq!(URL_SAFE_NO_PAD.decode(random).unwrap().len(), 16);
    assert_eq!(URL_SAFE_NO_PAD.decode(family).unwrap().len(), 16);

    // No key id configured: no `kid`. No scope: no `scope`; roles stay an array.
    // Several audiences: `aud` is an array.
    let issuer = TokenIssuer::builder(
        signing_key(),
        MemoryRevocationStore::new(),
        MemoryRefreshStore::new(),
    )
    .issuer(ISSUER)
    .audience("a")
    .audience("b")
    .build()
    .unwrap();
    let token = issuer
        .issue_access_token("user-2", &AccessClaims::new())
        .await
        .unwrap();
    let (header, payload) = decode(token.as_str());
    assert_eq!(header, json!({"alg": "HS256", "typ": "at+jwt"}));
    assert_eq!(keys_of(&payload), BTreeSet::from(DIRECT_CLAIMS));
    assert_eq!(payload["aud"], json!(["a", "b"]));
    assert_eq!(payload["roles"], json!([]));
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(payload["jti"].as_str().unwrap())
            .unwrap()
            .len(),
        16
    );
}

#[tokio::test]
async fn access_tokens_live_15_minutes_by_default_and_as_configured() {
    assert_eq!(DEFAULT_ACCESS_TTL, Duration::from_secs(15 * 60));
    let service = memory_service();
    assert_eq!(service.issuer.access_ttl(), DEFAULT_ACCESS_TTL);
    let pair = service.login("user-1", &["customer"]).await;
    assert_eq!(pair.expires_in(), DEFAULT_ACCESS_TTL);
    let access = pair.access();
    assert_eq!(
        access
            .expires_at()
            .duration_since(access.issued_at())
            .unwrap(),
        DEFAULT_ACCESS_TTL
    );

    // The OAuth token response (RFC 6749 §5.1).
    let response = serde_json::to_value(&pair).unwrap();
    assert_eq!(
        response,
        json!({
            "access_token": pair.access_token(),
            "token_type": "Bearer",
            "expires_in": 900,
            "refresh_token": pair.refresh_token(),
        })
    );

    let issuer = TokenIssuer::builder(
        signing_key(),
        MemoryRevocationStore::new(),
        MemoryRefreshStore::new(),
    )
    .issuer(ISSUER)
    .audience(AUDIENCE)
    .access_ttl(Duration::from_secs(60))
    .build()
    .unwrap();
    let token = issuer
        .issue_access_token("user-1", &AccessClaims::new())
        .await
        .unwrap();
    let (_, payload) = decode(token.as_str());
    assert_eq!(
        payload["exp"].as_u64().unwrap() - payload["iat"].as_u64().unwrap(),
        60
    );
}

#[tokio::test]
async fn authenticator_builder_pins_the_issuers_own_iss() {
    // Another service that shares the signing key (a copied HMAC secret, one key
    // for two issuers) mints a token that is right in every way but `iss`.
    let service = memory_service();
    let other = "https://other-service.example";
    let mut claims = good_claims();
    claims.insert("iss".into(), other.into());
    let foreign = sign(
        jsonwebtoken::Algorithm::HS256,
        &hmac_key(),
        r#"{"alg":"HS256","kid":"k1","typ":"at+jwt"}"#,
        &json(&claims),
    );
    assert_invalid(service.verify(&foreign).await, TokenError::InvalidIssuer);

    // An `issuer(..)` that contradicts the issuer's own is a configuration error,
    // not a silent override that would let the foreign token in.
    let builder = || {
        service
            .issuer
            .authenticator_builder(mapper())
            .dangerous_without_revocation()
    };
    match builder().issuer(other).build() {
        Err(error) => assert_eq!(
            error,
            ConfigError::IssuerMismatch {
                pinned: ISSUER.to_owned(),
                pinned_by: "the token issuer",
                configured: other.to_owned(),
            }
        ),
        Ok(auth) => panic!(
            "`issuer` silently replaced the pinned issuer; the foreign token is {:?}",
            auth.verify(&foreign).await.map(|_| "accepted")
        ),
    }
    let same = builder().issuer(ISSUER).build().unwrap();
    assert_invalid(same.verify(&foreign).await, TokenError::InvalidIssuer);

    // Accepting it takes the dangerous door, by name.
    let any = builder().dangerous_accept_any_issuer().build().unwrap();
    assert_eq!(
        any.verify(&foreign).await.unwrap().info().subject(),
        "user-1"
    );
    assert_eq!(
        builder()
            .issuer(other)
            .dangerous_accept_any_issuer()
            .build()
            .unwrap_err(),
        ConfigError::AnyIssuerConflict
    );
}

#[test]
fn the_issuer_configuration_is_checked_at_build() {
    let builder = || {
        TokenIssuer::builder(
            signing_key(),
            MemoryRevocationStore::new(),
            MemoryRefreshStore::new(),
        )
    };
    let error = |result: Result<TokenIssuer<_, _>, IssuerConfigError>| result.unwrap_err();
    assert_eq!(
        error(builder().audience(AUDIENCE).build()),
        IssuerConfigError::MissingIssuer
    );
    assert_eq!(
        error(builder().issuer("").audience(AUDIENCE).build()),
        IssuerConfigError::EmptyIssuer
    );
    assert_eq!(
        error(builder().issuer(ISSUER).build()),
        IssuerConfigError::MissingAudience
    );
    assert_eq!(
        error(builder().issuer(ISSUER).audience("").build()),
        IssuerConfigError::EmptyAudience
    );
    let ok = || builder().issuer(ISSUER).audience(AUDIENCE);
    assert_eq!(
        error(ok().key_id("").build()),
        IssuerConfigError::EmptyKeyId
    );
    assert!(matches!(
        error(ok().access_ttl(Duration::from_millis(999)).build()),
        IssuerConfigError::AccessTtl { seconds: 0, .. }
    ));
    assert!(matches!(
        error(
            ok().access_ttl(MAX_ACCESS_TTL + Duration::from_secs(1))
                .build()
        ),
        IssuerConfigError::AccessTtl { .. }
    ));
    assert_eq!(
        error(
            ok().access_ttl(Duration::from_secs(600))
                .refresh_ttl(Duration::from_secs(599))
                .build()
        ),
        IssuerConfigError::RefreshTtl {
            seconds: 599,
            minimum: 600
        }
    );
    assert!(ok().access_ttl(MAX_ACCESS_TTL).build().is_ok());
    let issuer = ok().build().unwrap();
    // Nothing secret in its debug output.
    let debug = format!("{issuer:?}");
    assert!(!debug.contains("test-only hmac secret"), "{debug}");
}

#[tokio::test]
async fn token_ids_and_refresh_tokens_are_random_and_opaque() {
    let service = memory_service();
    let mut seen = HashSet::new();
    for _ in 0..50 {
        let pair = service.login("user-1", &["customer"]).await;
        let refresh = pair.refresh_token();
        // 256 bits of base64url, and not a JWT.
        assert_eq!(refresh.len(), 43, "{refresh}");
        assert_eq!(URL_SAFE_NO_PAD.decode(refresh).unwrap().len(), 32);
        assert!(!refresh.contains('.'));
        for value in [
            refresh.to_owned(),
            pair.access().token_id().to_owned(),
            pair.family().id.clone(),
        ] {
            assert!(seen.insert(value), "a random value repeated");
        }
        // Debug output leaves both tokens out.
        let debug = format!("{pair:?}");
        assert!(!debug.contains(refresh) && !debug.contains(pair.access_token()));
    }
}

#[tokio::test]
async fn an_empty_subject_is_refused() {
    let service = memory_service();
    let error = service
        .issuer
        .login("", &AccessClaims::new())
        .await
        .unwrap_err();
    assert_eq!(error.status().as_u16(), 503, "{error:?}");
}

// --- signing keys ---------------------------------------------------------------

/// The DER body of a PEM fixture.
fn der(name: &str) -> Vec<u8> {
    let text = String::from_utf8(fixture(name)).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap()
}

#[test]
fn signing_keys_are_checked_once_and_never_echoed() {
    // PKCS#1 works for RSA, and DER as PEM does.
    assert!(SigningKey::rsa_pem(RsaAlgorithm::RS256, fixture("rsa2048.pkcs1.pem")).is_ok());
    assert!(SigningKey::rsa_der(RsaAlgorithm::PS256, der("rsa2048.pem")).is_ok());
    assert!(SigningKey::rsa_der(RsaAlgorithm::RS512, der("rsa2048.pkcs1.pem")).is_ok());
    assert!(SigningKey::ec_der(EcAlgorithm::ES384, der("ec384.pem")).is_ok());
    assert!(SigningKey::ed25519_der(der("ed25519.pem")).is_ok());

    // The public half is derived and matches the published public key.
    let signing = SigningKey::ec_pem(EcAlgorithm::ES256, fixture("ec256.pem")).unwrap();
    assert_eq!(signing.verifying_key().algorithm().as_str(), "ES256");

    let cases: Vec<(&str, Result<SigningKey, SigningKeyError>)> = vec![
        (
            "public key",
            SigningKey::rsa_pem(RsaAlgorithm::RS256, fixture("rsa2048.pub.pem")),
        ),
        (
            "weak secret",
            SigningKey::hmac(HmacAlgorithm::HS512, &HMAC_SECRET[..63]),
        ),
        (
            "blank secret",
            SigningKey::hmac(HmacAlgorithm::HS256, [b' '; 32]),
        ),
        (
            "wrong curve",
            SigningKey::ec_pem(EcAlgorithm::ES256, fixture("ec384.pem")),
        ),
        (
            "EC key as RSA",
            SigningKey::rsa_pem(RsaAlgorithm::RS256, fixture("ec256.pem")),
        ),
        (
            "RSA key as Ed25519",
            SigningKey::ed25519_pem(fixture("rsa2048.pem")),
        ),
        (
            "Ed25519 key as EC",
            SigningKey::ec_pem(EcAlgorithm::ES256, fixture("ed25519.pem")),
        ),
        ("not PEM", SigningKey::ed25519_pem("not a key")),
        (
            "SEC1",
            SigningKey::ec_pem(
                EcAlgorithm::ES256,
                "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
            ),
        ),
    ];
    let pem_body = String::from_utf8(fixture("ec384.pem")).unwrap();
    for (case, result) in cases {
        let error = result.expect_err(case);
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("MIG"), "{case}: {shown}");
        assert!(!pem_body.lines().skip(1).any(|line| shown.contains(line)));
        assert!(!shown.contains("test-only hmac secret"), "{case}: {shown}");
        match case {
            "public key" => assert_eq!(error, SigningKeyError::PublicKey),
            "weak secret" => assert!(matches!(
                error,
                SigningKeyError::Key(KeyError::WeakHmacSecret { length: 63, .. })
            )),
            "blank secret" => assert!(matches!(
                error,
                SigningKeyError::Key(KeyError::BlankHmacSecret { .. })
            )),
            "not PEM" => assert_eq!(error, SigningKeyError::InvalidPem),
            "SEC1" => assert!(matches!(error, SigningKeyError::PemLabel { .. })),
            _ => assert!(
                matches!(error, SigningKeyError::InvalidKey { .. }),
                "{case}: {error:?}"
            ),
        }
    }
    let debug = format!("{:?}", signing_key());
    assert!(!debug.contains("test-only"), "{debug}");
}

// --- sessions: the flows, for any stores ------------------------------------------

async fn rotation<R, F, A>(service: &Service<R, F, A>)
where
    R: SubjectCutoffs,
    F: RefreshStore,
    A: RevocationStore,
{
    let first = service.login("alice", &["customer"]).await;
    assert!(service.verify(first.access_token()).await.is_ok());

    let second = service
        .refresh(first.refresh_token(), &["customer"])
        .await
        .unwrap();
    assert_ne!(second.refresh_token(), first.refresh_token());
    assert_ne!(second.access().token_id(), first.access().token_id());
    assert_eq!(second.family().id, first.family().id);
    assert_eq!(
        second.family().authenticated_at,
        first.family().authenticated_at
    );
    let user = service.verify(second.access_token()).await.unwrap();
    assert_eq!(user.subject(), "alice");

    // The chain goes on with the newest token.
    let third = service
        .refresh(second.refresh_token(), &["customer"])
        .await
        .unwrap();
    assert!(service.verify(third.access_token()).await.is_ok());
}

async fn reuse_revokes_the_family<R, F, A>(service: &Service<R, F, A>)
where
    R: SubjectCutoffs,
    F: RefreshStore,
    A: RevocationStore,
{
    let stolen = service.login("alice", &["customer"]).await;
    let other_session = service.login("alice", &["customer"]).await;
    let rotated = service
        .refresh(stolen.refresh_token(), &["customer"])
        .await
        .unwrap();
    let newest = service
        .refresh(rotated.refresh_token(), &["customer"])
        .await
        .unwrap();

    // A used token that is not the immediate predecessor is presented again:
    // reuse, whatever the grace window.
    assert_refused_grant(
        service.issuer.refresh(stolen.refresh_token()).await,
        TokenError::Revoked,
    );
    // The family is dead: its newest token is refused too, and so is the
    // predecessor, grace window or not.
    for refresh in [newest.refresh_token(), rotated.refresh_token()] {
        assert_refused_grant(service.issuer.refresh(refresh).await, TokenError::Revoked);
    }
    // And so is every access token of the session, old or new: the thief may
    // hold one.
    for access in [
        stolen.access_token(),
        rotated.access_token(),
        newest.access_token(),
    ] {
        assert_invalid(service.verify(access).await, TokenError::Revoked);
    }
    // Another login of the same user is untouched.
    assert!(
        service
            .refresh(other_session.refresh_token(), &["customer"])
            .await
            .is_ok()
    );
}

async fn logout_ends_the_token_and_its_family<R, F, A>(service: &Service<R, F, A>)
where
    R: SubjectCutoffs,
    F: RefreshStore,
    A: RevocationStore,
{
    let phone = service.login("alice", &["customer"]).await;
    let earlier = service.login("alice", &["customer"]).await;
    let laptop = service
        .refresh(earlier.refresh_token(), &["customer"])
        .await
        .unwrap();

    let user = service.verify(laptop.access_token()).await.unwrap();
    service.issuer.logout(&user).await.unwrap();

    assert_invalid(
        service.verify(laptop.access_token()).await,
        TokenError::Revoked,
    );
    // An access token from before the last refresh belongs to the same session.
    assert_invalid(
        service.verify(earlier.access_token()).await,
        TokenError::Revoked,
    );
    assert_refused_grant(
        service.issuer.refresh(laptop.refresh_token()).await,
        TokenError::Revoked,
    );
    // The other session goes on.
    assert!(service.verify(phone.access_token()).await.is_ok());
    assert!(
        service
            .refresh(phone.refresh_token(), &["customer"])
            .await
            .is_ok()
    );
}

async fn logout_all_ends_every_session_and_a_new_login_works<R, F, A>(service: &Service<R, F, A>)
where
    R: SubjectCutoffs,
    F: RefreshStore,
    A: RevocationStore,
{
    let phone = service.login("alice", &["customer"]).await;
    let laptop = service.login("alice", &["customer"]).await;
    // A rotation must not launder a session past the cutoff.
    let laptop = service
        .refresh(laptop.refresh_token(), &["customer"])
        .await
        .unwrap();
    let bob = service.login("bob", &["customer"]).await;

    service.issuer.logout_all("alice").await.unwrap();

    for old in [&phone, &laptop] {
        assert_invalid(
            service.verify(old.access_token()).await,
            TokenError::SubjectRevoked,
        );
        assert_refused_grant(
            service.issuer.refresh(old.refresh_token()).await,
            TokenError::SubjectRevoked,
        );
        // And the family is now revoked for good.
        assert_refused_grant(
            service.issuer.refresh(old.refresh_token()).await,
            TokenError::Revoked,
        );
    }

    // Right after, most likely in the same second: a login works, at once (the
    // verifier has no leeway), and so does its refresh.
    let again = service.login("alice", &["customer"]).await;
    let user = service.verify(again.access_token()).await.unwrap();
    assert_eq!(user.subject(), "alice");
    let refreshed = service
        .refresh(again.refresh_token(), &["customer"])
        .await
        .unwrap();
    assert!(service.verify(refreshed.access_token()).await.is_ok());

    // Other subjects are untouched.
    assert!(service.verify(bob.access_token()).await.is_ok());
}

/// A refresh whose answer never reached the client (the rotation ran, the
/// response was lost): the client's retry with the token it still holds is a
/// retry within the grace window, not a reuse, and the session goes on.
async fn a_lost_refresh_answer_can_be_retried<R, F, A>(service: &Service<R, F, A>)
where
    R: SubjectCutoffs,
    F: RefreshStore,
    A: RevocationStore,
{
    let first = service.login("alice", &["customer"]).await;
    // The rotation runs; its answer is lost (the grant is dropped unanswered).
    let lost = service.issuer.refresh(first.refresh_token()).await.unwrap();
    assert!(!lost.is_retry());
    drop(lost);
    // The retry, as often as it takes within the window (the first retry's
    // answer may be lost too).
    for _ in 0..2 {
        let grant = service.issuer.refresh(first.refresh_token()).await.unwrap();
        assert!(grant.is_retry());
        assert_eq!(grant.family().id, first.family().id);
        drop(grant);
    }
    let grant = service.issuer.refresh(first.refresh_token()).await.unwrap();
    let second = service
        .issuer
        .finish_refresh(grant, &claims(&["customer"]))
        .await
        .unwrap();
    assert_eq!(second.family().id, first.family().id);
    assert!(service.verify(second.access_token()).await.is_ok());
    // The session goes on with the token the retry handed out.
    let third = service
        .refresh(second.refresh_token(), &["customer"])
        .await
        .unwrap();
    assert!(service.verify(third.access_token()).await.is_ok());
    // `first` is two rotations old now: a reuse, which ends the family.
    assert_refused_grant(
        service.issuer.refresh(first.refresh_token()).await,
        TokenError::Revoked,
    );
    assert_refused_grant(
        service.issuer.refresh(third.refresh_token()).await,
        TokenError::Revoked,
    );
    assert_invalid(
        service.verify(third.access_token()).await,
        TokenError::Revoked,
    );
}

/// The attack the grace window opens: a thief holding the token the user's
/// last refresh used up, within the window. The thief gets a pair, and the
/// user's successor is used from then on, so the user's next refresh is a reuse
/// that ends the session, the thief's tokens included. A family never has two
/// live refresh tokens.
async fn a_stolen_predecessor_within_the_window_ends_the_session_at_the_next_refresh<R, F, A>(
    service: &Service<R, F, A>,
) where
    R: SubjectCutoffs,
    F: RefreshStore,
    A: RevocationStore,
{
    let stolen = service.login("alice", &["customer"]).await;
    let user = service
        .refresh(stolen.refresh_token(), &["customer"])
        .await
        .unwrap();
    let thief = service
        .refresh(stolen.refresh_token(), &["customer"])
        .await
        .expect("within the window the predecessor works like the current token");
    assert!(service.verify(thief.access_token()).await.is_ok());
    // The user refreshes: reuse of a replaced successor, the family ends.
    assert_refused_grant(
        service.issuer.refresh(user.refresh_token()).await,
        TokenError::Revoked,
    );
    for refresh in [thief.refresh_token(), stolen.refresh_token()] {
        assert_refused_grant(service.issuer.refresh(refresh).await, TokenError::Revoked);
    }
    for access in [thief.access_token(), user.access_token()] {
        assert_invalid(service.verify(access).await, TokenError::Revoked);
    }
}

/// Two refreshes of one token at once (two tabs, a double submit): both are
/// answered, one as a rotation and one as a retry, and only the token handed
/// out last stays live: the other one's next refresh is a reuse.
async fn racing_refreshes_leave_one_live_refresh_token<R, F, A>(service: &Service<R, F, A>)
where
    R: SubjectCutoffs,
    F: RefreshStore,
    A: RevocationStore,
{
    let first = service.login("alice", &["customer"]).await;
    let (x, y) = tokio::join!(
        service.issuer.refresh(first.refresh_token()),
        service.issuer.refresh(first.refresh_token()),
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_ne!(x.is_retry(), y.is_retry(), "one rotation, one retry");
    let (winner, loser) = if x.is_retry() { (x, y) } else { (y, x) };
    let customer = claims(&["customer"]);
    let loser = service
        .issuer
        .finish_refresh(loser, &customer)
        .await
        .unwrap();
    let winner = service
        .issuer
        .finish_refresh(winner, &customer)
        .await
        .unwrap();
    assert!(service.verify(winner.access_token()).await.is_ok());
    assert_refused_grant(
        service.issuer.refresh(loser.refresh_token()).await,
        TokenError::Revoked,
    );
    assert_refused_grant(
        service.issuer.refresh(winner.refresh_token()).await,
        TokenError::Revoked,
    );
}

/// The scope granted at the login lives with the family: a refresh that asks
/// for more gets the login's scope, never more (RFC 6749 §6).
async fn a_refresh_never_widens_the_login_scope<R, F, A>(service: &Service<R, F, A>)
where
    R: SubjectCutoffs,
    F: RefreshStore,
    A: RevocationStore,
{
    let narrow = AccessClaims::new().roles(["customer"]).scope("orders:read");
    let pair = service.issuer.login("alice", &narrow).await.unwrap();
    let grant = service.issuer.refresh(pair.refresh_token()).await.unwrap();
    assert_eq!(grant.scope().as_str(), "orders:read");
    let wide = AccessClaims::new()
        .roles(["customer"])
        .scope("orders:write orders:read admin");
    let pair = service.issuer.finish_refresh(grant, &wide).await.unwrap();
    let user = service.verify(pair.access_token()).await.unwrap();
    assert_eq!(user.scopes().as_str(), "orders:read");
}

/// A service whose issuer has a `grace` window, on the memory stores.
fn memory_service_with_grace(grace: Duration) -> jwt_support::service::MemoryService {
    let revocations = Arc::new(MemoryRevocationStore::new());
    let issuer = TokenIssuer::builder(
        signing_key(),
        Arc::clone(&revocations),
        MemoryRefreshStore::new(),
    )
    .issuer(ISSUER)
    .audience(AUDIENCE)
    .refresh_grace(grace)
    .build()
    .unwrap();
    Service::new(issuer, revocations)
}

/// After the window, the predecessor is a reuse like any used token.
async fn the_predecessor_after_the_window_is_a_reuse<R, F, A>(
    service: &Service<R, F, A>,
    grace: Duration,
) where
    R: SubjectCutoffs,
    F: RefreshStore,
    A: RevocationStore,
{
    let first = service.login("alice", &["customer"]).await;
    let second = service
        .refresh(first.refresh_token(), &["customer"])
        .await
        .unwrap();
    tokio::time::sleep(grace + Duration::from_millis(200)).await;
    assert_refused_grant(
        service.issuer.refresh(first.refresh_token()).await,
        TokenError::Revoked,
    );
    assert_refused_grant(
        service.issuer.refresh(second.refresh_token()).await,
        TokenError::Revoked,
    );
    assert_invalid(
        service.verify(second.access_token()).await,
        TokenError::Revoked,
    );
}

// --- sessions: memory stores ------------------------------------------------------

#[tokio::test]
async fn refresh_rotates() {
    rotation(&memory_service()).await;
}

#[tokio::test]
async fn a_refresh_whose_answer_was_lost_can_be_retried_within_the_grace_window() {
    a_lost_refresh_answer_can_be_retried(&memory_service()).await;
}

#[tokio::test]
async fn a_stolen_predecessor_within_the_grace_window_ends_the_session_at_the_next_refresh() {
    a_stolen_predecessor_within_the_window_ends_the_session_at_the_next_refresh(&memory_service())
        .await;
}

#[tokio::test]
async fn racing_refreshes_of_one_token_leave_one_live_refresh_token() {
    racing_refreshes_leave_one_live_refresh_token(&memory_service()).await;
}

#[tokio::test]
async fn a_refresh_never_widens_the_scope_granted_at_the_login() {
    a_refresh_never_widens_the_login_scope(&memory_service()).await;
}

#[tokio::test]
async fn the_predecessor_after_the_grace_window_is_a_reuse() {
    let grace = Duration::from_millis(300);
    the_predecessor_after_the_window_is_a_reuse(&memory_service_with_grace(grace), grace).await;
}

#[tokio::test]
async fn without_a_grace_window_the_predecessor_is_a_reuse_at_once() {
    let service = memory_service_with_grace(Duration::ZERO);
    let first = service.login("alice", &["customer"]).await;
    let second = service
        .refresh(first.refresh_token(), &["customer"])
        .await
        .unwrap();
    assert_refused_grant(
        service.issuer.refresh(first.refresh_token()).await,
        TokenError::Revoked,
    );
    assert_refused_grant(
        service.issuer.refresh(second.refresh_token()).await,
        TokenError::Revoked,
    );
}

#[test]
fn a_grace_window_longer_than_five_minutes_is_refused() {
    let built = TokenIssuer::builder(
        signing_key(),
        Arc::new(MemoryRevocationStore::new()),
        MemoryRefreshStore::new(),
    )
    .issuer(ISSUER)
    .audience(AUDIENCE)
    .refresh_grace(Duration::from_secs(301))
    .build();
    assert!(matches!(
        built,
        Err(IssuerConfigError::RefreshGrace {
            seconds: 301,
            maximum: 300
        })
    ));
}

#[tokio::test]
async fn reusing_a_refresh_token_revokes_its_family() {
    reuse_revokes_the_family(&memory_service()).await;
}

#[tokio::test]
async fn logout_revokes_the_access_token_and_the_family() {
    logout_ends_the_token_and_its_family(&memory_service()).await;
}

#[tokio::test]
async fn logout_all_revokes_older_tokens_and_a_login_right_after_works() {
    logout_all_ends_every_session_and_a_new_login_works(&memory_service()).await;
}

#[tokio::test]
async fn a_refresh_after_a_role_change_carries_the_new_roles() {
    let service = memory_service();
    // The source of truth.
    let users = Mutex::new(HashMap::from([("dave", vec!["admin"])]));

    let roles = users.lock().unwrap()["dave"].clone();
    let pair = service.login("dave", &roles).await;
    assert!(
        service
            .verify(pair.access_token())
            .await
            .unwrap()
            .has_role("admin")
    );

    // Carol demotes dave.
    users.lock().unwrap().insert("dave", vec!["customer"]);

    let grant = service.issuer.refresh(pair.refresh_token()).await.unwrap();
    let roles = users.lock().unwrap()[grant.subject()].clone();
    let pair = service
        .issuer
        .finish_refresh(grant, &AccessClaims::new().roles(roles))
        .await
        .unwrap();
    let user = service.verify(pair.access_token()).await.unwrap();
    assert!(user.has_role("customer"));
    assert!(!user.has_role("admin"));
}

#[tokio::test]
async fn a_refresh_can_be_rejected_by_the_application() {
    let service = memory_service();
    let pair = service.login("erin", &["customer"]).await;
    let grant = service.issuer.refresh(pair.refresh_token()).await.unwrap();
    // Erin was deleted meanwhile.
    service.issuer.reject_refresh(grant).await.unwrap();
    assert_refused_grant(
        service.issuer.refresh(pair.refresh_token()).await,
        TokenError::Revoked,
    );
}

#[tokio::test]
async fn malformed_and_unknown_refresh_tokens_are_refused() {
    let service = memory_service();
    let pair = service.login("alice", &["customer"]).await;
    let padded = format!("{}=", pair.refresh_token());
    for malformed in ["", "garbage", pair.access_token(), &padded] {
        assert_refused_grant(
            service.issuer.refresh(malformed).await,
            TokenError::Malformed,
        );
    }
    let unknown = URL_SAFE_NO_PAD.encode([7_u8; 32]);
    assert_refused_grant(service.issuer.refresh(&unknown).await, TokenError::Revoked);
    // A refresh token is no access token.
    assert_invalid(
        service.verify(pair.refresh_token()).await,
        TokenError::Malformed,
    );
}

#[test]
fn a_reuse_is_audited_without_the_token() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let service = memory_service();
    let (tokens, events) = capture(|| {
        runtime.block_on(async {
            let first = service.login("mallory-victim", &["customer"]).await;
            let second = service
                .refresh(first.refresh_token(), &["customer"])
                .await
                .unwrap();
            // Past the predecessor: `first` is two rotations old now.
            let _third = service
                .refresh(second.refresh_token(), &["customer"])
                .await
                .unwrap();
            let reuse = service.issuer.refresh(first.refresh_token()).await;
            assert!(reuse.is_err());
            (first, second)
        })
    });
    let (first, second) = tokens;
    let reuse = events
        .iter()
        .find(|e| e.get("decision").map(String::as_str) == Some("refresh_refused"))
        .expect("a refresh_refused event");
    assert_eq!(
        reuse.get("principal").map(String::as_str),
        Some("mallory-victim")
    );
    assert_eq!(
        reuse.get("family").map(String::as_str),
        Some(first.family().id.as_str())
    );
    assert!(reuse.get("reason").unwrap().contains("reused"));
    assert!(
        events
            .iter()
            .any(|e| e.get("decision").map(String::as_str) == Some("issued"))
    );
    for event in &events {
        for value in event.values() {
            for secret in [
                first.refresh_token(),
                second.refresh_token(),
                first.access_token(),
                second.access_token(),
            ] {
                assert!(!value.contains(secret), "a token reached the audit log");
            }
        }
    }
}

#[test]
fn issuer_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let service = memory_service();
    let claims = AccessClaims::new();
    send(&service.issuer.login("a", &claims));
    send(&service.issuer.refresh("r"));
    send(&service.issuer.logout_all("a"));
    send(&service.issuer.issue_access_token("a", &claims));
}

// --- sessions: Redis, shared by two instances ----------------------------------------

#[cfg(unix)]
mod redis {
    use auth_integration::redis_server::RedisServer;

    use super::jwt_support::service::redis::{RedisService, WAIT, redis_service};
    use super::*;

    /// Runs `flow` against a fresh server, bounded by [`WAIT`] per flow.
    macro_rules! with_redis {
        ($flow:ident) => {{
            let Some(server) = RedisServer::start() else {
                return;
            };
            let service = redis_service(&server).await;
            tokio::time::timeout(WAIT * 3, $flow(&service))
                .await
                .expect("the flow finishes in time");
        }};
    }

    #[tokio::test]
    async fn redis_refresh_rotates() {
        with_redis!(rotation);
    }

    #[tokio::test]
    async fn redis_reusing_a_refresh_token_revokes_its_family() {
        with_redis!(reuse_revokes_the_family);
    }

    #[tokio::test]
    async fn redis_a_refresh_whose_answer_was_lost_can_be_retried_within_the_grace_window() {
        with_redis!(a_lost_refresh_answer_can_be_retried);
    }

    #[tokio::test]
    async fn redis_a_stolen_predecessor_within_the_grace_window_ends_the_session() {
        with_redis!(a_stolen_predecessor_within_the_window_ends_the_session_at_the_next_refresh);
    }

    #[tokio::test]
    async fn redis_racing_refreshes_of_one_token_leave_one_live_refresh_token() {
        with_redis!(racing_refreshes_leave_one_live_refresh_token);
    }

    #[tokio::test]
    async fn redis_a_refresh_never_widens_the_scope_granted_at_the_login() {
        with_redis!(a_refresh_never_widens_the_login_scope);
    }

    #[tokio::test]
    async fn redis_logout_revokes_the_access_token_and_the_family() {
        with_redis!(logout_ends_the_token_and_its_family);
    }

    #[tokio::test]
    async fn redis_logout_all_revokes_older_tokens_and_a_login_right_after_works() {
        with_redis!(logout_all_ends_every_session_and_a_new_login_works);
    }

    #[tokio::test]
    async fn redis_down_fails_closed() {
        let Some(mut server) = RedisServer::start() else {
            return;
        };
        let service = redis_service(&server).await;
        let pair = service.login("alice", &["customer"]).await;
        let user = service.verify(pair.access_token()).await.unwrap();
        server.kill();

        let unavailable = |result: Result<(), AuthError>| {
            let error = result.unwrap_err();
            assert_eq!(error.status().as_u16(), 503, "{error:?}");
        };
        let customer = claims(&["customer"]);
        let login = service.issuer.login("alice", &customer);
        unavailable(tokio::time::timeout(WAIT, login).await.unwrap().map(drop));
        let refresh = service.issuer.refresh(pair.refresh_token());
        unavailable(tokio::time::timeout(WAIT, refresh).await.unwrap().map(drop));
        let logout = service.issuer.logout(&user);
        unavailable(tokio::time::timeout(WAIT, logout).await.unwrap());
        let logout_all = service.issuer.logout_all("alice");
        unavailable(tokio::time::timeout(WAIT, logout_all).await.unwrap());
    }

    #[test]
    fn redis_issuer_futures_are_send() {
        fn send<T: Send>(_: &T) {}
        fn check(service: &RedisService, user: &Authenticated<Principal>) {
            let claims = AccessClaims::new();
            send(&service.issuer.login("a", &claims));
            send(&service.issuer.refresh("r"));
            send(&service.issuer.logout(user));
            send(&service.issuer.logout_all("a"));
        }
        let _ = check;
    }
}

#[tokio::test]
async fn guest_tokens_authenticate_as_guests_with_a_subject_of_their_own() {
    let service = memory_service();
    let first = service
        .issuer
        .issue_guest_token(&AccessClaims::new().scope("products:read"))
        .await
        .unwrap();
    let second = service
        .issuer
        .issue_guest_token(&AccessClaims::new())
        .await
        .unwrap();
    let guest = service.verify(first.as_str()).await.unwrap();
    assert_eq!(guest.info().mechanism(), auth_core::Mechanism::Guest);
    assert!(guest.subject().starts_with("guest:"), "{}", guest.subject());
    assert!(guest.scopes().contains("products:read"));
    let other = service.verify(second.as_str()).await.unwrap();
    assert_ne!(
        guest.subject(),
        other.subject(),
        "every guest is its own subject"
    );

    // A user's token is never a guest's, and no login can mint one by claim.
    let user = service.login("user-1", &["customer"]).await;
    let user = service.verify(user.access_token()).await.unwrap();
    assert_eq!(user.info().mechanism(), auth_core::Mechanism::BearerToken);
    assert!(matches!(
        AccessClaims::new().claim(auth_core::jwt::GUEST_CLAIM, true),
        Err(auth_core::jwt::ClaimError::Reserved(_))
    ));
    // A token that says `"urn:auth-core:guest": "yes"` is malformed, not a user.
    let mut claims = good_claims();
    claims.insert(auth_core::jwt::GUEST_CLAIM.into(), "yes".into());
    let odd = sign(
        jsonwebtoken::Algorithm::HS256,
        &hmac_key(),
        r#"{"alg":"HS256","kid":"k1","typ":"at+jwt"}"#,
        &json(&claims),
    );
    assert_invalid(
        service.verify(&odd).await,
        TokenError::InvalidClaim(auth_core::jwt::GUEST_CLAIM),
    );
}

#[tokio::test]
async fn a_step_up_login_carries_amr_acr_and_auth_time_to_the_principal() {
    let service = memory_service();
    let at = now();
    let claims = claims(&["admin"])
        .claim("amr", ["pwd", "otp"])
        .unwrap()
        .claim("acr", auth_core::gate::ACR_MFA)
        .unwrap()
        .claim("auth_time", at)
        .unwrap();
    let pair = service.issuer.login("user-1", &claims).await.unwrap();
    let user = service.verify(pair.access_token()).await.unwrap();
    assert_eq!(user.info().amr(), ["pwd", "otp"]);
    assert_eq!(user.info().acr(), Some(auth_core::gate::ACR_MFA));
    assert!(auth_core::gate::mfa(&user).is_allowed());
    assert!(auth_core::gate::fresh(&user, 300).is_allowed());
    assert!(matches!(
        AccessClaims::new().claim("acr", 2),
        Err(auth_core::jwt::ClaimError::WrongType { claim: "acr", .. })
    ));
}
