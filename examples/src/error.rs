//! The service's errors, and how they look on the wire.

use auth_core::AuthError;

use crate::db::DbError;

/// Everything a handler can answer besides success.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// Authentication or authorization: answered through auth-core's one
    /// mapping (status, `WWW-Authenticate`, body).
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Wrong email or password. The same answer for both, so it does not tell
    /// which emails exist: 400 `invalid_grant`, a token endpoint's answer to
    /// wrong resource-owner credentials (RFC 6749 §5.2), through auth-core's
    /// mapping. Not a 401: that needs a `WWW-Authenticate` challenge (RFC 9110
    /// §15.5.2), and no challenge fits a login form.
    #[error("wrong email or password")]
    InvalidCredentials,
    /// A login asked for a scope this service does not grant.
    #[error("unknown scope requested")]
    InvalidScope,
    /// The request is well-formed but asks for something invalid.
    #[error("{0}")]
    BadRequest(&'static str),
    /// No such resource.
    #[error("not found")]
    NotFound,
    /// The database failed; details go to the log only.
    #[error("internal error")]
    Internal(#[from] DbError),
}

impl ApiError {
    /// The status, the `error` code and the description sent to the client.
    pub fn parts(&self) -> (u16, &'static str, &'static str, Option<String>) {
        match self {
            ApiError::Auth(error) => {
                let wire = error.response("orders-api");
                (
                    wire.status.as_u16(),
                    wire.error,
                    wire.error_description,
                    wire.www_authenticate,
                )
            }
            ApiError::InvalidCredentials => {
                let wire = AuthError::invalid_grant().response("orders-api");
                (
                    wire.status.as_u16(),
                    wire.error,
                    wire.error_description,
                    wire.www_authenticate,
                )
            }
            ApiError::InvalidScope => (
                400,
                "invalid_scope",
                "the requested scope is unknown or not granted",
                None,
            ),
            ApiError::BadRequest(reason) => (400, "invalid_request", reason, None),
            ApiError::NotFound => (404, "not_found", "the resource was not found", None),
            ApiError::Internal(error) => {
                tracing::error!(%error, "request failed");
                (
                    500,
                    "server_error",
                    "the request could not be completed",
                    None,
                )
            }
        }
    }

    /// The `Retry-After` of a 503 whose cause knows when to try again, in
    /// seconds.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::Auth(error) => error.response("orders-api").retry_after,
            _ => None,
        }
    }

    /// The JSON body, `{"error":"..","error_description":".."}`.
    pub fn body(code: &str, description: &str) -> String {
        serde_json::json!({ "error": code, "error_description": description }).to_string()
    }
}
