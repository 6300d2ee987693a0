//! An independent implementation: tokens minted by `PyJWT`, for every algorithm this
//! crate supports, verify through the authenticator.
//!
//! Needs `python3` with `pyjwt` and `cryptography` (`pip install pyjwt cryptography`).
//! Without them the test prints why and passes, except in CI (`CI=true`), where it
//! fails. The keys are the fixtures in `tests/fixtures/jwt/` (see its README).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod jwt_support;

use std::collections::BTreeSet;
use std::process::Command;

use auth_core::jwt::{
    EcAlgorithm, HmacAlgorithm, JwtAuthenticator, KeySet, PrincipalMapper, RolesClaim,
    RsaAlgorithm, VerifyingKey,
};
use auth_core::{HasRoles as _, authenticate};
use jwt_support::*;

/// Prints `<alg> <token>` per line, one token per algorithm, each with `kid` = alg.
const MINT: &str = r#"
import sys, jwt
fixtures, secret, now = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
def pem(name):
    with open(f"{fixtures}/{name}", "rb") as f:
        return f.read()
rsa = pem("rsa2048.pem")
keys = {
    "HS256": secret, "HS384": secret, "HS512": secret,
    "RS256": rsa, "RS384": rsa, "RS512": rsa,
    "PS256": rsa, "PS384": rsa, "PS512": rsa,
    "ES256": pem("ec256.pem"), "ES384": pem("ec384.pem"),
    "EdDSA": pem("ed25519.pem"),
}
for alg, key in keys.items():
    claims = {
        "iss": sys.argv[4], "aud": sys.argv[5], "sub": "py-" + alg,
        "iat": now, "nbf": now, "exp": now + 600, "jti": "py-jti-" + alg,
        "scope": "orders:read", "realm_access": {"roles": ["admin", alg]},
    }
    token = jwt.encode(claims, key, algorithm=alg, headers={"kid": alg, "typ": "at+jwt"})
    print(alg, token)
"#;

fn python_with_pyjwt() -> Result<(), String> {
    let probe = Command::new("python3")
        .args(["-c", "import jwt, cryptography"])
        .output()
        .map_err(|error| format!("python3 is not available: {error}"))?;
    if probe.status.success() {
        Ok(())
    } else {
        Err(format!(
            "python3 lacks pyjwt or cryptography (pip install pyjwt cryptography): {}",
            String::from_utf8_lossy(&probe.stderr).trim()
        ))
    }
}

fn keys() -> KeySet {
    let hmac = |alg| VerifyingKey::hmac(alg, HMAC_SECRET).unwrap();
    let rsa = |alg| VerifyingKey::rsa_pem(alg, fixture("rsa2048.pub.pem")).unwrap();
    let mut keys = KeySet::new();
    for (kid, key) in [
        ("HS256", hmac(HmacAlgorithm::HS256)),
        ("HS384", hmac(HmacAlgorithm::HS384)),
        ("HS512", hmac(HmacAlgorithm::HS512)),
        ("RS256", rsa(RsaAlgorithm::RS256)),
        ("RS384", rsa(RsaAlgorithm::RS384)),
        ("RS512", rsa(RsaAlgorithm::RS512)),
        ("PS256", rsa(RsaAlgorithm::PS256)),
        ("PS384", rsa(RsaAlgorithm::PS384)),
        ("PS512", rsa(RsaAlgorithm::PS512)),
        (
            "ES256",
            VerifyingKey::ec_pem(EcAlgorithm::ES256, fixture("ec256.pub.pem")).unwrap(),
        ),
        (
            "ES384",
            VerifyingKey::ec_pem(EcAlgorithm::ES384, fixture("ec384.pub.pem")).unwrap(),
        ),
        (
            "EdDSA",
            VerifyingKey::ed25519_pem(fixture("ed25519.pub.pem")).unwrap(),
        ),
    ] {
        keys = keys.with_key(kid, key).unwrap();
    }
    keys
}

#[tokio::test]
async fn pyjwt_tokens_verify_for_every_algorithm() {
    if let Err(reason) = python_with_pyjwt() {
        skip_or_fail(&reason);
        return;
    }
    let secret = std::str::from_utf8(HMAC_SECRET).unwrap();
    let output = Command::new("python3")
        .args([
            "-c",
            MINT,
            &fixtures_dir(),
            secret,
            &now().to_string(),
            ISSUER,
            AUDIENCE,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "PyJWT failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let auth = JwtAuthenticator::builder(
        keys(),
        PrincipalMapper::new().roles(RolesClaim::keycloak_realm()),
    )
    .issuer(ISSUER)
    .audience(AUDIENCE)
    .require_type("at+jwt")
    .revocation(TestStore::default())
    .build()
    .unwrap();

    let mut verified = BTreeSet::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let (alg, token) = line.split_once(' ').unwrap();
        let user = authenticate(&auth, &bearer(token))
            .await
            .unwrap_or_else(|error| panic!("PyJWT {alg} token refused: {error:?}"));
        assert_eq!(user.subject(), format!("py-{alg}"));
        assert_eq!(
            user.info().token_id(),
            Some(format!("py-jti-{alg}").as_str())
        );
        assert!(user.scopes().contains("orders:read"));
        assert!(user.has_role("admin") && user.has_role(alg));
        verified.insert(alg.to_owned());
    }
    let all: BTreeSet<String> = [
        "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
        "ES384", "EdDSA",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(verified, all);
    println!(
        "pyjwt: {} algorithms verified with the `{}` backend: {verified:?}",
        verified.len(),
        auth_core::jwt::crypto_backend()
    );
}
