//! Shared by the `jwt_*` tests: fixture keys, a token minter, a tiny revocation
//! store and request builders. Each test file uses part of it.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub(crate) mod service;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::jwt::{EcAlgorithm, HmacAlgorithm, RsaAlgorithm, SigningKey, VerifyingKey};
use auth_core::revocation::{RevocationStore, TokenRef};
use auth_core::{AuthError, TokenError};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::request::Parts;
use jsonwebtoken::{Algorithm as JwtAlgorithm, EncodingKey};

/// A 64-byte HMAC secret: long enough for HS256, HS384 and HS512.
pub(crate) const HMAC_SECRET: &[u8; 64] =
    b"test-only hmac secret, 64 bytes long, never used outside tests!!";

pub(crate) const ISSUER: &str = "https://issuer.example";
pub(crate) const AUDIENCE: &str = "orders-api";
pub(crate) const REALM: &str = "api";

/// The bytes of `tests/fixtures/jwt/<name>`.
pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/jwt/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

pub(crate) fn fixtures_dir() -> String {
    format!("{}/fixtures/jwt", env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// Signs `header.claims` (both JSON text, used byte for byte) with `jsonwebtoken`'s
/// AWS-LC signer, whatever backend auth-core verifies with.
pub(crate) fn sign(alg: JwtAlgorithm, key: &EncodingKey, header: &str, claims: &str) -> String {
    let signing_input = format!("{}.{}", b64(header), b64(claims));
    sign_input(alg, key, &signing_input)
}

/// Signs an already encoded signing input.
pub(crate) fn sign_input(alg: JwtAlgorithm, key: &EncodingKey, signing_input: &str) -> String {
    let signer = (jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.signer_factory)(&alg, key)
        .expect("signer for the test key");
    let signature = signer
        .try_sign(signing_input.as_bytes())
        .expect("signature");
    format!("{signing_input}.{}", b64(signature))
}

pub(crate) fn hmac_key() -> EncodingKey {
    EncodingKey::from_secret(HMAC_SECRET)
}

pub(crate) fn rsa_key() -> EncodingKey {
    EncodingKey::from_rsa_pem(&fixture("rsa2048.pem")).expect("rsa fixture")
}

pub(crate) fn ec256_key() -> EncodingKey {
    EncodingKey::from_ec_pem(&fixture("ec256.pem")).expect("ec256 fixture")
}

pub(crate) fn ec384_key() -> EncodingKey {
    EncodingKey::from_ec_pem(&fixture("ec384.pem")).expect("ec384 fixture")
}

pub(crate) fn ed25519_key() -> EncodingKey {
    EncodingKey::from_ed_pem(&fixture("ed25519.pem")).expect("ed25519 fixture")
}

/// Claims that pass the test authenticators' checks, as a JSON object to edit.
pub(crate) fn good_claims() -> serde_json::Map<String, serde_json::Value> {
    let now = now();
    let serde_json::Value::Object(claims) = serde_json::json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "iat": now - 10,
        "nbf": now - 10,
        "exp": now + 600,
        "jti": format!("jti-{}", next_id()),
        "scope": "orders:read orders:write",
    }) else {
        unreachable!()
    };
    claims
}

pub(crate) fn json(map: &serde_json::Map<String, serde_json::Value>) -> String {
    serde_json::to_string(map).expect("json")
}

/// An HS256 token with kid `hs` and these claims.
pub(crate) fn hs256(claims: &serde_json::Map<String, serde_json::Value>) -> String {
    sign(
        JwtAlgorithm::HS256,
        &hmac_key(),
        r#"{"alg":"HS256","kid":"hs"}"#,
        &json(claims),
    )
}

fn next_id() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A request whose head has these headers.
pub(crate) fn request(headers: &[(&str, &str)]) -> Parts {
    let mut builder = http::Request::builder().uri("https://api.example/orders");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).expect("request").into_parts().0
}

pub(crate) fn bearer(token: &str) -> Parts {
    request(&[("authorization", &format!("Bearer {token}"))])
}

/// Asserts a 401 `invalid_token` whose kind is `kind`.
#[track_caller]
pub(crate) fn assert_invalid<T: std::fmt::Debug>(result: Result<T, AuthError>, kind: TokenError) {
    match result {
        Err(error) => {
            let response = error.response(REALM);
            assert_eq!(response.status.as_u16(), 401, "{error:?}");
            assert_eq!(response.error, "invalid_token", "{error:?}");
            let challenge = response.www_authenticate.unwrap_or_default();
            assert!(
                challenge.contains(r#"error="invalid_token""#),
                "{challenge}"
            );
            assert!(
                matches!(&error, AuthError::InvalidToken(actual) if *actual == kind),
                "expected {kind:?}, got {error:?}"
            );
        }
        Ok(value) => panic!("accepted, expected {kind:?}: {value:?}"),
    }
}

/// Asserts a refused refresh: 400 `invalid_grant` (RFC 6749 §5.2), no
/// `WWW-Authenticate` challenge, and the refresh token's `kind`.
#[track_caller]
pub(crate) fn assert_refused_grant<T: std::fmt::Debug>(
    result: Result<T, AuthError>,
    kind: TokenError,
) {
    match result {
        Err(error) => {
            let response = error.response(REALM);
            assert_eq!(response.status.as_u16(), 400, "{error:?}");
            assert_eq!(response.error, "invalid_grant", "{error:?}");
            assert_eq!(response.www_authenticate, None, "{error:?}");
            assert!(
                matches!(
                    &error,
                    AuthError::InvalidGrant(auth_core::GrantError::RefreshToken(actual)) if *actual == kind
                ),
                "expected {kind:?}, got {error:?}"
            );
        }
        Ok(value) => panic!("accepted, expected {kind:?}: {value:?}"),
    }
}

/// Asserts a 401 `invalid_token` of any kind.
#[track_caller]
pub(crate) fn assert_invalid_token<T: std::fmt::Debug>(result: Result<T, AuthError>) -> TokenError {
    match result {
        Err(AuthError::InvalidToken(kind)) => {
            let response = AuthError::InvalidToken(kind).response(REALM);
            assert_eq!(response.status.as_u16(), 401);
            assert_eq!(response.error, "invalid_token");
            kind
        }
        other => panic!("expected 401 invalid_token, got {other:?}"),
    }
}

/// A revocation store small enough to read: revoked `jti`s, subject cutoffs, and a
/// switch that makes it fail like an unreachable server.
#[derive(Debug, Default)]
pub(crate) struct TestStore {
    tokens: Mutex<HashSet<String>>,
    subjects: Mutex<HashMap<String, SystemTime>>,
    down: AtomicBool,
    checks: AtomicUsize,
}

impl TestStore {
    pub(crate) fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    pub(crate) fn checks(&self) -> usize {
        self.checks.load(Ordering::SeqCst)
    }
}

impl RevocationStore for TestStore {
    async fn revoke_token(&self, token_id: &str, _expires_at: SystemTime) -> Result<(), AuthError> {
        self.tokens.lock().unwrap().insert(token_id.to_owned());
        Ok(())
    }

    async fn revoke_subject(
        &self,
        subject: &str,
        issued_before: SystemTime,
    ) -> Result<(), AuthError> {
        self.subjects
            .lock()
            .unwrap()
            .insert(subject.to_owned(), issued_before);
        Ok(())
    }

    async fn check(&self, token: &TokenRef<'_>) -> Result<(), AuthError> {
        self.checks.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(AuthError::unavailable(
                "revocation store",
                "connection refused",
            ));
        }
        if token
            .token_id
            .is_some_and(|id| self.tokens.lock().unwrap().contains(id))
        {
            return Err(TokenError::Revoked.into());
        }
        if let Some(cutoff) = self.subjects.lock().unwrap().get(token.subject) {
            // Without `iat` the token cannot prove it came after the cutoff.
            if token.issued_at.is_none_or(|iat| iat <= *cutoff) {
                return Err(TokenError::SubjectRevoked.into());
            }
        }
        Ok(())
    }
}

pub(crate) fn unix(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// Panics when `CI=true`, otherwise prints why the test is skipped.
#[allow(
    unused_imports,
    reason = "not every test file that includes this module skips"
)]
pub(crate) use auth_integration::python::skip_or_fail;

/// One signing key per supported algorithm, from `tests/fixtures/jwt/`, with the
/// public key a verifier would be configured with, loaded independently.
pub(crate) fn every_algorithm() -> Vec<(&'static str, SigningKey, VerifyingKey)> {
    let hmac = |alg| {
        (
            SigningKey::hmac(alg, HMAC_SECRET).unwrap(),
            VerifyingKey::hmac(alg, HMAC_SECRET).unwrap(),
        )
    };
    let rsa = |alg| {
        (
            SigningKey::rsa_pem(alg, fixture("rsa2048.pem")).unwrap(),
            VerifyingKey::rsa_pem(alg, fixture("rsa2048.pub.pem")).unwrap(),
        )
    };
    let ec = |alg, name: &str| {
        (
            SigningKey::ec_pem(alg, fixture(&format!("{name}.pem"))).unwrap(),
            VerifyingKey::ec_pem(alg, fixture(&format!("{name}.pub.pem"))).unwrap(),
        )
    };
    let ed = || {
        (
            SigningKey::ed25519_pem(fixture("ed25519.pem")).unwrap(),
            VerifyingKey::ed25519_pem(fixture("ed25519.pub.pem")).unwrap(),
        )
    };
    [
        ("HS256", hmac(HmacAlgorithm::HS256)),
        ("HS384", hmac(HmacAlgorithm::HS384)),
        ("HS512", hmac(HmacAlgorithm::HS512)),
        ("RS256", rsa(RsaAlgorithm::RS256)),
        ("RS384", rsa(RsaAlgorithm::RS384)),
        ("RS512", rsa(RsaAlgorithm::RS512)),
        ("PS256", rsa(RsaAlgorithm::PS256)),
        ("PS384", rsa(RsaAlgorithm::PS384)),
        ("PS512", rsa(RsaAlgorithm::PS512)),
        ("ES256", ec(EcAlgorithm::ES256, "ec256")),
        ("ES384", ec(EcAlgorithm::ES384, "ec384")),
        ("EdDSA", ed()),
    ]
    .into_iter()
    .map(|(alg, (signing, verifying))| (alg, signing, verifying))
    .collect()
}
