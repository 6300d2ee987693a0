//! [`ConfigError`]: a session setup that `build` refuses.

/// Why a [`SessionsBuilder`](super::SessionsBuilder) or a
/// [`SessionAuthenticatorBuilder`](super::SessionAuthenticatorBuilder) refused
/// to build.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The cookie name is not an RFC 6265 token.
    #[error(
        "the session cookie name `{name}` is not a cookie token: use letters, digits and ``!#$%&'*+-.^_`|~`` (the `__Host-` prefix is added for you)"
    )]
    InvalidCookieName {
        /// The name given.
        name: String,
    },
    /// A timeout of zero would end every session at once.
    #[error("the session {which} timeout is zero: every session would expire at once")]
    ZeroTimeout {
        /// `"idle"` or `"absolute"`.
        which: &'static str,
    },
    /// The idle timeout is longer than the absolute one, so it could never apply.
    #[error(
        "the idle timeout is longer than the absolute timeout: set the idle timeout shorter, or the absolute one longer"
    )]
    IdleLongerThanAbsolute,
    /// A trusted origin is not `scheme://host[:port]`.
    #[error(
        "the trusted origin `{origin}` is not an origin: write `https://host` or `https://host:port`, with no path, not even `/`"
    )]
    InvalidTrustedOrigin {
        /// The origin given.
        origin: String,
    },
    /// Trusted origins name who may pass the cross-site check, which was turned off.
    #[error(
        "a trusted origin was given but the cross-site check is off: drop `dangerous_without_cross_site_check` or the trusted origins"
    )]
    TrustedOriginWithoutCrossSiteCheck,
}
