//! Configuration errors: a key that cannot be trusted, a setting that makes no sense.
//!
//! These are startup failures, reported once, so they say exactly what is wrong. They
//! never contain key material: a secret, a modulus or a JWK is never echoed.

use super::{Algorithm, HmacAlgorithm};

/// Why a verification key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The HMAC secret is shorter than the hash output (RFC 7518 §3.2).
    #[error(
        "the `{algorithm}` secret is {length} bytes; it must be at least {minimum} bytes, the size of the hash output"
    )]
    WeakHmacSecret {
        /// The algorithm the secret was meant for.
        algorithm: HmacAlgorithm,
        /// The secret's length.
        length: usize,
        /// The shortest length accepted.
        minimum: usize,
    },
    /// The HMAC secret is only whitespace.
    #[error("the `{algorithm}` secret is blank")]
    BlankHmacSecret {
        /// The algorithm the secret was meant for.
        algorithm: HmacAlgorithm,
    },
    /// The RSA modulus is too small to be safe, or too large for the backend.
    #[error("the RSA modulus is {bits} bits; it must be {minimum} to {maximum} bits")]
    RsaModulusSize {
        /// The modulus size.
        bits: usize,
        /// The smallest size accepted.
        minimum: usize,
        /// The largest size the crypto backend verifies with.
        maximum: usize,
    },
    /// The RSA public exponent is even, below 3 or too large.
    #[error("the RSA public exponent must be odd, at least 3 and below 2^33")]
    RsaExponent,
    /// The RSA modulus carries the ROCA fingerprint: its private key can be recovered.
    #[error(
        "the RSA modulus has the ROCA fingerprint (CVE-2017-15361): its private key can be recovered; generate a new key pair"
    )]
    RsaRoca,
    /// The key material is not a valid key for its algorithm.
    #[error("not a valid `{algorithm}` key: {reason}")]
    InvalidKey {
        /// The algorithm the key was meant for.
        algorithm: Algorithm,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The input is not PEM.
    #[error("not a PEM document")]
    InvalidPem,
    /// The PEM block is not a public key.
    #[error("expected a `PUBLIC KEY` PEM block, found `{label}`")]
    PemLabel {
        /// The label found after `-----BEGIN `.
        label: String,
    },
    /// A private key was given where a public key belongs.
    #[error("a private key was given: configure the public key, a verifier never needs to sign")]
    PrivateKey,
    /// The JWK or JWK Set is not valid JSON of the expected shape.
    #[error("not a valid JWK: {reason}")]
    InvalidJwk {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The `alg` names an algorithm this crate does not verify.
    #[error("unsupported algorithm `{0}`")]
    UnsupportedAlgorithm(String),
    /// The JWK names no `alg` and none was pinned.
    #[error("the JWK has no `alg`: pin one with `with_jwk_pinned` or `from_jwk_set_pinned`")]
    MissingAlgorithm,
    /// The JWK's `alg` differs from the algorithm pinned for it.
    #[error("the JWK's `alg` is `{jwk}`, but `{pinned}` was pinned")]
    AlgorithmConflict {
        /// The JWK's `alg`.
        jwk: String,
        /// The algorithm the caller pinned.
        pinned: Algorithm,
    },
    /// The key type cannot be used with the algorithm.
    #[error("a `{kty}` key cannot verify `{algorithm}`")]
    KeyTypeMismatch {
        /// The JWK `kty`, or the PEM key type.
        kty: String,
        /// The algorithm.
        algorithm: Algorithm,
    },
    /// The JWK `crv` is not the curve of the algorithm.
    #[error("the curve `{crv}` does not match `{algorithm}`")]
    CurveMismatch {
        /// The JWK `crv`.
        crv: String,
        /// The algorithm.
        algorithm: Algorithm,
    },
    /// The JWK is not meant for signatures: its `use` is not `sig`.
    #[error("the JWK is not for signatures: its `use` is not `sig`")]
    NotForSignatures,
    /// The JWK's `key_ops` do not include `verify`.
    #[error("the JWK's `key_ops` do not include `verify`")]
    VerifyNotAllowed,
    /// Two keys share a key id, so a `kid` could not choose between them.
    #[error("two keys have the key id `{0}`")]
    DuplicateKid(String),
    /// Two keys were added without a key id.
    #[error("two keys have no key id: a token without `kid` could not choose between them")]
    DuplicateDefaultKey,
    /// A key id is the empty string.
    #[error("a key id must not be empty")]
    EmptyKid,
    /// A JWK Set holds both shared secrets and public keys.
    #[error("the JWK Set mixes symmetric (`oct`) and asymmetric keys")]
    MixedKeySet,
    /// A JWK Set holds no key that can verify signatures.
    #[error("the JWK Set has no usable signature verification key")]
    EmptyKeySet,
    /// The crypto backend refused the key for its algorithm.
    #[error("the crypto backend refused the `{0}` key")]
    Backend(Algorithm),
}

/// Why [`JwtAuthenticatorBuilder::build`](super::JwtAuthenticatorBuilder::build)
/// refused the configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The key set holds no key: every token would be refused.
    #[error("the key set is empty")]
    EmptyKeySet,
    /// The expected issuer is the empty string.
    #[error("the issuer must not be empty")]
    EmptyIssuer,
    /// [`issuer`](super::JwtAuthenticatorBuilder::issuer) names another issuer than
    /// the one the keys are known to belong to (found by OIDC discovery, or a
    /// [`TokenIssuer`](super::TokenIssuer)'s own): its keys would then accept
    /// tokens that claim to come from someone else.
    #[error(
        "the keys are those of the issuer `{pinned}` ({pinned_by}), but `issuer` names `{configured}`; to accept any issuer with these keys, call `dangerous_accept_any_issuer` instead"
    )]
    IssuerMismatch {
        /// The issuer the keys belong to.
        pinned: String,
        /// Where that is known from: `"OIDC discovery"` or `"the token issuer"`.
        pinned_by: &'static str,
        /// The issuer given to `issuer`.
        configured: String,
    },
    /// Both [`issuer`](super::JwtAuthenticatorBuilder::issuer) and
    /// [`dangerous_accept_any_issuer`](super::JwtAuthenticatorBuilder::dangerous_accept_any_issuer)
    /// were called.
    #[error("`issuer` and `dangerous_accept_any_issuer` contradict each other: call one")]
    AnyIssuerConflict,
    /// A trusted origin is not an origin: `scheme://host[:port]` with `https` or
    /// `http`, no path (not even `/`), no `null` or wildcard, ASCII host (punycode).
    #[error(
        "`{origin}` is not an origin: write `https://host` or `https://host:port`, with no path, `null` or wildcard"
    )]
    InvalidTrustedOrigin {
        /// The origin as given.
        origin: String,
    },
    /// [`trusted_origin`](super::JwtAuthenticatorBuilder::trusted_origin) was called
    /// without a [`cookie`](super::JwtAuthenticatorBuilder::cookie): trusted origins
    /// only apply to the cookie (they are not CORS).
    #[error(
        "trusted origins only apply to a token read from a cookie: configure `cookie`, or remove them"
    )]
    TrustedOriginWithoutCookie,
    /// Trusted origins were configured, and the cross-site check they belong to was
    /// turned off with
    /// [`dangerous_without_cross_site_check`](super::JwtAuthenticatorBuilder::dangerous_without_cross_site_check).
    #[error(
        "`trusted_origin` and `dangerous_without_cross_site_check` contradict each other: call one"
    )]
    TrustedOriginWithoutCrossSiteCheck,
    /// An accepted audience is the empty string.
    #[error("an audience must not be empty")]
    EmptyAudience,
    /// The required token type (`typ`) is the empty string.
    #[error("the required token type must not be empty")]
    EmptyType,
    /// The leeway is larger than the cap.
    #[error("the leeway is {seconds} s; at most {maximum} s is allowed")]
    LeewayTooLarge {
        /// The leeway asked for.
        seconds: u64,
        /// The largest leeway accepted.
        maximum: u64,
    },
    /// The token size limit is zero.
    #[error("the token size limit must be at least 1 byte")]
    ZeroMaxTokenSize,
    /// The cookie name is not an RFC 6265 token.
    #[error("the cookie name must be a non-empty RFC 6265 token")]
    InvalidCookieName,
    /// The verified-token cache cannot hold anything.
    #[error("the verified-token cache needs a capacity of at least 2")]
    CacheCapacity,
}
