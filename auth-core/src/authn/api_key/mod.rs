//! API keys: long-lived credentials a user creates for scripts and services,
//! sent in the `X-API-Key` header (feature `api-key`).
//!
//! | type | what |
//! |---|---|
//! | [`ApiKeys`] | create (least privilege), list and revoke a user's keys, from your endpoints |
//! | [`ApiKeyAuthenticator`] | an [`Authenticator`](crate::Authenticator): `X-API-Key` in, the key's owner out, with the key's scopes |
//! | [`ApiKeyStore`] | where records and hashes live: [`MemoryApiKeyStore`], [`RedisApiKeyStore`] (with `redis`), or yours |
//! | [`PlaintextKey`] | a new key, shown once; its `Debug` hides it |
//! | [`ApiKeyRecord`] | what a listing shows: id, owner, name, scopes, created, last used, expires |
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use std::time::Duration;
//! use auth_core::{authenticate, AuthError, LoadUser, Mechanism, Scopes};
//! use auth_core::api_key::{ApiKeyAuthenticator, ApiKeys, MemoryApiKeyStore};
//!
//! struct Users; // your user table
//! impl LoadUser for Users {
//!     type User = String;
//!     async fn load(&self, subject: &str) -> Result<Option<String>, AuthError> {
//!         Ok(Some(subject.to_owned()))
//!     }
//! }
//!
//! let store = Arc::new(MemoryApiKeyStore::new());
//! let keys = ApiKeys::new(Arc::clone(&store));
//! let authenticator = ApiKeyAuthenticator::new(store, Users);
//!
//! // In "create an API key", for the signed-in user:
//! let (key, record) = keys
//!     .create(
//!         "user-1",
//!         &Scopes::from_space_separated("orders:read orders:write"), // what the user may do
//!         "reporting script",
//!         ["orders:read"],                                           // what the key may do
//!         Some(Duration::from_secs(90 * 86_400)),
//!     )
//!     .await
//!     .unwrap();
//! let shown_once: String = key.into_exposed();
//!
//! // Later, the script calls with `X-API-Key: oak_...`:
//! let (request, ()) = http::Request::builder()
//!     .header("x-api-key", &shown_once)
//!     .body(())
//!     .unwrap()
//!     .into_parts();
//! let caller = authenticate(&authenticator, &request).await.unwrap();
//! assert_eq!(caller.subject(), "user-1");
//! assert_eq!(caller.info().mechanism(), Mechanism::ApiKey);
//! assert_eq!(caller.info().token_id(), Some(record.id()));
//! assert!(!caller.scopes().contains("orders:write"));
//! # });
//! ```
//!
//! # The key
//!
//! ```text
//! oak_<id>_<secret><checksum>
//! oak_ ⟨16 chars⟩ _ ⟨52 chars⟩ ⟨7 chars⟩            80 characters in all
//! ```
//!
//! - `oak_`: a fixed prefix ([`PREFIX`]), so secret scanners can recognise a key
//!   (`oak_[a-z2-7]{16}_[a-z2-7]{59}`).
//! - `id`: 10 bytes (80 bits) from the OS random number generator. Not secret:
//!   it names the record, and listings show it.
//! - `secret`: 32 bytes (256 bits) from the OS random number generator.
//! - `checksum`: the first 4 bytes of the SHA-256 of everything before it
//!   (`oak_<id>_<secret>`, as ASCII).
//!
//! Each part is lowercase base32 (RFC 4648 alphabet `a`-`z`, `2`-`7`, no
//! padding), so a key is one "word" to double-click and needs no escaping in
//! headers, shells or JSON. A key has one spelling: uppercase is refused, and a
//! part whose bits do not fill its last character must have the spare bits zero.
//!
//! Parsing is strict and checks, in order: prefix, length (80 bytes), each
//! character, the spare bits, the checksum. It never panics and never allocates.
//! The checksum catches a mistyped or truncated key before any store is asked;
//! it is not a secret and proves nothing about who made the key.
//!
//! # Storage
//!
//! A store keeps the [`SecretHash`]: the SHA-256 of the secret's 52 characters.
//! Never the key. A fast hash is right here (unlike for passwords): the secret
//! has 256 bits of entropy, so no dictionary or brute force can invert it,
//! whatever the speed. The authenticator looks the record up by the key's id and
//! compares hashes in constant time ([`SecretHash::matches`]).
//!
//! Revoking deletes the record: every instance sharing the store refuses the key
//! from its next request on. Expiry is checked on every request. The owner is
//! loaded through [`LoadUser`](crate::LoadUser) on every request, so a deleted or
//! changed user takes effect at once; the key's scopes are fixed at creation and
//! never grow, so gates should also check the user's current rights for
//! anything a demotion must take away.
//!
#![cfg_attr(feature = "redis", doc = "[`RedisApiKeyStore`]: RedisApiKeyStore")]
#![cfg_attr(
    not(feature = "redis"),
    doc = "[`RedisApiKeyStore`]: crate::revocation#redis"
)]

mod authenticator;
mod error;
mod key;
mod keys;
mod memory;
mod record;
#[cfg(feature = "redis")]
mod redis;
mod store;

pub use self::authenticator::{ApiKeyAuthenticator, HEADER};
pub use self::error::ApiKeyError;
pub use self::key::{KEY_LEN, KeyFormatError, PREFIX, PlaintextKey, SecretHash, key_id};
pub use self::keys::{ApiKeys, MAX_NAME_CHARS};
pub use self::memory::MemoryApiKeyStore;
pub use self::record::{ApiKeyRecord, StoredApiKey};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisApiKeyStore;
pub use self::store::ApiKeyStore;
