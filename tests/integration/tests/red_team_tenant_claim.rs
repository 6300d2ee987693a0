//! Red team, round two: where a principal's tenant comes from. Only a
//! configured, verified claim sets it; an empty claim is still taken as a
//! tenant (finding 1 of `tests/adversarial/tests/red_team_scope.rs`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod jwt_support;

use auth_core::authenticate;
use auth_core::jwt::{HmacAlgorithm, JwtAuthenticator, KeySet, PrincipalMapper, VerifyingKey};
use jwt_support::*;

fn keys() -> KeySet {
    KeySet::new()
        .with_key(
            "hs",
            VerifyingKey::hmac(HmacAlgorithm::HS256, HMAC_SECRET).unwrap(),
        )
        .unwrap()
}

fn with_tenant_claim() -> impl auth_core::Authenticator {
    JwtAuthenticator::builder(keys(), PrincipalMapper::new())
        .audience(AUDIENCE)
        .tenant_claim("tid")
        .dangerous_without_revocation()
        .build()
        .unwrap()
}

/// A header never names the tenant, and neither does an unsigned or
/// unconfigured claim: with `tenant_claim("tid")`, a request header
/// `X-Tenant` and a `tenant` claim change nothing; the signed `tid` does.
#[tokio::test]
async fn only_the_configured_signed_claim_names_the_tenant() {
    let auth = with_tenant_claim();
    let mut claims = good_claims();
    claims.insert("tid".into(), "acme".into());
    claims.insert("tenant".into(), "globex".into());
    let mut request = bearer(&hs256(&claims));
    request
        .headers
        .insert("x-tenant", http::HeaderValue::from_static("globex"));
    request
        .headers
        .insert("x-tenant-id", http::HeaderValue::from_static("globex"));
    let user = authenticate(&auth, &request).await.unwrap();
    assert_eq!(user.info().tenant(), Some("acme"));
    // A token whose signature does not verify names no tenant at all.
    let token = hs256(&claims);
    let (head, rest) = token.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let mut forged = claims.clone();
    forged.insert("tid".into(), "globex".into());
    let forged_body = hs256(&forged);
    let forged_payload = forged_body.split('.').nth(1).unwrap();
    let spliced = format!("{head}.{forged_payload}.{signature}");
    assert!(authenticate(&auth, &bearer(&spliced)).await.is_err());
}

/// Finding 1, at its source: a token whose `tid` is `""` is accepted, and its
/// principal's tenant is `Some("")`, which then matches every resource whose
/// tenant column is empty. Fix: refuse an empty tenant claim
/// (`TokenError::InvalidClaim("tid")`), as a missing one is refused.
#[tokio::test]
async fn an_empty_tenant_claim_is_refused() {
    let auth = with_tenant_claim();
    let mut claims = good_claims();
    claims.insert("tid".into(), "".into());
    let result = authenticate(&auth, &bearer(&hs256(&claims))).await;
    assert!(
        result.is_err(),
        "accepted, with tenant {:?}",
        result.map(|user| user.info().tenant().map(str::to_owned))
    );
}
