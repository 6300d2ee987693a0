//! How the service loads each resource a path names: one loader per resource
//! type ([`auth_core::Load`]), read from the [`Service`].
//!
//! Handlers take a [`Loaded<Order>`](auth_core::Loaded) where they would take
//! the `Order`: the framework extracts only the id (a malformed one is a 400) and
//! an `Arc<Service>` from the app state, and `#[requires]` loads the order after
//! the function-level gates allowed, right before the resource's policy. So a
//! caller without the scope gets 403 for a missing order and an existing one
//! alike, and nothing is read for them; no such order is a 404; a database that
//! fails is a 503.

use std::sync::Arc;

use auth_core::api_key::ApiKeyStore as _;
use auth_core::{Load, LoadError};

use crate::api_keys::ApiKey;
use crate::domain::Order;
use crate::service::Service;

impl Load for Order {
    type Key = i64;
    type Source = Arc<Service>;

    async fn load(id: &i64, service: &Arc<Service>) -> Result<Option<Order>, LoadError> {
        service
            .db
            .order(*id)
            .map_err(|error| LoadError::unavailable("orders database", error))
    }
}

impl Load for ApiKey {
    /// The key's public id, e.g. `DELETE /auth/api-keys/{id}`.
    type Key = String;
    type Source = Arc<Service>;

    async fn load(id: &String, service: &Arc<Service>) -> Result<Option<ApiKey>, LoadError> {
        let stored = service.api_keys.store().find(id).await?;
        Ok(stored.map(|stored| ApiKey(stored.into_record())))
    }
}
