//! Bearer JWT authentication: [`JwtAuthenticator`] turns a verified token into an
//! [`Identity`](crate::Identity).
//!
//! Verification follows RFC 8725 (JWT best current practices) on `jsonwebtoken`'s
//! crypto: every key pinned to one [`Algorithm`], keys chosen by `kid` only, strict
//! parsing, `exp` required, claims typed, revocation checked on every request. The
//! [`JwtAuthenticator`] docs list the checks in order.
//!
//! # HS256, with a shared secret
//!
//! ```
//! use auth_core::authenticate;
//! use auth_core::jwt::{HmacAlgorithm, JwtAuthenticator, KeySet, PrincipalMapper, VerifyingKey};
//! use auth_core::revocation::MemoryRevocationStore;
//!
//! // At least 32 bytes for HS256; read it from your secret store, not from code.
//! let secret = b"an example secret of 32 bytes...";
//! let keys = KeySet::single(VerifyingKey::hmac(HmacAlgorithm::HS256, secret)?);
//!
//! let authenticator = JwtAuthenticator::builder(keys, PrincipalMapper::new())
//!     .issuer("https://auth.example.com")
//!     .audience("orders-api")
//!     .require_type("at+jwt") // RFC 9068 access tokens: an ID token is refused
//!     .revocation(MemoryRevocationStore::new())
//!     .build()?;
//!
//! let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiJodHRwczovL2F1dGguZXhhbX\
//!     BsZS5jb20iLCJhdWQiOiJvcmRlcnMtYXBpIiwic3ViIjoidXNlci0xIiwiZXhwIjo0MTAyNDQ0ODAwLCJzY29wZ\
//!     SI6Im9yZGVyczpyZWFkIn0.BOAdgVtBT-BvfCHuB7Q0K7CyjJil3-EvPwWooLHtyrU";
//! let (request, ()) = http::Request::builder()
//!     .header("authorization", format!("Bearer {token}"))
//!     .body(())?
//!     .into_parts();
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let user = authenticate(&authenticator, &request).await?;
//! assert_eq!(user.subject(), "user-1");
//! assert!(user.scopes().contains("orders:read"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # RS256 from a JWK Set, with Keycloak roles
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! use auth_core::jwt::{JwtAuthenticator, KeySet, PrincipalMapper, RolesClaim};
//! use auth_core::revocation::MemoryRevocationStore;
//!
//! // One store, shared with the logout handler that revokes in it.
//! let revocations = Arc::new(MemoryRevocationStore::new());
//!
//! // The document at the provider's `jwks_uri`. Keys for encryption (`use: enc`) are
//! // set aside; each signing key is pinned to its `alg` and found by its `kid`.
//! let jwks = r#"{"keys":[
//!   {"kty":"RSA","kid":"bilbo.baggins@hobbiton.example","use":"sig","alg":"RS256",
//!    "n":"n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw",
//!    "e":"AQAB"},
//!   {"kty":"RSA","kid":"enc-1","use":"enc","alg":"RSA-OAEP",
//!    "n":"n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw",
//!    "e":"AQAB"}
//! ]}"#;
//! let keys = KeySet::from_jwk_set(jwks)?;
//! assert_eq!(keys.len(), 1);
//! assert_eq!(keys.skipped().len(), 1);
//!
//! let authenticator = JwtAuthenticator::builder(
//!     keys,
//!     PrincipalMapper::new().roles(RolesClaim::keycloak_realm()),
//! )
//! .issuer("https://keycloak.example.com/realms/shop")
//! .audience("orders-api")
//! .leeway(Duration::from_secs(10))
//! .verified_token_cache(10_000) // more than the default 4 096 tokens
//! .revocation(Arc::clone(&revocations))
//! .build()?;
//! # let _ = authenticator;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Issuing tokens
//!
//! [`TokenIssuer`] signs access tokens with a [`SigningKey`], rotates opaque
//! refresh tokens, and logs out (one session, or everywhere) through the same
//! revocation store; its docs show login, refresh and logout.
//!
//! # RS256 from a JWKS URL (feature `jwks`)
//!
//! A [`RemoteKeySet`] fetches the provider's JWK Set over HTTPS, keeps it current in
//! the background, and re-fetches on an unknown `kid` at most once per interval; an
//! endpoint that is down or slow leaves the cached keys working.
//!
#![cfg_attr(feature = "jwks", doc = "```no_run")]
#![cfg_attr(not(feature = "jwks"), doc = "```ignore")]
//! use auth_core::jwt::{Algorithm, JwtAuthenticator, PrincipalMapper, RemoteKeySet};
//! use auth_core::revocation::MemoryRevocationStore;
//!
//! # async fn configure() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = RemoteKeySet::from_url("https://login.example.com/.well-known/jwks.json")
//!     .pin_algorithm(Algorithm::RS256)
//!     .fetch() // once now: the service starts with keys, or not at all
//!     .await?;
//!
//! let authenticator = JwtAuthenticator::builder(keys, PrincipalMapper::new())
//!     .issuer("https://login.example.com/")
//!     .audience("orders-api")
//!     .revocation(MemoryRevocationStore::new())
//!     .build()?;
//! # let _ = authenticator;
//! # Ok(())
//! # }
//! ```
//!
//! [`RemoteKeySet::from_issuer`] finds the JWK Set through OIDC discovery
//! instead; [`RemoteKeySetBuilder::start_empty`] starts without keys (503 until
//! the first fetch succeeds).
//!
#![cfg_attr(
    not(feature = "jwks"),
    doc = "[`RemoteKeySet`]: #rs256-from-a-jwks-url-feature-jwks\n\
           [`RemoteKeySet::from_issuer`]: #rs256-from-a-jwks-url-feature-jwks\n\
           [`RemoteKeySetBuilder::start_empty`]: #rs256-from-a-jwks-url-feature-jwks"
)]
//!
//! # Reloading the user on every request
//!
//! Roles in a token are as old as the token. For gates that must see a demotion at
//! once, implement [`ClaimsMapper`] over your user store: it runs on every request,
//! after the revocation check, and can refuse a subject that no longer exists
//! ([`TokenError::UnknownSubject`](crate::TokenError::UnknownSubject)).
//!
//! # Defaults
//!
//! [`JwtAuthenticatorBuilder`] lists every default and why. In short: `exp`
//! required; leeway [`DEFAULT_LEEWAY`] (30 s); tokens up to
//! [`DEFAULT_MAX_TOKEN_BYTES`] (8 KiB); a token with `aud` refused unless an
//! audience is configured; `iss` pinned to the issuer the keys belong to (OIDC
//! discovery, [`TokenIssuer::authenticator_builder`]), otherwise as configured;
//! revocation must be chosen; [`DEFAULT_VERIFIED_TOKEN_CACHE`] verified tokens
//! cached; no cookie, and with one, unsafe requests and WebSocket handshakes
//! carrying it must come from the same origin or a trusted one. Each weakening is a `dangerous_*` call.
//!
//! # Crypto backend
//!
//! Signatures are verified with `jsonwebtoken`'s crypto, on AWS-LC (feature
//! `aws_lc_rs`, the default) or `RustCrypto` (feature `rust_crypto`, pure Rust; use
//! `default-features = false, features = ["rust_crypto"]`). A build with `jwt` and
//! neither fails to compile with a message naming both. When both are enabled
//! (Cargo unifies features across a build), AWS-LC is used: this crate names its
//! provider itself rather than going through `jsonwebtoken`'s process default, which
//! would panic on first use in that case. [`crypto_backend`] tells which one is in
//! use. With `rust_crypto`, RSA keys are limited to 4096 bits.

/// The `tracing` target of the module's operational events (a failed store
/// write, a JWKS refresh): `auth_core::jwt`, wherever the code lives, so a filter
/// such as `RUST_LOG=auth_core::jwt=warn` keeps matching. Audit events use
/// [`crate::audit::TARGET`].
pub(crate) const LOG_TARGET: &str = "auth_core::jwt";

mod algorithm;
mod authenticator;
mod backend;
mod bearer;
mod cache;
mod claims;
pub mod dangerous;
mod error;
mod issuer;
mod jwk;
#[cfg(feature = "jwks")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwks")))]
mod jwks;
mod jws;
mod key;
mod key_set;
mod key_source;
mod mapping;
mod roca;
mod signing_key;
mod strict_json;
mod validation;
mod verifier_cache;

pub use self::algorithm::{Algorithm, EcAlgorithm, HmacAlgorithm, RsaAlgorithm};
pub use self::authenticator::{
    DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_BYTES, DEFAULT_VERIFIED_TOKEN_CACHE, JwtAuthenticator,
    JwtAuthenticatorBuilder, MAX_LEEWAY, NoRevocation, RevocationChoice, RevocationUnset,
};
pub use self::backend::crypto_backend;
pub use self::claims::Claims;

/// The private claim that marks a guest's token: `true` in the tokens
/// [`TokenIssuer::issue_guest_token`] mints. [`JwtAuthenticator`] gives their
/// principals [`Mechanism::Guest`](crate::Mechanism::Guest), which
/// `#[requires]` handlers refuse unless they say `guests = true`.
pub const GUEST_CLAIM: &str = "urn:auth-core:guest";
pub use self::error::{ConfigError, KeyError};
pub use self::issuer::{
    ACCESS_TOKEN_TYPE, AccessClaims, AccessToken, ClaimError, DEFAULT_ACCESS_TTL,
    DEFAULT_REFRESH_GRACE, DEFAULT_REFRESH_TTL, IssueError, IssuerConfigError, MAX_ACCESS_TTL,
    MAX_REFRESH_GRACE, RefreshGrant, TOKEN_RESPONSE_HEADERS, TokenIssuer, TokenIssuerBuilder,
    TokenPair,
};
#[cfg(feature = "jwks")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwks")))]
pub use self::jwks::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_FETCH_TIMEOUT, DEFAULT_MAX_JWKS_BYTES,
    DEFAULT_MIN_FETCH_INTERVAL, DEFAULT_REFRESH_INTERVAL, JwksError, RemoteKeySet,
    RemoteKeySetBuilder,
};
pub use self::key::VerifyingKey;
pub use self::key_set::{KeySet, SkippedKey};
pub use self::key_source::KeySource;
pub use self::mapping::{
    ClaimsMapper, FnMapper, HasSubject, Principal, PrincipalMapper, RolesClaim, from_fn,
};
pub use self::signing_key::{SigningKey, SigningKeyError};
