//! An independent implementation: tokens minted by `PyJWT`, for every algorithm this
//! crate supports, verify through the authenticator; and tokens our `TokenIssuer`
//! signs, for every algorithm, verify in `PyJWT` (signature, `exp`, `iss`, `aud`,
//! header `typ: at+jwt`).
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
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use auth_core::jwt::{
    AccessClaims, JwtAuthenticator, KeySet, PrincipalMapper, RolesClaim, SigningKey, TokenIssuer,
};
use auth_core::revocation::{MemoryRefreshStore, MemoryRevocationStore};
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

fn keys() -> KeySet {
    let mut keys = KeySet::new();
    for (kid, _, key) in every_algorithm() {
        keys = keys.with_key(kid, key).unwrap();
    }
    keys
}

#[tokio::test]
async fn pyjwt_tokens_verify_for_every_algorithm() {
    if let Err(reason) =
        auth_integration::python::with_modules(&["jwt", "cryptography"], "pyjwt cryptography")
    {
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

/// Reads `<kind> <alg> <token>` lines and verifies each with `PyJWT` and the
/// fixtures' public keys (or the HMAC secret): `valid` tokens must pass every
/// check and fail each check when it should; `expired` ones, once their `exp` has
/// passed, must fail with `ExpiredSignatureError`. Prints `<kind> <alg>` per token
/// that behaved.
const VERIFY: &str = r#"
import base64, json, sys, time, jwt
fixtures, secret, issuer, audience = sys.argv[1], sys.argv[2].encode(), sys.argv[3], sys.argv[4]
def pem(name):
    with open(f"{fixtures}/{name}", "rb") as f:
        return f.read()
rsa = pem("rsa2048.pub.pem")
keys = {
    "HS256": secret, "HS384": secret, "HS512": secret,
    "RS256": rsa, "RS384": rsa, "RS512": rsa,
    "PS256": rsa, "PS384": rsa, "PS512": rsa,
    "ES256": pem("ec256.pub.pem"), "ES384": pem("ec384.pub.pem"),
    "EdDSA": pem("ed25519.pub.pem"),
}
required = {"require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]}
def decode(token, alg, **checks):
    checks.setdefault("audience", audience)
    checks.setdefault("issuer", issuer)
    return jwt.decode(token, keys[alg], algorithms=[alg], options=required, **checks)
def refused(error, token, alg, **checks):
    try:
        decode(token, alg, **checks)
    except error:
        return
    sys.exit(f"{alg}: accepted, expected {error.__name__} ({checks})")
lines = [line.split() for line in sys.stdin if line.strip()]
for kind, alg, token in lines:
    header = jwt.get_unverified_header(token)
    if header != {"alg": alg, "typ": "at+jwt", "kid": alg}:
        sys.exit(f"{alg}: unexpected header {header}")
for kind, alg, token in lines:
    if kind != "valid":
        continue
    claims = decode(token, alg)
    if claims["sub"] != "user-" + alg or claims["roles"] != ["customer", alg] \
            or claims["scope"] != "orders:read" or claims["exp"] - claims["iat"] != 900:
        sys.exit(f"{alg}: unexpected claims {claims}")
    refused(jwt.InvalidAudienceError, token, alg, audience="another-api")
    refused(jwt.InvalidIssuerError, token, alg, issuer=issuer + ".evil")
    head, payload, signature = token.split(".")
    forged = dict(claims, sub="admin")
    forged = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    refused(jwt.InvalidSignatureError, f"{head}.{forged}.{signature}", alg)
    print("valid", alg)
expired = [(alg, token) for kind, alg, token in lines if kind == "expired"]
if expired:
    latest = max(jwt.decode(t, options={"verify_signature": False})["exp"] for _, t in expired)
    time.sleep(max(0.0, latest + 1.2 - time.time()))
for alg, token in expired:
    refused(jwt.ExpiredSignatureError, token, alg)
    print("expired", alg)
"#;

/// One signing key per algorithm, each the private half of the fixture key the
/// `PyJWT` side verifies with.
fn signing_keys() -> Vec<(&'static str, SigningKey)> {
    every_algorithm()
        .into_iter()
        .map(|(alg, key, _)| (alg, key))
        .collect()
}

#[tokio::test]
async fn tokens_we_issue_verify_in_pyjwt_for_every_algorithm() {
    if let Err(reason) =
        auth_integration::python::with_modules(&["jwt", "cryptography"], "pyjwt cryptography")
    {
        skip_or_fail(&reason);
        return;
    }
    let mut lines = Vec::new();
    for (alg, key) in signing_keys() {
        let issuer = |key: SigningKey, ttl: Duration| {
            TokenIssuer::builder(
                key,
                Arc::new(MemoryRevocationStore::new()),
                MemoryRefreshStore::new(),
            )
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .key_id(alg)
            .access_ttl(ttl)
            .build()
            .unwrap()
        };
        let claims = AccessClaims::new()
            .roles(["customer", alg])
            .scope("orders:read");
        let subject = format!("user-{alg}");
        let valid = issuer(key.clone(), Duration::from_secs(900))
            .login(&subject, &claims)
            .await
            .unwrap();
        let expired = issuer(key, Duration::from_secs(1))
            .issue_access_token(&subject, &claims)
            .await
            .unwrap();
        lines.push(format!("valid {alg} {}", valid.access_token()));
        lines.push(format!("expired {alg} {}", expired.as_str()));
    }
    let input = lines.join("\n");

    let secret = std::str::from_utf8(HMAC_SECRET).unwrap();
    let mut python = Command::new("python3")
        .args(["-c", VERIFY, &fixtures_dir(), secret, ISSUER, AUDIENCE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    python
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = python.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "PyJWT refused a token we issued: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let stdout = String::from_utf8(output.stdout).unwrap();
    let behaved: BTreeSet<&str> = stdout.lines().collect();
    let expected: BTreeSet<String> = signing_keys()
        .iter()
        .flat_map(|(alg, _)| [format!("valid {alg}"), format!("expired {alg}")])
        .collect();
    assert_eq!(
        behaved,
        expected.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
    println!(
        "pyjwt: tokens issued with all {} algorithms verified, and refused once expired, with a wrong `aud` or `iss`, or a forged payload",
        expected.len() / 2
    );
}
