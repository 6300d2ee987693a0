//! The tokens, keys and verifiers the JWT benches share (`jwt`, `jwt_callgrind`):
//! one case per algorithm, with the key in every form each contender needs.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::jwt::{
    EcAlgorithm, HmacAlgorithm, JwtAuthenticator, KeySet, PrincipalMapper, RolesClaim,
    RsaAlgorithm, VerifyingKey,
};
use auth_core::revocation::MemoryRevocationStore;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const SECRET: &[u8] = b"auth-bench: a 32-byte HS256 key.";
pub const ISSUER: &str = "https://auth.example.com";
pub const AUDIENCE: &str = "orders-api";

pub const RSA_PRIVATE: &str = include_str!("../../integration/fixtures/jwt/rsa2048.pem");
pub const RSA_PUBLIC: &str = include_str!("../../integration/fixtures/jwt/rsa2048.pub.pem");
pub const EC_PRIVATE: &str = include_str!("../../integration/fixtures/jwt/ec256.pem");
pub const EC_PUBLIC: &str = include_str!("../../integration/fixtures/jwt/ec256.pub.pem");
pub const ED_PRIVATE: &str = include_str!("../../integration/fixtures/jwt/ed25519.pem");
pub const ED_PUBLIC: &str = include_str!("../../integration/fixtures/jwt/ed25519.pub.pem");

/// Nine claims, as an access token carries them; what raw `decode` deserializes.
#[derive(Debug, Serialize, Deserialize)]
pub struct TokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: u64,
    pub nbf: u64,
    pub iat: u64,
    pub jti: String,
    pub scope: String,
    pub roles: Vec<String>,
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

pub fn claims() -> TokenClaims {
    let now = unix_now();
    TokenClaims {
        iss: ISSUER.to_owned(),
        sub: "user-42".to_owned(),
        aud: AUDIENCE.to_owned(),
        exp: now + 3600,
        nbf: now,
        iat: now,
        jti: "0b5f8c3e-6d1a-4f0e-9a57-3c2d1e0f9b8a".to_owned(),
        scope: "orders:read orders:write".to_owned(),
        roles: vec!["customer".to_owned()],
    }
}

/// One algorithm's keys in every form the contenders need.
pub struct Case {
    pub alg: Algorithm,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    pub verifying: VerifyingKey,
}

pub fn cases() -> Vec<Case> {
    let rsa_private = EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("RSA private key");
    let rsa_public = DecodingKey::from_rsa_pem(RSA_PUBLIC.as_bytes()).expect("RSA public key");
    vec![
        Case {
            alg: Algorithm::HS256,
            encoding: EncodingKey::from_secret(SECRET),
            decoding: DecodingKey::from_secret(SECRET),
            verifying: VerifyingKey::hmac(HmacAlgorithm::HS256, SECRET).expect("HS256 key"),
        },
        Case {
            alg: Algorithm::RS256,
            encoding: rsa_private.clone(),
            decoding: rsa_public.clone(),
            verifying: VerifyingKey::rsa_pem(RsaAlgorithm::RS256, RSA_PUBLIC).expect("RS256 key"),
        },
        Case {
            alg: Algorithm::PS256,
            encoding: rsa_private,
            decoding: rsa_public,
            verifying: VerifyingKey::rsa_pem(RsaAlgorithm::PS256, RSA_PUBLIC).expect("PS256 key"),
        },
        Case {
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).expect("EC private key"),
            decoding: DecodingKey::from_ec_pem(EC_PUBLIC.as_bytes()).expect("EC public key"),
            verifying: VerifyingKey::ec_pem(EcAlgorithm::ES256, EC_PUBLIC).expect("ES256 key"),
        },
        Case {
            alg: Algorithm::EdDSA,
            encoding: EncodingKey::from_ed_pem(ED_PRIVATE.as_bytes()).expect("Ed25519 private key"),
            decoding: DecodingKey::from_ed_pem(ED_PUBLIC.as_bytes()).expect("Ed25519 public key"),
            verifying: VerifyingKey::ed25519_pem(ED_PUBLIC).expect("EdDSA key"),
        },
    ]
}

pub fn authenticator(
    key: VerifyingKey,
    cache: bool,
) -> JwtAuthenticator<PrincipalMapper, Arc<MemoryRevocationStore>> {
    let builder = JwtAuthenticator::builder(
        KeySet::single(key),
        PrincipalMapper::new().roles(RolesClaim::top_level("roles")),
    )
    .issuer(ISSUER)
    .audience(AUDIENCE)
    .revocation(Arc::new(MemoryRevocationStore::new()));
    let builder = if cache {
        builder.verified_token_cache(10_000)
    } else {
        builder.without_verified_token_cache()
    };
    builder.build().expect("authenticator")
}

pub fn validation(alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.validate_nbf = true;
    validation.leeway = 30;
    validation
}

/// The crypto provider of this build, as auth-core picks it.
pub fn provider() -> &'static jsonwebtoken::crypto::CryptoProvider {
    #[cfg(feature = "aws_lc_rs")]
    let provider = &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
    #[cfg(all(feature = "rust_crypto", not(feature = "aws_lc_rs")))]
    let provider = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
    provider
}

/// Raw `decode` uses the process-wide provider: the same one, named.
pub fn install_crypto_provider() {
    let _ = provider().install_default();
}

/// A token of `case`'s algorithm with the nine claims.
pub fn token(case: &Case) -> String {
    jsonwebtoken::encode(&Header::new(case.alg), &claims(), &case.encoding).expect("token")
}
