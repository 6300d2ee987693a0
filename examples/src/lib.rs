//! Example services built on auth-core, meant to be copied.
//!
//! - `orders-api` ([`orders_api`]): the reference service on axum.
//! - `orders-actix` ([`orders_actix`]): the same policies and service on actix-web.
//! - `orders-grpc` ([`orders_grpc`]): the same policies and service on tonic
//!   (gRPC), through auth-core's `SecureServer`.
//! - `documents-api` ([`documents`]): the second reference service on axum,
//!   documents, folders, teams and sharing, whose relationships live in SpiceDB.
//!
//! The framework-independent parts are shared by all three: [`domain`] (the
//! data), [`access`] (the roles file and its typed names), [`policy`] (who may
//! do what, written once), [`db`] (`SQLite`; its data
//! functions demand permits), [`service`] (login, refresh, logout, roles) and
//! [`config`]; the bounds on input ([`limits`], [`validate`], [`page`]) and the
//! extractors whose rejections are the service's JSON errors ([`extract`]).
//! Against a hostile network: [`server`] (timeouts and a connection cap for the
//! axum service; [`actix_body_deadline`] on actix-web), [`password_workers`]
//! (Argon2 off the async workers) and [`login_throttle`].

pub mod access;
pub mod actix_body_deadline;
pub mod api_keys;
pub mod cedar_orders;
pub mod config;
pub mod db;
pub mod documents;
pub mod domain;
pub mod error;
pub mod extract;
pub mod limits;
pub mod loaders;
pub mod logging;
pub mod login_throttle;
pub mod orders_actix;
pub mod orders_api;
pub mod orders_grpc;
pub mod page;
pub mod password_workers;
pub mod policy;
pub mod server;
pub mod service;
pub mod stores;
pub mod validate;
