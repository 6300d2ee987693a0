//! Who are you? The authenticators, and the [`Authenticated<U>`](crate::Authenticated)
//! proof they produce.
//!
//! Each mechanism has its own folder here (`jwt/`, `api_key/`). The public paths stay
//! short: `lib.rs` re-exports what users import (`auth_core::Authenticated`,
//! `auth_core::jwt`, ...).

#[cfg(feature = "api-key")]
#[cfg_attr(docsrs, doc(cfg(feature = "api-key")))]
pub mod api_key;
pub(crate) mod authenticated;
pub(crate) mod authenticator;
#[cfg_attr(not(feature = "jwt"), allow(dead_code))]
pub(crate) mod cross_site;
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub mod jwt;
pub(crate) mod load;
