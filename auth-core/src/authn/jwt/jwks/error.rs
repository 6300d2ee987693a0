//! [`JwksError`]: why a remote key set could not be configured or fetched.

use std::time::Duration;

use crate::authn::jwt::KeyError;

/// Why a [`RemoteKeySet`](super::RemoteKeySet) could not be configured, or why one
/// fetch failed.
///
/// Configuration errors come from the builder's terminal calls and are reported once,
/// at startup. Fetch errors are returned by
/// [`fetch`](super::RemoteKeySetBuilder::fetch) when the first fetch fails; after that
/// they are logged as `tracing` warnings and the cached keys keep working. Messages
/// name the URL (never a key) and are lowercase, for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The URL (or the issuer, or a discovery document's `jwks_uri`) is not an
    /// absolute URL this client fetches.
    #[error("`{url}` is not a usable URL: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The URL is `http://`: keys fetched in clear text can be replaced on the way.
    #[error(
        "`{url}` is not `https`: keys fetched in clear text can be replaced by anyone on the path (`dangerous_allow_http` lifts this, for tests on loopback)"
    )]
    InsecureUrl {
        /// The URL as given.
        url: String,
    },
    /// An interval or timeout is out of bounds.
    #[error("`{setting}` is {actual:?}; {expected}")]
    InvalidSetting {
        /// The builder method that set it.
        setting: &'static str,
        /// The value given.
        actual: Duration,
        /// The rule it breaks.
        expected: &'static str,
    },
    /// The response size limit is zero.
    #[error("the response size limit must be at least 1 byte")]
    ZeroResponseLimit,
    /// There is no Tokio runtime to run the background refresh on.
    #[error("no Tokio runtime: start the remote key set from inside one")]
    NoRuntime,
    /// A root certificate added with
    /// [`add_root_certificate_pem`](super::RemoteKeySetBuilder::add_root_certificate_pem)
    /// could not be read.
    #[error("the root certificate PEM could not be used: {reason}")]
    InvalidRootCertificate {
        /// What is wrong with it.
        reason: String,
    },
    /// No trusted root certificate was found: every `https` fetch would fail.
    #[error(
        "no trusted root certificate: install the system's CA certificates or add one with `add_root_certificate_pem`"
    )]
    NoRootCertificates,
    /// TLS could not be configured.
    #[error("TLS could not be configured: {reason}")]
    Tls {
        /// The TLS library's message.
        reason: String,
    },
    /// The server could not be reached, or the connection failed mid-way (DNS, TCP,
    /// TLS, a malformed response).
    #[error("cannot fetch `{url}`: {reason}")]
    Connect {
        /// The URL fetched.
        url: String,
        /// The transport error and its causes.
        reason: String,
    },
    /// The fetch (connect, TLS, headers and body) took longer than the timeout.
    #[error("fetching `{url}` took longer than {timeout:?}")]
    Timeout {
        /// The URL fetched.
        url: String,
        /// The configured timeout.
        timeout: Duration,
    },
    /// The server answered with a redirect. Redirects are not followed: the key
    /// set's location is configuration, not something a response decides.
    #[error("`{url}` answered with the redirect {status}; redirects are not followed")]
    Redirect {
        /// The URL fetched.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The server answered with another status than 200.
    #[error("`{url}` answered with the status {status}")]
    Status {
        /// The URL fetched.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The response body is larger than the limit.
    #[error("the response of `{url}` is larger than {limit} bytes")]
    TooLarge {
        /// The URL fetched.
        url: String,
        /// The configured limit.
        limit: usize,
    },
    /// The response is not a JWK Set this crate accepts; the cached keys are kept.
    #[error("the key set at `{url}` was refused: {source}")]
    InvalidKeySet {
        /// The URL fetched.
        url: String,
        /// Why, as the JWK Set loader says it.
        #[source]
        source: KeyError,
    },
    /// The OIDC discovery document is not valid.
    #[error("the discovery document at `{url}` is invalid: {reason}")]
    InvalidDiscovery {
        /// The discovery URL.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The discovery document names another issuer than the configured one
    /// (OIDC Discovery 1.0 §4.3: they must be identical).
    #[error("the discovery document names the issuer `{found}`, not `{expected}`")]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// The document's `issuer`.
        found: String,
    },
    /// No key set was fetched yet (requests fail closed with a 503 until one is).
    #[error("no key set was fetched yet")]
    NotFetched,
}
