//! Items 2 and 3 of BENCHMARKS.md: token verification through
//! `JwtAuthenticator::verify` vs raw `jsonwebtoken::decode` with the same
//! validation, per algorithm, with the floor beside it; and the verified-token
//! cache, a hit vs a full verification, revocation checked either way.
//!
//! The backend is a feature of this package; run once with each:
//!
//! ```text
//! cargo bench -p auth-bench --bench jwt
//! cargo bench -p auth-bench --no-default-features --features rust_crypto --bench jwt
//! ```
//!
//! The floor (`jwt/<alg>/floor/*`) is measured for both backends in either run: the
//! base64url decoding of the three segments, the primitive signature check with a
//! key parsed once (`verify_aws_lc`, `verify_rust_crypto`), and `serde_json` of the
//! claims into a borrowed struct. `verify_per_call` is what `jsonwebtoken`'s crypto
//! provider costs when asked for a verifier on each call, as both `decode` and
//! auth-core do: key set-up included.

use std::hint::black_box;
use std::time::Duration;

use auth_core::jwt::{JwtAuthenticator, KeySet, PrincipalMapper, RolesClaim};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

#[path = "../src/poll.rs"]
mod poll;
#[path = "../src/tokens.rs"]
mod tokens;

use poll::poll_once;
use tokens::{
    AUDIENCE, Case, ISSUER, TokenClaims, authenticator, cases, install_crypto_provider, provider,
    validation,
};

/// The same claims borrowed from the payload: the floor of claim parsing.
#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "deserialized to be measured, never read")]
struct BorrowedClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: u64,
    nbf: u64,
    iat: u64,
    jti: &'a str,
    scope: &'a str,
    #[serde(borrow)]
    roles: Vec<&'a str>,
}

fn verify(c: &mut Criterion) {
    install_crypto_provider();
    println!("crypto backend: {}", auth_core::jwt::crypto_backend());
    for case in cases() {
        let name = format!("{:?}", case.alg);
        let token = tokens::token(&case);
        let mut group = c.benchmark_group(format!("jwt/{name}"));
        if matches!(case.alg, Algorithm::RS256 | Algorithm::PS256) {
            group.sample_size(50);
        }

        let plain = authenticator(case.verifying.clone(), false);
        assert!(
            poll_once(plain.verify(&token)).is_ok(),
            "{name}: auth-core refused"
        );
        group.bench_function("auth_core", |b| {
            b.iter(|| poll_once(plain.verify(black_box(&token))));
        });

        let without_revocation = JwtAuthenticator::builder(
            KeySet::single(case.verifying.clone()),
            PrincipalMapper::new().roles(RolesClaim::top_level("roles")),
        )
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .without_verified_token_cache()
        .dangerous_without_revocation()
        .build()
        .expect("authenticator");
        group.bench_function("auth_core_no_revocation", |b| {
            b.iter(|| poll_once(without_revocation.verify(black_box(&token))));
        });

        let cached = authenticator(case.verifying.clone(), true);
        assert!(
            poll_once(cached.verify(&token)).is_ok(),
            "{name}: auth-core refused"
        );
        group.bench_function("auth_core_cache_hit", |b| {
            b.iter(|| poll_once(cached.verify(black_box(&token))));
        });

        let validation = validation(case.alg);
        assert!(
            jsonwebtoken::decode::<TokenClaims>(&token, &case.decoding, &validation).is_ok(),
            "{name}: jsonwebtoken refused"
        );
        group.bench_function("jsonwebtoken_decode", |b| {
            b.iter(|| {
                jsonwebtoken::decode::<TokenClaims>(
                    black_box(&token),
                    black_box(&case.decoding),
                    &validation,
                )
            });
        });

        floor(&mut group, &case, &token);
        group.finish();
    }
}

/// The floor: what any verifier of this token must do, measured piece by piece.
fn floor(group: &mut BenchmarkGroup<'_, WallTime>, case: &Case, token: &str) {
    let mut parts = token.split('.');
    let (header, payload, signature) = (
        parts.next().expect("header"),
        parts.next().expect("payload"),
        parts.next().expect("signature"),
    );
    group.bench_function("floor/base64url_3_parts", |b| {
        b.iter(|| {
            (
                URL_SAFE_NO_PAD.decode(black_box(header)),
                URL_SAFE_NO_PAD.decode(black_box(payload)),
                URL_SAFE_NO_PAD.decode(black_box(signature)),
            )
        });
    });
    let json = URL_SAFE_NO_PAD.decode(payload).expect("payload");
    group.bench_function("floor/serde_json_borrowed", |b| {
        b.iter(|| serde_json::from_slice::<BorrowedClaims<'_>>(black_box(&json)).expect("claims"));
    });

    let message = &token.as_bytes()[..header.len() + 1 + payload.len()];
    let signature = URL_SAFE_NO_PAD.decode(signature).expect("signature");
    let aws = primitives::AwsLc::new(case.alg);
    assert!(aws.verify(message, &signature), "aws-lc refused");
    group.bench_function("floor/verify_aws_lc", |b| {
        b.iter(|| aws.verify(black_box(message), black_box(&signature)));
    });
    let rust = primitives::RustCrypto::new(case.alg);
    assert!(rust.verify(message, &signature), "RustCrypto refused");
    group.bench_function("floor/verify_rust_crypto", |b| {
        b.iter(|| rust.verify(black_box(message), black_box(&signature)));
    });

    // jsonwebtoken's crypto as both `decode` and auth-core call it: a verifier made
    // for each token, on the backend of this build.
    let decoding = match case.alg {
        // auth-core keeps RSA keys as (n, e), as `DecodingKey::from_rsa_raw_components`.
        Algorithm::RS256 | Algorithm::PS256 => {
            let (n, e) = primitives::rsa_components();
            DecodingKey::from_rsa_raw_components(&n, &e)
        }
        _ => case.decoding.clone(),
    };
    let provider = provider();
    group.bench_function("floor/verify_per_call", |b| {
        b.iter(|| {
            let verifier =
                (provider.verifier_factory)(&case.alg, black_box(&decoding)).expect("verifier");
            verifier
                .verify(black_box(message), black_box(&signature))
                .is_ok()
        });
    });
}

/// Each backend's primitive with a key parsed once.
mod primitives {
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED, ED25519, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256,
        RSA_PSS_2048_8192_SHA256,
    };
    use hmac::Mac as _;
    use jsonwebtoken::Algorithm;
    use rsa::pkcs8::DecodePublicKey as _;
    use rsa::signature::Verifier as _;
    use rsa::traits::PublicKeyParts as _;

    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use crate::tokens::{EC_PUBLIC, ED_PUBLIC, RSA_PUBLIC, SECRET};

    /// The DER inside a PEM block.
    fn pem_der(pem: &str) -> Vec<u8> {
        let body: String = pem
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        STANDARD.decode(body).expect("PEM body is base64")
    }

    pub(super) enum AwsLc {
        Hmac(Box<aws_lc_rs::hmac::Key>),
        Parsed(ParsedPublicKey),
    }

    impl AwsLc {
        pub(super) fn new(alg: Algorithm) -> Self {
            let parsed = |algorithm, pem| {
                AwsLc::Parsed(ParsedPublicKey::new(algorithm, pem_der(pem)).expect("aws-lc key"))
            };
            match alg {
                Algorithm::HS256 => AwsLc::Hmac(Box::new(aws_lc_rs::hmac::Key::new(
                    aws_lc_rs::hmac::HMAC_SHA256,
                    SECRET,
                ))),
                Algorithm::RS256 => parsed(&RSA_PKCS1_2048_8192_SHA256, RSA_PUBLIC),
                Algorithm::PS256 => parsed(&RSA_PSS_2048_8192_SHA256, RSA_PUBLIC),
                Algorithm::ES256 => parsed(&ECDSA_P256_SHA256_FIXED, EC_PUBLIC),
                Algorithm::EdDSA => parsed(&ED25519, ED_PUBLIC),
                other => panic!("no floor for {other:?}"),
            }
        }

        pub(super) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
            match self {
                AwsLc::Hmac(key) => aws_lc_rs::hmac::verify(key, message, signature).is_ok(),
                AwsLc::Parsed(key) => key.verify_sig(message, signature).is_ok(),
            }
        }
    }

    pub(super) enum RustCrypto {
        Hmac(hmac::Hmac<sha2::Sha256>),
        Pkcs1(rsa::pkcs1v15::VerifyingKey<sha2::Sha256>),
        Pss(rsa::pss::VerifyingKey<sha2::Sha256>),
        Ecdsa(p256::ecdsa::VerifyingKey),
        Ed25519(ed25519_dalek::VerifyingKey),
    }

    fn rsa_public() -> rsa::RsaPublicKey {
        rsa::RsaPublicKey::from_public_key_der(&pem_der(RSA_PUBLIC)).expect("RSA public key")
    }

    /// The RSA key's big-endian modulus and exponent.
    pub(super) fn rsa_components() -> (Vec<u8>, Vec<u8>) {
        let key = rsa_public();
        (key.n().to_bytes_be(), key.e().to_bytes_be())
    }

    impl RustCrypto {
        pub(super) fn new(alg: Algorithm) -> Self {
            match alg {
                Algorithm::HS256 => {
                    RustCrypto::Hmac(hmac::Hmac::new_from_slice(SECRET).expect("HMAC key"))
                }
                Algorithm::RS256 => {
                    RustCrypto::Pkcs1(rsa::pkcs1v15::VerifyingKey::new(rsa_public()))
                }
                Algorithm::PS256 => RustCrypto::Pss(rsa::pss::VerifyingKey::new(rsa_public())),
                Algorithm::ES256 => {
                    // An uncompressed P-256 point is the last 65 bytes of its SPKI.
                    let der = pem_der(EC_PUBLIC);
                    let point = &der[der.len() - 65..];
                    RustCrypto::Ecdsa(
                        p256::ecdsa::VerifyingKey::from_sec1_bytes(point).expect("P-256 key"),
                    )
                }
                Algorithm::EdDSA => {
                    // An Ed25519 key is the last 32 bytes of its SPKI.
                    let der = pem_der(ED_PUBLIC);
                    let raw: [u8; 32] = der[der.len() - 32..].try_into().expect("32 bytes");
                    RustCrypto::Ed25519(
                        ed25519_dalek::VerifyingKey::from_bytes(&raw).expect("Ed25519 key"),
                    )
                }
                other => panic!("no floor for {other:?}"),
            }
        }

        pub(super) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
            match self {
                RustCrypto::Hmac(key) => {
                    let mut mac = key.clone();
                    mac.update(message);
                    mac.verify_slice(signature).is_ok()
                }
                RustCrypto::Pkcs1(key) => rsa::pkcs1v15::Signature::try_from(signature)
                    .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
                RustCrypto::Pss(key) => rsa::pss::Signature::try_from(signature)
                    .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
                RustCrypto::Ecdsa(key) => p256::ecdsa::Signature::from_slice(signature)
                    .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
                RustCrypto::Ed25519(key) => ed25519_dalek::Signature::from_slice(signature)
                    .is_ok_and(|signature| key.verify_strict(message, &signature).is_ok()),
            }
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = verify
}
criterion_main!(benches);
