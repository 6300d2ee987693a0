//! Key configuration: every accepted format loads, and every key that cannot be
//! trusted is refused at startup with a typed, lowercase error that shows no key
//! material.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod jwt_support;

use std::time::Duration;

use auth_core::jwt::{
    Algorithm, ConfigError, EcAlgorithm, HmacAlgorithm, JwtAuthenticator, KeyError, KeySet,
    PrincipalMapper, RsaAlgorithm, VerifyingKey,
};
use base64::Engine as _;
use jsonwebtoken::Algorithm as JwtAlgorithm;
use jwt_support::*;

fn pem_body(name: &str) -> Vec<u8> {
    let pem = String::from_utf8(fixture(name)).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

fn verifies(key: VerifyingKey, token: &str) -> bool {
    auth_core::jwt::dangerous::verify_signature_only(&KeySet::single(key), token.as_bytes()).is_ok()
}

#[test]
fn pem_and_der_of_every_key_type_load_and_verify() {
    let claims = json(&good_claims());
    let rs = sign(
        JwtAlgorithm::RS256,
        &rsa_key(),
        r#"{"alg":"RS256"}"#,
        &claims,
    );
    for key in [
        VerifyingKey::rsa_pem(RsaAlgorithm::RS256, fixture("rsa2048.pub.pem")).unwrap(),
        VerifyingKey::rsa_pem(RsaAlgorithm::RS256, fixture("rsa2048.pkcs1.pub.pem")).unwrap(),
        VerifyingKey::rsa_der(RsaAlgorithm::RS256, pem_body("rsa2048.pub.pem")).unwrap(),
        VerifyingKey::rsa_der(RsaAlgorithm::RS256, pem_body("rsa2048.pkcs1.pub.pem")).unwrap(),
    ] {
        assert!(verifies(key, &rs));
    }
    let es = sign(
        JwtAlgorithm::ES256,
        &ec256_key(),
        r#"{"alg":"ES256"}"#,
        &claims,
    );
    assert!(verifies(
        VerifyingKey::ec_pem(EcAlgorithm::ES256, fixture("ec256.pub.pem")).unwrap(),
        &es
    ));
    assert!(verifies(
        VerifyingKey::ec_der(EcAlgorithm::ES256, pem_body("ec256.pub.pem")).unwrap(),
        &es
    ));
    let es384 = sign(
        JwtAlgorithm::ES384,
        &ec384_key(),
        r#"{"alg":"ES384"}"#,
        &claims,
    );
    assert!(verifies(
        VerifyingKey::ec_pem(EcAlgorithm::ES384, fixture("ec384.pub.pem")).unwrap(),
        &es384
    ));
    let ed = sign(
        JwtAlgorithm::EdDSA,
        &ed25519_key(),
        r#"{"alg":"EdDSA"}"#,
        &claims,
    );
    assert!(verifies(
        VerifyingKey::ed25519_pem(fixture("ed25519.pub.pem")).unwrap(),
        &ed
    ));
    assert!(verifies(
        VerifyingKey::ed25519_der(pem_body("ed25519.pub.pem")).unwrap(),
        &ed
    ));
}

#[test]
fn private_keys_are_refused() {
    assert_eq!(
        VerifyingKey::rsa_pem(RsaAlgorithm::RS256, fixture("rsa2048.pem")).unwrap_err(),
        KeyError::PrivateKey
    );
    assert_eq!(
        VerifyingKey::ec_pem(EcAlgorithm::ES256, fixture("ec256.pem")).unwrap_err(),
        KeyError::PrivateKey
    );
    assert_eq!(
        VerifyingKey::ed25519_pem(fixture("ed25519.pem")).unwrap_err(),
        KeyError::PrivateKey
    );
    // A JWK with private members, even if it would verify.
    let private = r#"{"kty":"EC","alg":"ES256","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;
    assert_eq!(
        KeySet::new().with_jwk(private).unwrap_err(),
        KeyError::PrivateKey
    );
}

#[test]
fn keys_of_the_wrong_type_or_curve_are_refused() {
    assert!(matches!(
        VerifyingKey::rsa_pem(RsaAlgorithm::RS256, fixture("ec256.pub.pem")),
        Err(KeyError::KeyTypeMismatch { .. })
    ));
    assert!(matches!(
        VerifyingKey::ec_pem(EcAlgorithm::ES384, fixture("ec256.pub.pem")),
        Err(KeyError::CurveMismatch { .. })
    ));
    assert!(matches!(
        VerifyingKey::ec_pem(EcAlgorithm::ES256, fixture("rsa2048.pub.pem")),
        Err(KeyError::KeyTypeMismatch { .. })
    ));
    assert!(matches!(
        VerifyingKey::ed25519_pem(fixture("ec256.pub.pem")),
        Err(KeyError::KeyTypeMismatch { .. })
    ));
    assert_eq!(
        VerifyingKey::rsa_pem(RsaAlgorithm::RS256, "not a key").unwrap_err(),
        KeyError::InvalidPem
    );
    let certificate = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert!(matches!(
        VerifyingKey::rsa_pem(RsaAlgorithm::RS256, certificate),
        Err(KeyError::PemLabel { label }) if label == "CERTIFICATE"
    ));
}

#[test]
fn jwk_members_must_agree() {
    let ec = |extra: &str| {
        format!(
            r#"{{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"{extra}}}"#
        )
    };
    assert!(
        KeySet::new()
            .with_jwk(&ec(r#","alg":"ES256","use":"sig","key_ops":["verify"]"#))
            .is_ok()
    );
    assert_eq!(
        KeySet::new().with_jwk(&ec("")).unwrap_err(),
        KeyError::MissingAlgorithm
    );
    assert_eq!(
        KeySet::new()
            .with_jwk(&ec(r#","alg":"ES256","use":"enc""#))
            .unwrap_err(),
        KeyError::NotForSignatures
    );
    assert_eq!(
        KeySet::new()
            .with_jwk(&ec(r#","alg":"ES256","key_ops":["sign"]"#))
            .unwrap_err(),
        KeyError::VerifyNotAllowed
    );
    assert!(matches!(
        KeySet::new().with_jwk(&ec(r#","alg":"ES256","key_ops":["verify","verify"]"#)),
        Err(KeyError::InvalidJwk { .. })
    ));
    assert!(matches!(
        KeySet::new().with_jwk(&ec(r#","alg":"none""#)),
        Err(KeyError::UnsupportedAlgorithm(alg)) if alg == "none"
    ));
    assert!(matches!(
        KeySet::new().with_jwk(&ec(r#","alg":"HS256""#)),
        Err(KeyError::KeyTypeMismatch { .. })
    ));
    assert!(matches!(
        KeySet::new().with_jwk(&ec(r#","alg":"ES384""#)),
        Err(KeyError::CurveMismatch { .. })
    ));
    assert!(matches!(
        KeySet::new().with_jwk_pinned(&ec(r#","alg":"ES256""#), Algorithm::ES384),
        Err(KeyError::AlgorithmConflict { .. })
    ));
    assert!(
        KeySet::new()
            .with_jwk_pinned(&ec(""), Algorithm::ES256)
            .is_ok()
    );
    assert!(matches!(
        KeySet::new().with_jwk(&ec(r#","alg":"ES256","alg":"HS256""#)),
        Err(KeyError::InvalidJwk { .. })
    ));
    assert!(matches!(
        KeySet::new().with_jwk(r#"{"kty":"oct","alg":"HS256","k":"not base64!"}"#),
        Err(KeyError::InvalidJwk { .. })
    ));
}

#[test]
fn jwk_sets_skip_foreign_keys_and_refuse_untrustworthy_ones() {
    let oct =
        |kid: &str, k: &str| format!(r#"{{"kty":"oct","alg":"HS256","kid":"{kid}","k":"{k}"}}"#);
    let secret = b64([1_u8; 32]);
    let other = b64([2_u8; 32]);

    let set = format!(
        r#"{{"keys":[{},{{"kty":"oct","alg":"A256KW","use":"enc","kid":"wrap","k":"{secret}"}},{{"kty":"oct","alg":"HS256","kid":"ops","key_ops":["sign"],"k":"{secret}"}}]}}"#,
        oct("a", &secret)
    );
    let keys = KeySet::from_jwk_set(&set).unwrap();
    assert_eq!(keys.len(), 1);
    let skipped: Vec<_> = keys.skipped().iter().map(|s| s.kid().unwrap()).collect();
    assert_eq!(skipped, ["wrap", "ops"]);

    let duplicate = format!(r#"{{"keys":[{},{}]}}"#, oct("a", &secret), oct("a", &other));
    assert_eq!(
        KeySet::from_jwk_set(&duplicate).unwrap_err(),
        KeyError::DuplicateKid("a".to_owned())
    );

    let weak = format!(
        r#"{{"keys":[{},{}]}}"#,
        oct("a", &secret),
        oct("b", &b64([1_u8; 16]))
    );
    assert!(matches!(
        KeySet::from_jwk_set(&weak),
        Err(KeyError::WeakHmacSecret { .. })
    ));

    let ed = r#"{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    let mixed = format!(r#"{{"keys":[{},{ed}]}}"#, oct("a", &secret));
    assert_eq!(
        KeySet::from_jwk_set(&mixed).unwrap_err(),
        KeyError::MixedKeySet
    );

    assert_eq!(
        KeySet::from_jwk_set(r#"{"keys":[]}"#).unwrap_err(),
        KeyError::EmptyKeySet
    );
    assert!(matches!(
        KeySet::from_jwk_set(ed),
        Err(KeyError::InvalidJwk { .. })
    ));

    // Pinned: keys without `alg` take it, keys for another algorithm are skipped.
    let no_alg = r#"{"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    let pinned = format!(r#"{{"keys":[{no_alg},{}]}}"#, oct("a", &secret));
    let keys = KeySet::from_jwk_set_pinned(&pinned, Algorithm::EdDSA).unwrap();
    assert_eq!(keys.algorithm_of(Some("ed")), Some(Algorithm::EdDSA));
    assert_eq!(keys.algorithm_of(Some("a")), None);
    assert_eq!(keys.skipped().len(), 1);
}

#[test]
fn key_ids_are_unique_and_not_empty() {
    let key = || VerifyingKey::hmac(HmacAlgorithm::HS256, [0x41_u8; 32]).unwrap();
    let keys = KeySet::new().with_key("a", key()).unwrap();
    assert_eq!(
        keys.clone().with_key("a", key()).unwrap_err(),
        KeyError::DuplicateKid("a".to_owned())
    );
    assert_eq!(
        keys.clone().with_key("", key()).unwrap_err(),
        KeyError::EmptyKid
    );
    let keys = keys.with_default_key(key()).unwrap();
    assert_eq!(
        keys.with_default_key(key()).unwrap_err(),
        KeyError::DuplicateDefaultKey
    );
}

#[test]
fn the_builder_refuses_nonsense() {
    let keys = || KeySet::single(VerifyingKey::hmac(HmacAlgorithm::HS256, HMAC_SECRET).unwrap());
    let builder =
        || JwtAuthenticator::builder(keys(), PrincipalMapper::new()).dangerous_without_revocation();
    let error = |b: auth_core::jwt::JwtAuthenticatorBuilder<
        PrincipalMapper,
        auth_core::jwt::NoRevocation,
    >| { b.build().unwrap_err() };
    assert_eq!(
        JwtAuthenticator::builder(KeySet::new(), PrincipalMapper::new())
            .dangerous_without_revocation()
            .build()
            .unwrap_err(),
        ConfigError::EmptyKeySet
    );
    assert_eq!(error(builder().issuer("")), ConfigError::EmptyIssuer);
    assert_eq!(error(builder().audience("")), ConfigError::EmptyAudience);
    assert_eq!(error(builder().require_type("")), ConfigError::EmptyType);
    assert_eq!(
        error(builder().max_token_bytes(0)),
        ConfigError::ZeroMaxTokenSize
    );
    assert_eq!(
        error(builder().cookie("a b")),
        ConfigError::InvalidCookieName
    );
    assert_eq!(error(builder().cookie("")), ConfigError::InvalidCookieName);
    assert_eq!(
        error(builder().verified_token_cache(1)),
        ConfigError::CacheCapacity
    );
    assert_eq!(
        error(builder().leeway(Duration::from_secs(301))),
        ConfigError::LeewayTooLarge {
            seconds: 301,
            maximum: 300
        }
    );
    assert!(builder().leeway(Duration::from_secs(300)).build().is_ok());
}

#[test]
fn errors_are_lowercase_and_never_show_key_material() {
    let secret = "hunter2-hunter2-hunter2-hunter2";
    let errors = [
        VerifyingKey::hmac(HmacAlgorithm::HS256, secret).unwrap_err(),
        KeySet::new()
            .with_jwk(&format!(
                r#"{{"kty":"oct","alg":"HS256","k":"{}"}}"#,
                b64(secret)
            ))
            .unwrap_err(),
        KeySet::new()
            .with_jwk(&format!(r#"{{"kty":"oct","alg":"HS256","k":"{secret}!"}}"#))
            .unwrap_err(),
        VerifyingKey::rsa_pem(RsaAlgorithm::RS256, fixture("rsa1024.pub.pem")).unwrap_err(),
        KeyError::RsaRoca,
        KeyError::MixedKeySet,
    ];
    for error in errors {
        let message = error.to_string();
        assert!(
            message.starts_with(|c: char| c.is_ascii_lowercase()),
            "{message}"
        );
        assert!(!message.ends_with('.'), "{message}");
        assert!(
            !message.contains("hunter2") && !message.contains(&b64(secret)),
            "{message}"
        );
    }
    let key = VerifyingKey::hmac(HmacAlgorithm::HS256, HMAC_SECRET).unwrap();
    let debug = format!("{key:?} {:?}", KeySet::single(key.clone()));
    assert!(!debug.contains("test-only"), "{debug}");
    assert!(debug.contains("HS256"), "{debug}");
}
