//! Who are you? The authenticators, and the [`Authenticated<U>`](crate::Authenticated)
//! proof they produce.
//!
//! Each mechanism has its own folder here (`jwt/`, `session/`, `api_key/`, `mfa/`). The public paths
//! stay short: `lib.rs` re-exports what users import (`auth_core::Authenticated`,
//! `auth_core::jwt`, `auth_core::session`, ...).

#[cfg(feature = "api-key")]
#[cfg_attr(docsrs, doc(cfg(feature = "api-key")))]
pub mod api_key;
pub(crate) mod authenticated;
pub(crate) mod authenticator;
pub(crate) mod chain;
pub(crate) mod cookie_header;
#[cfg_attr(not(any(feature = "jwt", feature = "session")), allow(dead_code))]
pub(crate) mod cross_site;
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub mod jwt;
pub(crate) mod load;
#[cfg(feature = "totp")]
#[cfg_attr(docsrs, doc(cfg(feature = "totp")))]
pub mod mfa;
#[cfg(any(feature = "axum", feature = "tower"))]
pub(crate) mod once;
pub(crate) mod scheme;
#[cfg(feature = "session")]
#[cfg_attr(docsrs, doc(cfg(feature = "session")))]
pub mod session;
