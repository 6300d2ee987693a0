//! The JWT side: bearer extraction, the JWS parser, JWK Sets and claims.
//!
//! Everything runs through the public API (`JwtAuthenticator`, `KeySet`) except the
//! claims parser, which only `auth_core::__fuzz` reaches without a signature.

use std::future::Future;
use std::pin::pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use auth_core::jwt::{
    Algorithm, EcAlgorithm, HmacAlgorithm, JwtAuthenticator, KeySet, Principal, PrincipalMapper,
    RolesClaim, RsaAlgorithm, VerifyingKey,
};
use auth_core::revocation::MemoryRevocationStore;
use auth_core::{AuthError, Authenticator, Identity};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use http::request::Parts;
use http::{HeaderName, HeaderValue};

/// The secret of the key set's default key (HS256, no `kid`): the harness signs
/// structured inputs with it, and the seed tokens are signed with it.
pub const HS256_SECRET: &[u8; 32] = b"auth-core fuzzing HS256 secret!!";

/// The secret of the `hs512` key.
pub const HS512_SECRET: &[u8; 64] = &[0x5a; 64];

/// The integration tests' public keys, compiled in.
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../tests/integration/fixtures/jwt/", $name))
    };
}

/// A key of every family: the default HS256 key, and `hs512`, `es256`, `es384`,
/// `rs256`, `ps256` and `ed` (the public halves of the integration tests' keys).
pub fn keys() -> KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| {
        let build = || -> Result<KeySet, auth_core::jwt::KeyError> {
            KeySet::new()
                .with_default_key(VerifyingKey::hmac(HmacAlgorithm::HS256, HS256_SECRET)?)?
                .with_key(
                    "hs512",
                    VerifyingKey::hmac(HmacAlgorithm::HS512, HS512_SECRET)?,
                )?
                .with_key(
                    "es256",
                    VerifyingKey::ec_pem(EcAlgorithm::ES256, fixture!("ec256.pub.pem"))?,
                )?
                .with_key(
                    "es384",
                    VerifyingKey::ec_pem(EcAlgorithm::ES384, fixture!("ec384.pub.pem"))?,
                )?
                .with_key(
                    "rs256",
                    VerifyingKey::rsa_pem(RsaAlgorithm::RS256, fixture!("rsa2048.pub.pem"))?,
                )?
                .with_key(
                    "ps256",
                    VerifyingKey::rsa_pem(RsaAlgorithm::PS256, fixture!("rsa2048.pub.pem"))?,
                )?
                .with_key(
                    "ed",
                    VerifyingKey::ed25519_pem(fixture!("ed25519.pub.pem"))?,
                )
        };
        build().unwrap_or_else(|e| panic!("the fuzzing key set: {e}"))
    })
    .clone()
}

type Authn = JwtAuthenticator<PrincipalMapper, MemoryRevocationStore>;

/// Defaults, Keycloak roles, the `Authorization` header only, no cache.
fn lenient() -> &'static Authn {
    static LENIENT: OnceLock<Authn> = OnceLock::new();
    LENIENT.get_or_init(|| {
        JwtAuthenticator::builder(
            keys(),
            PrincipalMapper::new().roles(RolesClaim::keycloak_realm()),
        )
        .revocation(MemoryRevocationStore::new())
        .without_verified_token_cache()
        .build()
        .unwrap_or_else(|e| panic!("lenient authenticator: {e}"))
    })
}

/// Every option on: issuer, audience, `typ`, the cookie `at`, a small size limit and
/// a fresh verified-token cache (built per input, so runs stay deterministic).
fn strict() -> Authn {
    JwtAuthenticator::builder(
        keys(),
        PrincipalMapper::new().roles(RolesClaim::path("groups")),
    )
    .issuer("https://issuer.example")
    .audience("api")
    .require_type("at+jwt")
    .cookie("at")
    .max_token_bytes(1024)
    .verified_token_cache(2)
    .revocation(MemoryRevocationStore::new())
    .build()
    .unwrap_or_else(|e| panic!("strict authenticator: {e}"))
}

/// Target `bearer`: a header set, one `name:value` per line (the value as is,
/// any bytes `HeaderValue` allows), through both authenticators.
pub fn bearer(data: &[u8]) {
    let request = request_parts(data);
    check(block_on(lenient().authenticate(&request)));
    check(block_on(strict().authenticate(&request)));
}

/// Whether the lenient and the strict authenticator accept `request`.
pub fn accepted(request: &Parts) -> (bool, bool) {
    (
        block_on(lenient().authenticate(request)).is_ok(),
        block_on(strict().authenticate(request)).is_ok(),
    )
}

/// The request of `bearer`'s input. Lines whose name or value `http` refuses are
/// dropped: no HTTP stack could hand them over.
pub fn request_parts(data: &[u8]) -> Parts {
    let (mut parts, ()) = http::Request::new(()).into_parts();
    for line in data.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = line.split_at(colon);
        let value = value.get(1..).unwrap_or_default();
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            parts.headers.append(name, value);
        }
    }
    parts
}

/// Target `jws`: a token, or `<header JSON>\0<payload JSON>` that the harness
/// encodes and signs with the default HS256 key, so the header parser, the claims
/// parser and validation all see arbitrary JSON.
pub fn jws(data: &[u8]) {
    let token = match data.iter().position(|&b| b == 0) {
        Some(nul) => {
            let (header, payload) = data.split_at(nul);
            let payload = payload.get(1..).unwrap_or_default();
            let token = sign_hs256(header, payload);
            // A token the verifier accepts has a header and claims that serde_json
            // reads as objects: the strict parsers accept nothing it refuses.
            if block_on(lenient().verify(&token)).is_ok() {
                assert_serde_json_reads_an_object(header);
                assert_serde_json_reads_an_object(payload);
            }
            token
        }
        None => match std::str::from_utf8(data) {
            Ok(token) => token.to_owned(),
            Err(_) => {
                // Not text: only the header path can carry it (where the bearer
                // syntax refuses it before the JWS parser).
                let mut value = b"Bearer ".to_vec();
                value.extend_from_slice(data);
                if let Ok(value) = HeaderValue::from_bytes(&value) {
                    let (mut parts, ()) = http::Request::new(()).into_parts();
                    parts.headers.append(http::header::AUTHORIZATION, value);
                    check(block_on(lenient().authenticate(&parts)));
                }
                return;
            }
        },
    };
    check(block_on(lenient().verify(&token)));
    // The second call is answered from the verified-token cache when the first
    // succeeded: it must give the same answer.
    let strict = strict();
    let first = block_on(strict.verify(&token));
    let second = block_on(strict.verify(&token));
    assert_eq!(
        format!("{first:?}"),
        format!("{second:?}"),
        "the cached answer differs"
    );
    check(first);
}

/// `header.payload.signature` over the given JSON bytes, signed with [`HS256_SECRET`].
pub fn sign_hs256(header: &[u8], payload: &[u8]) -> String {
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(HS256_SECRET)
        .unwrap_or_else(|e| panic!("HMAC key: {e}"));
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// Target `jwk`: JSON text as a JWK Set, pinned and not, and as a single JWK.
pub fn jwk(data: &[u8]) {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    for set in [
        KeySet::from_jwk_set(json),
        KeySet::from_jwk_set_pinned(json, Algorithm::RS256),
        KeySet::from_jwk_set_pinned(json, Algorithm::EdDSA),
    ] {
        match set {
            Ok(keys) => {
                assert!(!keys.is_empty(), "a JWK Set was accepted without a key");
                let _ = format!("{keys:?}");
                for skipped in keys.skipped() {
                    let _ = (skipped.kid(), skipped.reason().to_string());
                }
            }
            Err(error) => {
                let _ = error.to_string();
            }
        }
    }
    for key in [
        KeySet::new().with_jwk(json),
        KeySet::new().with_jwk_pinned(json, Algorithm::ES256),
    ] {
        match key {
            Ok(keys) => assert_eq!(keys.len(), 1, "one JWK, one key"),
            Err(error) => {
                let _ = error.to_string();
            }
        }
    }
}

/// Target `claims`: a JWT payload through the strict claims parser, then every
/// accessor, on the borrowed claims and on their owned copy (which caches).
pub fn claims(data: &[u8]) {
    let parsed = auth_core::__fuzz::parse_claims(data);
    if parsed.is_ok() {
        assert_serde_json_reads_an_object(data);
    }
    let Ok(claims) = parsed else {
        return;
    };
    assert!(!claims.subject().is_empty());
    let _ = (
        claims.issuer(),
        claims.audience().collect::<Vec<_>>(),
        claims.expires_at(),
        claims.not_before(),
        claims.issued_at(),
        claims.auth_time(),
        claims.token_id(),
        claims.session_id(),
        claims.amr().collect::<Vec<_>>(),
        claims.has_scope("a"),
        claims.contains("tenant"),
        claims.get::<serde_json::Value>("tenant"),
        claims.get::<&str>("tenant"),
        claims.get::<Vec<String>>("groups"),
    );
    let paths = [
        RolesClaim::keycloak_realm(),
        RolesClaim::keycloak_client("api"),
        RolesClaim::top_level("groups"),
        RolesClaim::path("a.b.c"),
    ];
    let owned = claims.clone().into_owned();
    assert_eq!(owned.scopes(), claims.scopes());
    assert_eq!(owned.subject(), claims.subject());
    for path in &paths {
        let borrowed = claims.roles(path);
        // Twice: the owned claims remember the first path read.
        assert_eq!(owned.roles(path), borrowed, "owned roles differ");
        assert_eq!(owned.roles(path), borrowed, "remembered roles differ");
    }
}

/// JSON a strict parser accepted is an object to serde_json too: the strict parsers
/// refuse everything serde_json refuses. Except serde_json's nesting limit (127),
/// which the claims parser applies per claim value: a limit, not a JSON error.
fn assert_serde_json_reads_an_object(json: &[u8]) {
    let lax = serde_json::from_slice::<serde_json::Value>(json);
    assert!(
        match &lax {
            Ok(value) => value.is_object(),
            Err(error) => error.to_string().starts_with("recursion limit exceeded"),
        },
        "accepted JSON that serde_json reads as {lax:?}"
    );
}

/// What every authenticator answer must be: an identity, or one of the errors a
/// request's credential can cause (never a 5xx: the key set and store are local).
fn check(result: Result<Identity<Principal>, AuthError>) {
    match result {
        Ok(identity) => {
            let _ = format!("{identity:?}");
        }
        Err(error) => {
            assert!(
                matches!(
                    error,
                    AuthError::MissingCredentials
                        | AuthError::InvalidRequest { .. }
                        | AuthError::InvalidToken(_)
                ),
                "unexpected error: {error:?}"
            );
            let response = error.response("fuzz");
            assert!(response.status.is_client_error(), "{error:?}: {response:?}");
            let _ = error.to_string();
        }
    }
}

/// Runs a future that never waits: the key set is fixed and the revocation store
/// is in memory.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the authenticator waited on a fixed key set"),
    }
}
