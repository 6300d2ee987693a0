//! API keys as a resource: a user revokes their own keys, and another user's
//! key is answered as if it did not exist (404), so ids cannot be probed.
//! The rule is in [`crate::policy`]; the loader in [`crate::loaders`].

use auth_core::api_key::ApiKeyRecord;
use auth_core::{Action, Resource};

/// An API key's record (never its secret), as a resource for the policies.
#[derive(Debug, Clone)]
pub struct ApiKey(pub ApiKeyRecord);

impl Resource for ApiKey {
    const KIND: &'static str = "api_key";

    fn id(&self) -> impl std::fmt::Display + '_ {
        self.0.id()
    }
}

/// Revoke an API key.
#[derive(Action)]
#[action(name = "api_keys.revoke")]
pub struct Revoke;
