//! Known answers from the RFCs, values copied from the documents: RFC 7515
//! Appendix A.1–A.3 and A.5, RFC 7520 §4.1–4.4, RFC 8037 Appendix A.4.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod jwt_support;

use auth_core::jwt::{Algorithm, JwtAuthenticator, KeyError, KeySet, PrincipalMapper, dangerous};
use auth_core::{AuthError, TokenError};

/// RFC 7515 A.1–A.3: the JWT claims set all three examples sign, with its CRLFs.
const RFC7515_PAYLOAD: &[u8] =
    b"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";

/// RFC 7515 A.1.1: the HMAC key.
const A1_JWK: &str = r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;
/// RFC 7515 A.1.1: the JWS Compact Serialization.
const A1_JWS: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// RFC 7515 A.2.1: the RSA public key (n, e of the example key).
const A2_JWK: &str = r#"{"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB"}"#;
/// RFC 7515 A.2.1: the JWS Compact Serialization.
const A2_JWS: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

/// RFC 7515 A.3.1: the P-256 public key.
const A3_JWK: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
/// RFC 7515 A.3.1: the JWS Compact Serialization.
const A3_JWS: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

/// RFC 7515 A.5: an Unsecured JWS of the same claims.
const A5_JWS: &str = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.";

/// RFC 7520 Figure 7, the payload of every §4 example.
const RFC7520_PAYLOAD: &str = "It\u{2019}s a dangerous business, Frodo, going out your door. You step onto the road, and if you don't keep your feet, there\u{2019}s no knowing where you might be swept off to.";
/// RFC 7520 Figure 8, that payload base64url-encoded.
const RFC7520_PAYLOAD_B64: &str = "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4";

/// RFC 7520 Figure 3: the RSA 2048-bit public key.
const RFC7520_RSA_JWK: &str = r#"{"kty":"RSA","kid":"bilbo.baggins@hobbiton.example","use":"sig","n":"n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw","e":"AQAB"}"#;
/// RFC 7520 Figure 1: the EC P-521 public key.
const RFC7520_EC_JWK: &str = r#"{"kty":"EC","kid":"bilbo.baggins@hobbiton.example","use":"sig","crv":"P-521","x":"AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt","y":"AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1"}"#;
/// RFC 7520 Figure 5: the HMAC SHA-256 key.
const RFC7520_HMAC_JWK: &str = r#"{"kty":"oct","kid":"018c0ae5-4d9b-471b-bfd6-eef314bc7037","use":"sig","alg":"HS256","k":"hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"}"#;

/// RFC 7520 §4.1.3, Figure 13 (RS256): header, payload, Figure 12 signature.
const RFC7520_4_1: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.{payload}.MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg";
/// RFC 7520 §4.2.3, Figure 20 (PS384).
const RFC7520_4_2: &str = "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.{payload}.cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2IpN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXUvdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRXe8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0uTOcbH510a6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw";
/// RFC 7520 §4.3.3, Figure 27 (ES512).
const RFC7520_4_3: &str = "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.{payload}.AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kvAD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2";
/// RFC 7520 §4.4.3, Figure 34 (HS256).
const RFC7520_4_4: &str = "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9.{payload}.s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0";

/// RFC 8037 A.4: the Ed25519 public key (from A.1/A.2) and the signed example.
const RFC8037_JWK: &str =
    r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
const RFC8037_A4: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

fn rfc7520(template: &str) -> String {
    template.replace("{payload}", RFC7520_PAYLOAD_B64)
}

fn pinned(jwk: &str, algorithm: Algorithm) -> KeySet {
    KeySet::new().with_jwk_pinned(jwk, algorithm).unwrap()
}

#[tokio::test]
async fn rfc7515_a1_hs256() {
    let keys = pinned(A1_JWK, Algorithm::HS256);
    assert_eq!(
        dangerous::verify_signature_only(&keys, A1_JWS.as_bytes()).unwrap(),
        RFC7515_PAYLOAD
    );
    // Through the authenticator it is a valid token of 2011: expired.
    let auth = JwtAuthenticator::builder(keys, PrincipalMapper::new())
        .dangerous_without_revocation()
        .build()
        .unwrap();
    let result = auth.verify(A1_JWS).await;
    // `sub` is missing too; the parser reports the first problem it meets.
    assert!(
        matches!(
            result,
            Err(AuthError::InvalidToken(
                TokenError::MissingClaim("sub") | TokenError::Expired
            ))
        ),
        "{result:?}"
    );
}

#[test]
fn rfc7515_a2_rs256() {
    let keys = pinned(A2_JWK, Algorithm::RS256);
    assert_eq!(
        dangerous::verify_signature_only(&keys, A2_JWS.as_bytes()).unwrap(),
        RFC7515_PAYLOAD
    );
    // The same key pinned to PS256 refuses the RS256 token.
    let pss = pinned(A2_JWK, Algorithm::PS256);
    assert_eq!(
        dangerous::verify_signature_only(&pss, A2_JWS.as_bytes()),
        Err(TokenError::AlgorithmMismatch)
    );
}

#[test]
fn rfc7515_a3_es256() {
    let keys = pinned(A3_JWK, Algorithm::ES256);
    assert_eq!(
        dangerous::verify_signature_only(&keys, A3_JWS.as_bytes()).unwrap(),
        RFC7515_PAYLOAD
    );
    // A flipped bit in the signature.
    let tampered = A3_JWS.replace(".DtEhU3", ".DtEhU4");
    assert_eq!(
        dangerous::verify_signature_only(&keys, tampered.as_bytes()),
        Err(TokenError::InvalidSignature)
    );
}

#[test]
fn rfc7515_a5_unsecured_jws_is_rejected() {
    for (jwk, algorithm) in [
        (A1_JWK, Algorithm::HS256),
        (A2_JWK, Algorithm::RS256),
        (A3_JWK, Algorithm::ES256),
    ] {
        let keys = pinned(jwk, algorithm);
        assert_eq!(
            dangerous::verify_signature_only(&keys, A5_JWS.as_bytes()),
            Err(TokenError::Malformed),
            "an empty signature is not even a candidate"
        );
        // With something in the signature slot, `none` still names no key's algorithm.
        let padded = format!("{A5_JWS}AAAA");
        assert_eq!(
            dangerous::verify_signature_only(&keys, padded.as_bytes()),
            Err(TokenError::AlgorithmMismatch)
        );
    }
}

#[test]
fn rfc7520_4_1_rs256() {
    let keys = pinned(RFC7520_RSA_JWK, Algorithm::RS256);
    let payload = dangerous::verify_signature_only(&keys, rfc7520(RFC7520_4_1).as_bytes()).unwrap();
    assert_eq!(payload, RFC7520_PAYLOAD.as_bytes());
}

#[test]
fn rfc7520_4_2_ps384() {
    let keys = pinned(RFC7520_RSA_JWK, Algorithm::PS384);
    let payload = dangerous::verify_signature_only(&keys, rfc7520(RFC7520_4_2).as_bytes()).unwrap();
    assert_eq!(payload, RFC7520_PAYLOAD.as_bytes());
    // The key pinned to RS256 (§4.1) refuses the PS384 token: one key, one algorithm.
    let rs256 = pinned(RFC7520_RSA_JWK, Algorithm::RS256);
    assert_eq!(
        dangerous::verify_signature_only(&rs256, rfc7520(RFC7520_4_2).as_bytes()),
        Err(TokenError::AlgorithmMismatch)
    );
}

#[test]
fn rfc7520_4_3_es512_is_unsupported_and_rejected() {
    // P-521 / ES512 is not verified by `jsonwebtoken`: the key cannot be configured,
    // so the token cannot be accepted.
    let refused =
        KeySet::new().with_jwk(&RFC7520_EC_JWK.replace(r#""use""#, r#""alg":"ES512","use""#));
    assert!(
        matches!(&refused, Err(KeyError::UnsupportedAlgorithm(alg)) if alg == "ES512"),
        "{refused:?}"
    );
    // Pinned to the nearest supported algorithm, the curve does not match.
    let refused = KeySet::new().with_jwk_pinned(RFC7520_EC_JWK, Algorithm::ES384);
    assert!(
        matches!(refused, Err(KeyError::CurveMismatch { .. })),
        "{refused:?}"
    );
    // And no other key verifies it.
    let keys = pinned(RFC7520_RSA_JWK, Algorithm::RS256);
    assert_eq!(
        dangerous::verify_signature_only(&keys, rfc7520(RFC7520_4_3).as_bytes()),
        Err(TokenError::AlgorithmMismatch)
    );
}

#[test]
fn rfc7520_4_4_hs256() {
    let keys = KeySet::new().with_jwk(RFC7520_HMAC_JWK).unwrap();
    let payload = dangerous::verify_signature_only(&keys, rfc7520(RFC7520_4_4).as_bytes()).unwrap();
    assert_eq!(payload, RFC7520_PAYLOAD.as_bytes());
}

#[test]
fn rfc8037_a4_ed25519() {
    let keys = pinned(RFC8037_JWK, Algorithm::EdDSA);
    let payload = dangerous::verify_signature_only(&keys, RFC8037_A4.as_bytes()).unwrap();
    assert_eq!(payload, b"Example of Ed25519 signing");
    // A.5: validation fails for a modified payload.
    let tampered = RFC8037_A4.replace(
        "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc",
        "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmd",
    );
    assert!(dangerous::verify_signature_only(&keys, tampered.as_bytes()).is_err());
}
