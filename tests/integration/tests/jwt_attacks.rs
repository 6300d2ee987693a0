//! The attack suite: one test per known way to get a bad token accepted. Every
//! rejection is a 401 `invalid_token` unless the test says otherwise, and a
//! well-formed token is accepted by the same configuration (the control).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod jwt_support;

use std::sync::Arc;
use std::time::Duration;

use auth_core::jwt::{
    EcAlgorithm, HmacAlgorithm, JwtAuthenticator, KeyError, KeySet, Principal, PrincipalMapper,
    RsaAlgorithm, VerifyingKey,
};
use auth_core::revocation::RevocationStore as _;
use auth_core::{AuthError, Authenticated, TokenError, authenticate};
use jsonwebtoken::{Algorithm as JwtAlgorithm, EncodingKey};
use jwt_support::*;

type Auth = JwtAuthenticator<PrincipalMapper, Arc<TestStore>>;

fn keys() -> KeySet {
    KeySet::new()
        .with_key(
            "hs",
            VerifyingKey::hmac(HmacAlgorithm::HS256, HMAC_SECRET).unwrap(),
        )
        .unwrap()
        .with_key(
            "rsa",
            VerifyingKey::rsa_pem(RsaAlgorithm::RS256, fixture("rsa2048.pub.pem")).unwrap(),
        )
        .unwrap()
        .with_key(
            "es",
            VerifyingKey::ec_pem(EcAlgorithm::ES256, fixture("ec256.pub.pem")).unwrap(),
        )
        .unwrap()
}

fn setup() -> (Auth, Arc<TestStore>) {
    let store = Arc::new(TestStore::default());
    let auth = JwtAuthenticator::builder(keys(), PrincipalMapper::new())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .leeway(Duration::ZERO)
        .cookie("access_token")
        .revocation(Arc::clone(&store))
        .build()
        .unwrap();
    (auth, store)
}

async fn run(token: &str) -> Result<Authenticated<Principal>, AuthError> {
    let (auth, _) = setup();
    authenticate(&auth, &bearer(token)).await
}

#[tokio::test]
async fn control_a_well_formed_token_is_accepted() {
    let user = run(&hs256(&good_claims())).await.unwrap();
    assert_eq!(user.subject(), "user-1");
    let rs = sign(
        JwtAlgorithm::RS256,
        &rsa_key(),
        r#"{"alg":"RS256","kid":"rsa"}"#,
        &json(&good_claims()),
    );
    run(&rs).await.unwrap();
    let es = sign(
        JwtAlgorithm::ES256,
        &ec256_key(),
        r#"{"alg":"ES256","kid":"es"}"#,
        &json(&good_claims()),
    );
    run(&es).await.unwrap();
}

async fn alg_none(alg: &str) {
    let claims = json(&good_claims());
    for header in [
        format!(r#"{{"alg":"{alg}","kid":"hs"}}"#),
        format!(r#"{{"alg":"{alg}"}}"#),
    ] {
        let unsigned = format!("{}.{}.", b64(&header), b64(&claims));
        assert_invalid_token(run(&unsigned).await);
        // With a signature segment too, in case only empty signatures are refused.
        let signed = sign(JwtAlgorithm::HS256, &hmac_key(), &header, &claims);
        assert_invalid_token(run(&signed).await);
    }
}

#[tokio::test]
async fn alg_none_is_refused() {
    alg_none("none").await;
}

#[tokio::test]
async fn alg_none_capitalized_is_refused() {
    alg_none("None").await;
}

#[tokio::test]
async fn alg_none_uppercase_is_refused() {
    alg_none("NONE").await;
}

#[tokio::test]
async fn a_null_signature_is_refused() {
    let token = hs256(&good_claims());
    let (input, _) = token.rsplit_once('.').unwrap();
    let zeros = format!("{input}.{}", b64([0_u8; 32]));
    assert_invalid(run(&zeros).await, TokenError::InvalidSignature);
}

#[tokio::test]
async fn a_stripped_signature_is_refused() {
    let token = hs256(&good_claims());
    let (input, _) = token.rsplit_once('.').unwrap();
    assert_invalid(run(&format!("{input}.")).await, TokenError::Malformed);
    assert_invalid(run(input).await, TokenError::Malformed);
}

#[tokio::test]
async fn rs256_to_hs256_with_the_public_key_as_secret_is_refused() {
    let public_pem = fixture("rsa2048.pub.pem");
    let confused = EncodingKey::from_secret(&public_pem);
    let claims = json(&good_claims());
    let token = sign(
        JwtAlgorithm::HS256,
        &confused,
        r#"{"alg":"HS256","kid":"rsa"}"#,
        &claims,
    );
    assert_invalid(run(&token).await, TokenError::AlgorithmMismatch);

    // The same against a verifier whose only key is the RSA key, used for tokens
    // without `kid`.
    let rsa_only = KeySet::single(VerifyingKey::rsa_pem(RsaAlgorithm::RS256, &public_pem).unwrap());
    let auth = JwtAuthenticator::builder(rsa_only, PrincipalMapper::new())
        .audience(AUDIENCE)
        .dangerous_without_revocation()
        .build()
        .unwrap();
    let token = sign(
        JwtAlgorithm::HS256,
        &confused,
        r#"{"alg":"HS256"}"#,
        &claims,
    );
    assert_invalid(auth.verify(&token).await, TokenError::AlgorithmMismatch);
}

/// The attacker's public key as a JWK.
fn attacker_jwk() -> String {
    // The uncompressed point is the last 65 bytes of the SubjectPublicKeyInfo.
    let der = {
        let pem = String::from_utf8(fixture("attacker-ec256.pem")).unwrap();
        let key = pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>();
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, key).unwrap()
    };
    // PKCS#8 EC private key: the public point is the last 65 bytes.
    let point = &der[der.len() - 65..];
    format!(
        r#"{{"kty":"EC","crv":"P-256","x":"{}","y":"{}"}}"#,
        b64(&point[1..33]),
        b64(&point[33..])
    )
}

#[tokio::test]
async fn an_embedded_jwk_signed_by_the_attacker_is_refused() {
    let attacker = EncodingKey::from_ec_pem(&fixture("attacker-ec256.pem")).unwrap();
    let claims = json(&good_claims());
    for header in [
        format!(r#"{{"alg":"ES256","kid":"es","jwk":{}}}"#, attacker_jwk()),
        format!(r#"{{"alg":"ES256","jwk":{}}}"#, attacker_jwk()),
    ] {
        let token = sign(JwtAlgorithm::ES256, &attacker, &header, &claims);
        assert_invalid_token(run(&token).await);
    }
}

#[tokio::test]
async fn jku_and_x5u_are_never_fetched() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    let attacker = EncodingKey::from_ec_pem(&fixture("attacker-ec256.pem")).unwrap();
    let claims = json(&good_claims());
    for header in [
        format!(r#"{{"alg":"ES256","kid":"es","jku":"{url}"}}"#),
        format!(r#"{{"alg":"ES256","kid":"attacker","jku":"{url}"}}"#),
        format!(r#"{{"alg":"ES256","jku":"{url}"}}"#),
        format!(r#"{{"alg":"ES256","kid":"es","x5u":"{url}"}}"#),
        format!(r#"{{"alg":"ES256","x5u":"{url}"}}"#),
    ] {
        let token = sign(JwtAlgorithm::ES256, &attacker, &header, &claims);
        assert_invalid_token(run(&token).await);
    }
    let connection = tokio::time::timeout(Duration::from_millis(300), listener.accept()).await;
    assert!(
        connection.is_err(),
        "the verifier connected to the token's URL"
    );
}

#[tokio::test]
async fn kid_path_traversal_sql_and_shell_strings_find_no_key() {
    let empty_secret = EncodingKey::from_secret(b"");
    let claims = json(&good_claims());
    for kid in [
        "../../../../../../dev/null",
        "/dev/null",
        "..\\..\\windows\\win.ini",
        "hs/../hs",
        "' OR '1'='1",
        "hs' --",
        "x'; DROP TABLE keys; --",
        "$(id)",
        "`id`",
        "hs; rm -rf /",
        "| cat /etc/passwd",
        "hs\u{0}",
        "HS",
    ] {
        let header = serde_json::json!({"alg": "HS256", "kid": kid}).to_string();
        for key in [&empty_secret, &hmac_key()] {
            let token = sign(JwtAlgorithm::HS256, key, &header, &claims);
            assert_invalid(run(&token).await, TokenError::UnknownKey);
        }
    }
}

#[test]
fn blank_and_weak_hmac_secrets_are_refused_at_configuration() {
    for (algorithm, secret) in [
        (HmacAlgorithm::HS256, &b""[..]),
        (HmacAlgorithm::HS256, b"secret"),
        (HmacAlgorithm::HS256, &[7_u8; 31]),
        (HmacAlgorithm::HS384, &[7_u8; 47]),
        (HmacAlgorithm::HS512, &[7_u8; 63]),
    ] {
        assert!(
            matches!(
                VerifyingKey::hmac(algorithm, secret),
                Err(KeyError::WeakHmacSecret { .. })
            ),
            "{algorithm} with {} bytes",
            secret.len()
        );
    }
    assert!(matches!(
        VerifyingKey::hmac(HmacAlgorithm::HS256, [b' '; 32]),
        Err(KeyError::BlankHmacSecret { .. })
    ));
    assert!(matches!(
        VerifyingKey::hmac(HmacAlgorithm::HS256, " \t\r\n".repeat(10)),
        Err(KeyError::BlankHmacSecret { .. })
    ));
    // The same rule through a JWK.
    assert!(matches!(
        KeySet::new().with_jwk(r#"{"kty":"oct","alg":"HS256","k":"c2VjcmV0"}"#),
        Err(KeyError::WeakHmacSecret { .. })
    ));
    // And a 1024-bit RSA key is as weak.
    assert!(matches!(
        VerifyingKey::rsa_pem(RsaAlgorithm::RS256, fixture("rsa1024.pub.pem")),
        Err(KeyError::RsaModulusSize { bits: 1024, .. })
    ));
    let message = VerifyingKey::hmac(HmacAlgorithm::HS512, [7_u8; 32])
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "the `HS512` secret is 32 bytes; it must be at least 64 bytes, the size of the hash output"
    );
}

#[tokio::test]
async fn psychic_ecdsa_signatures_are_refused() {
    // CVE-2022-21449: r = s = 0 verified against any key in some Java versions.
    let header = b64(r#"{"alg":"ES256","kid":"es"}"#);
    let claims = b64(json(&good_claims()));
    for signature in [
        [0_u8; 64].to_vec(),
        [0_u8; 2].to_vec(),
        vec![0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00],
    ] {
        let token = format!("{header}.{claims}.{}", b64(signature));
        assert_invalid(run(&token).await, TokenError::InvalidSignature);
    }
}

#[tokio::test]
async fn a_signature_of_the_wrong_primitive_is_refused() {
    let claims = json(&good_claims());
    // Signed with PSS, labelled PKCS#1 v1.5.
    let input = format!("{}.{}", b64(r#"{"alg":"RS256","kid":"rsa"}"#), b64(&claims));
    let pss = sign_input(JwtAlgorithm::PS256, &rsa_key(), &input);
    assert_invalid(run(&pss).await, TokenError::InvalidSignature);
    // Labelled honestly, but the key is pinned to RS256.
    let ps = sign(
        JwtAlgorithm::PS256,
        &rsa_key(),
        r#"{"alg":"PS256","kid":"rsa"}"#,
        &claims,
    );
    assert_invalid(run(&ps).await, TokenError::AlgorithmMismatch);
    // An ES384 signature under the ES256 key's id.
    let es384 = sign(
        JwtAlgorithm::ES384,
        &ec384_key(),
        r#"{"alg":"ES384","kid":"es"}"#,
        &claims,
    );
    assert_invalid(run(&es384).await, TokenError::AlgorithmMismatch);
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let mut claims = good_claims();
    claims.insert("exp".into(), (now() - 60).into());
    assert_invalid(run(&hs256(&claims)).await, TokenError::Expired);
    let description = AuthError::InvalidToken(TokenError::Expired).response(REALM);
    assert_eq!(description.error_description, "the access token expired");
}

#[tokio::test]
async fn a_token_at_exactly_exp_is_expired() {
    let mut claims = good_claims();
    claims.insert("exp".into(), now().into());
    claims.insert("iat".into(), (now() - 60).into());
    claims.insert("nbf".into(), (now() - 60).into());
    assert_invalid(run(&hs256(&claims)).await, TokenError::Expired);
    // One second later it was still valid.
    claims.insert("exp".into(), (now() + 2).into());
    run(&hs256(&claims)).await.unwrap();
}

#[tokio::test]
async fn a_token_not_valid_yet_is_refused() {
    let mut claims = good_claims();
    claims.insert("nbf".into(), (now() + 60).into());
    assert_invalid(run(&hs256(&claims)).await, TokenError::NotYetValid);
    let mut claims = good_claims();
    claims.insert("iat".into(), (now() + 60).into());
    assert_invalid(run(&hs256(&claims)).await, TokenError::InvalidClaim("iat"));
}

#[tokio::test]
async fn exp_and_nbf_as_strings_are_refused_not_skipped() {
    for (claim, value) in [
        ("exp", serde_json::Value::from((now() + 600).to_string())),
        ("nbf", serde_json::Value::from((now() - 10).to_string())),
        ("iat", serde_json::Value::from((now() - 10).to_string())),
        ("exp", serde_json::Value::Null),
        ("exp", serde_json::Value::from(true)),
        ("nbf", serde_json::json!([1])),
    ] {
        let mut claims = good_claims();
        claims.insert(claim.into(), value);
        let name: &'static str = match claim {
            "exp" => "exp",
            "nbf" => "nbf",
            _ => "iat",
        };
        assert_invalid(run(&hs256(&claims)).await, TokenError::InvalidClaim(name));
    }
}

#[tokio::test]
async fn a_token_without_exp_is_refused() {
    let mut claims = good_claims();
    claims.remove("exp");
    assert_invalid(run(&hs256(&claims)).await, TokenError::MissingClaim("exp"));
}

#[tokio::test]
async fn wrong_missing_and_empty_audiences_are_refused() {
    for aud in [
        Some(serde_json::json!("other-api")),
        Some(serde_json::json!(["other-api", "third-api"])),
        Some(serde_json::json!("")),
        Some(serde_json::json!([])),
        Some(serde_json::json!("orders-api ")),
        Some(serde_json::json!("ORDERS-API")),
        None,
    ] {
        let mut claims = good_claims();
        match &aud {
            Some(aud) => claims.insert("aud".into(), aud.clone()),
            None => claims.remove("aud"),
        };
        assert_invalid(run(&hs256(&claims)).await, TokenError::InvalidAudience);
    }
    // A number is not an audience at all.
    let mut claims = good_claims();
    claims.insert("aud".into(), 1.into());
    assert_invalid(run(&hs256(&claims)).await, TokenError::InvalidClaim("aud"));
    // One of several audiences is enough.
    let mut claims = good_claims();
    claims.insert("aud".into(), serde_json::json!(["other-api", AUDIENCE]));
    run(&hs256(&claims)).await.unwrap();
}

#[tokio::test]
async fn a_wrong_issuer_or_a_substring_of_it_is_refused() {
    for iss in [
        "https://evil.example",
        "https://issuer.exampl",
        "issuer.example",
        "https://issuer.example/",
        "https://issuer.example.evil.com",
        "HTTPS://ISSUER.EXAMPLE",
        "",
    ] {
        let mut claims = good_claims();
        claims.insert("iss".into(), iss.into());
        assert_invalid(run(&hs256(&claims)).await, TokenError::InvalidIssuer);
    }
    let mut claims = good_claims();
    claims.remove("iss");
    assert_invalid(run(&hs256(&claims)).await, TokenError::InvalidIssuer);
}

#[tokio::test]
async fn a_wrong_typ_is_refused() {
    let store = Arc::new(TestStore::default());
    let auth = JwtAuthenticator::builder(keys(), PrincipalMapper::new())
        .audience(AUDIENCE)
        .require_type("at+jwt")
        .revocation(store)
        .build()
        .unwrap();
    let claims = json(&good_claims());
    for header in [
        r#"{"alg":"HS256","kid":"hs","typ":"JWT"}"#,
        r#"{"alg":"HS256","kid":"hs","typ":"id+jwt"}"#,
        r#"{"alg":"HS256","kid":"hs","typ":"text/at+jwt"}"#,
        r#"{"alg":"HS256","kid":"hs"}"#,
    ] {
        let token = sign(JwtAlgorithm::HS256, &hmac_key(), header, &claims);
        assert_invalid(
            authenticate(&auth, &bearer(&token)).await,
            TokenError::InvalidType,
        );
    }
    for header in [
        r#"{"alg":"HS256","kid":"hs","typ":"at+jwt"}"#,
        r#"{"alg":"HS256","kid":"hs","typ":"AT+JWT"}"#,
        r#"{"alg":"HS256","kid":"hs","typ":"application/at+jwt"}"#,
    ] {
        let token = sign(JwtAlgorithm::HS256, &hmac_key(), header, &claims);
        authenticate(&auth, &bearer(&token)).await.unwrap();
    }
}

#[tokio::test]
async fn an_unknown_crit_extension_is_refused() {
    let claims = json(&good_claims());
    for header in [
        r#"{"alg":"HS256","kid":"hs","crit":["urn:example:unknown"],"urn:example:unknown":true}"#,
        r#"{"alg":"HS256","kid":"hs","crit":["b64"],"b64":false}"#,
        r#"{"alg":"HS256","kid":"hs","crit":[]}"#,
    ] {
        let token = sign(JwtAlgorithm::HS256, &hmac_key(), header, &claims);
        assert_invalid(run(&token).await, TokenError::UnsupportedCritical);
    }
}

#[tokio::test]
async fn duplicate_claims_and_header_members_are_refused() {
    let now = now();
    let claims = format!(
        r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","sub":"user-1","sub":"admin","exp":{}}}"#,
        now + 600
    );
    let token = sign(
        JwtAlgorithm::HS256,
        &hmac_key(),
        r#"{"alg":"HS256","kid":"hs"}"#,
        &claims,
    );
    assert_invalid(run(&token).await, TokenError::Malformed);

    let nested = format!(
        r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","sub":"user-1","exp":{},"realm_access":{{"roles":["user"],"roles":["admin"]}}}}"#,
        now + 600
    );
    let token = sign(
        JwtAlgorithm::HS256,
        &hmac_key(),
        r#"{"alg":"HS256","kid":"hs"}"#,
        &nested,
    );
    assert_invalid(run(&token).await, TokenError::Malformed);

    let header = r#"{"alg":"HS256","kid":"hs","kid":"rsa"}"#;
    let token = sign(
        JwtAlgorithm::HS256,
        &hmac_key(),
        header,
        &json(&good_claims()),
    );
    assert_invalid(run(&token).await, TokenError::Malformed);
}

#[tokio::test]
async fn non_canonical_base64_is_refused() {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (auth, _) = setup();
    let header = b64(r#"{"alg":"HS256","kid":"hs"}"#);
    // Pick claims whose encoding leaves unused bits in its last character.
    let mut claims = good_claims();
    let mut payload = b64(json(&claims));
    for pad in 1..4 {
        if !payload.len().is_multiple_of(4) {
            break;
        }
        claims.insert("pad".into(), "x".repeat(pad).into());
        payload = b64(json(&claims));
    }
    let last = payload.pop().unwrap();
    let value = ALPHABET.find(last).unwrap();
    let tweaked = ALPHABET.as_bytes()[value | 1] as char;
    assert_ne!(tweaked, last, "the last character had a free bit");
    let non_canonical = format!("{header}.{payload}{tweaked}");
    // The signature is valid over the non-canonical input: only strict decoding stops it.
    let token = sign_input(JwtAlgorithm::HS256, &hmac_key(), &non_canonical);
    assert_invalid(auth.verify(&token).await, TokenError::Malformed);

    // Padding, and the standard alphabet.
    let good = (0..100)
        .map(|_| hs256(&good_claims()))
        .find(|t| t.rsplit_once('.').unwrap().1.contains(['-', '_']))
        .unwrap();
    let (head, signature) = good.rsplit_once('.').unwrap();
    let padded = sign_input(JwtAlgorithm::HS256, &hmac_key(), &format!("{head}=="));
    assert_invalid(auth.verify(&padded).await, TokenError::Malformed);
    let standard = format!("{head}.{}", signature.replace('-', "+").replace('_', "/"));
    assert_invalid(auth.verify(&standard).await, TokenError::Malformed);
    let spaced = format!("{head}. {signature}");
    assert_invalid(auth.verify(&spaced).await, TokenError::Malformed);
}

#[tokio::test]
async fn json_serialization_is_refused() {
    let good = hs256(&good_claims());
    let mut parts = good.split('.');
    let (protected, payload, signature) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let flattened =
        format!(r#"{{"payload":"{payload}","protected":"{protected}","signature":"{signature}"}}"#);
    let general = format!(
        r#"{{"payload":"{payload}","signatures":[{{"protected":"{protected}","signature":"{signature}"}}]}}"#
    );
    let (auth, _) = setup();
    for jws in [flattened, general] {
        assert_invalid(run(&jws).await, TokenError::Malformed);
        assert_invalid(auth.verify(&jws).await, TokenError::Malformed);
    }
}

#[tokio::test]
async fn four_or_more_segments_are_refused() {
    let good = hs256(&good_claims());
    for token in [
        format!("{good}."),
        format!("{good}.{}", b64("extra")),
        format!("a.{good}"),
        // A JWE has five.
        "eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0..aXY.Y2lwaGVy.dGFn".to_owned(),
    ] {
        assert_invalid(run(&token).await, TokenError::Malformed);
    }
}

#[tokio::test]
async fn an_empty_token_is_refused() {
    let (auth, _) = setup();
    for header in ["Bearer ", "Bearer", "bearer "] {
        let request = request(&[("authorization", header)]);
        assert_invalid(authenticate(&auth, &request).await, TokenError::Malformed);
    }
    assert_invalid(auth.verify("").await, TokenError::Malformed);
    assert_invalid(auth.verify("..").await, TokenError::Malformed);
}

#[tokio::test]
async fn a_hundred_thousand_dots_are_refused() {
    let dots = ".".repeat(100_000);
    assert_invalid(run(&dots).await, TokenError::TooLarge);
    // Even when the limit lets them in, they are just a malformed token.
    let auth = JwtAuthenticator::builder(keys(), PrincipalMapper::new())
        .max_token_bytes(200_000)
        .dangerous_without_revocation()
        .build()
        .unwrap();
    assert_invalid(auth.verify(&dots).await, TokenError::Malformed);
}

#[tokio::test]
async fn a_one_mebibyte_token_is_refused_before_parsing() {
    // Valid b64token characters and a valid-looking shape: only the size check can
    // stop it, and it must, before base64 or JSON see it.
    let segment = "A".repeat(512 * 1024);
    let token = format!("{segment}.{segment}.{}", b64([0_u8; 32]));
    assert_invalid(run(&token).await, TokenError::TooLarge);
    let (auth, _) = setup();
    assert_invalid(auth.verify(&token).await, TokenError::TooLarge);
    let cookie = request(&[("cookie", &format!("access_token={token}"))]);
    assert_invalid(authenticate(&auth, &cookie).await, TokenError::TooLarge);
}

#[tokio::test]
async fn a_revoked_token_is_refused() {
    let (auth, store) = setup();
    let claims = good_claims();
    let token = hs256(&claims);
    authenticate(&auth, &bearer(&token)).await.unwrap();
    let jti = claims["jti"].as_str().unwrap();
    store.revoke_token(jti, unix(now() + 600)).await.unwrap();
    assert_invalid(
        authenticate(&auth, &bearer(&token)).await,
        TokenError::Revoked,
    );
}

#[tokio::test]
async fn a_token_of_a_subject_revoked_after_issue_is_refused() {
    let (auth, store) = setup();
    let mut claims = good_claims();
    claims.insert("iat".into(), (now() - 30).into());
    let token = hs256(&claims);
    authenticate(&auth, &bearer(&token)).await.unwrap();
    store
        .revoke_subject("user-1", unix(now() - 1))
        .await
        .unwrap();
    assert_invalid(
        authenticate(&auth, &bearer(&token)).await,
        TokenError::SubjectRevoked,
    );
    // Another subject is not affected.
    let mut other = good_claims();
    other.insert("sub".into(), "user-2".into());
    authenticate(&auth, &bearer(&hs256(&other))).await.unwrap();
}

#[tokio::test]
async fn no_credentials_get_a_challenge_without_error() {
    let (auth, _) = setup();
    for request in [
        request(&[]),
        request(&[("authorization", "Basic dXNlcjpwYXNz")]),
        request(&[("cookie", "session=abc")]),
    ] {
        let error = authenticate(&auth, &request).await.unwrap_err();
        assert!(matches!(error, AuthError::MissingCredentials), "{error:?}");
        let response = error.response(REALM);
        assert_eq!(response.status.as_u16(), 401);
        assert_eq!(
            response.www_authenticate.as_deref(),
            Some(r#"Bearer realm="api""#)
        );
    }
}

#[tokio::test]
async fn a_token_in_the_url_query_is_not_a_credential() {
    let (auth, _) = setup();
    let token = hs256(&good_claims());
    let (request, ()) = http::Request::builder()
        .uri(format!("https://api.example/orders?access_token={token}"))
        .body(())
        .unwrap()
        .into_parts();
    let error = authenticate(&auth, &request).await.unwrap_err();
    assert!(matches!(error, AuthError::MissingCredentials), "{error:?}");
}

#[tokio::test]
async fn two_credentials_are_a_bad_request() {
    let (auth, _) = setup();
    let token = hs256(&good_claims());
    let header = format!("Bearer {token}");
    let cookie = format!("access_token={token}");
    for request in [
        request(&[("authorization", &header), ("authorization", &header)]),
        request(&[("authorization", &header), ("cookie", &cookie)]),
        request(&[("cookie", &cookie), ("cookie", &cookie)]),
    ] {
        let error = authenticate(&auth, &request).await.unwrap_err();
        let response = error.response(REALM);
        assert_eq!(response.status.as_u16(), 400, "{error:?}");
        assert_eq!(response.error, "invalid_request");
        assert!(
            response
                .www_authenticate
                .unwrap_or_default()
                .contains(r#"error="invalid_request""#)
        );
    }
    // The cookie alone is fine.
    authenticate(&auth, &request(&[("cookie", &cookie)]))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_failing_revocation_store_is_a_503_never_a_pass() {
    let (auth, store) = setup();
    let token = hs256(&good_claims());
    authenticate(&auth, &bearer(&token)).await.unwrap();
    store.set_down(true);
    let error = authenticate(&auth, &bearer(&token)).await.unwrap_err();
    assert!(matches!(error, AuthError::Unavailable { .. }), "{error:?}");
    let response = error.response(REALM);
    assert_eq!(response.status.as_u16(), 503);
    assert_eq!(response.www_authenticate, None);
    store.set_down(false);
    authenticate(&auth, &bearer(&token)).await.unwrap();
}
