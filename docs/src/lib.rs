//! # The auth-core guide
//!
//! One chapter per task, in reading order; start with the
//! [introduction]. Every code block of every chapter is a
//! doctest of this crate (`cargo test -p auth-guide --doc`): compiled, and run
//! unless it starts a server. The chapters are Markdown files in `docs/src/`;
//! `SUMMARY.md` lists them.
#![forbid(unsafe_code)]
// The roles-file chapter shows a build script, whose `fn main` is the point.
#![allow(clippy::needless_doctest_main)]

#[doc = include_str!("introduction.md")]
pub mod introduction {}

#[doc = include_str!("guard-a-handler.md")]
pub mod guard_a_handler {}

#[doc = include_str!("write-a-policy.md")]
pub mod write_a_policy {}

#[doc = include_str!("load-and-authorize.md")]
pub mod load_and_authorize {}

#[doc = include_str!("lists.md")]
pub mod lists {}

#[doc = include_str!("ways-in.md")]
pub mod ways_in {}

#[doc = include_str!("revocation.md")]
pub mod revocation {}

#[doc = include_str!("engines.md")]
pub mod engines {}

#[doc = include_str!("casbin.md")]
pub mod casbin {}

#[doc = include_str!("cedar.md")]
pub mod cedar {}

#[doc = include_str!("spicedb.md")]
pub mod spicedb {}

#[doc = include_str!("roles-file.md")]
pub mod roles_file {}

#[doc = include_str!("testing.md")]
pub mod testing {}

#[doc = include_str!("openapi.md")]
pub mod openapi {}

#[doc = include_str!("grpc.md")]
pub mod grpc {}

#[doc = include_str!("threat-model.md")]
pub mod threat_model {}

#[doc = include_str!("migrate-jwt-middleware.md")]
pub mod migrate_jwt_middleware {}

#[doc = include_str!("migrate-axum-login.md")]
pub mod migrate_axum_login {}

#[doc = include_str!("migrate-actix-web-grants.md")]
pub mod migrate_actix_web_grants {}
