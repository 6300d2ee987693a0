//! May you do *this*? Gates, decisions, policies and the
//! [`Permit<'p, A, R>`](crate::Permit) proof they produce.
//!
//! The public paths stay short: `lib.rs` re-exports what users import
//! (`auth_core::Decision`, `auth_core::gate`, ...).

pub(crate) mod action;
pub(crate) mod authorize;
pub mod context;
pub(crate) mod decision;
pub mod filter;
pub mod gate;
pub(crate) mod guarded;
pub mod limit;
pub mod load;
pub(crate) mod memo;
pub(crate) mod permit;
pub(crate) mod policy;
pub mod rbac;
pub(crate) mod resource;
