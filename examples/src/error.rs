//! The service's errors, and how they look on the wire.
//!
//! Every answer besides success is `{"error":"..","error_description":".."}` with
//! `content-type: application/json`, the framework's own rejections included
//! ([`crate::extract`]). Descriptions are fixed strings: none ever repeats a part
//! of the request. Malformed or invalid input is 400 `invalid_request` (as RFC
//! 6749 and 6750 answer it, and whatever the framework's default would be: axum
//! says 422 for a JSON body of the wrong shape), a body too large 413, a body that
//! is not JSON 415, a state conflict 409.

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
    /// No such resource, or no such route.
    #[error("not found")]
    NotFound,
    /// The route exists, not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The body is not JSON (a syntax error, or not UTF-8).
    #[error("malformed JSON body")]
    MalformedJson,
    /// The body is JSON, but not of the expected shape: a missing, unknown or
    /// wrongly typed field.
    #[error("unexpected JSON body")]
    UnexpectedJson,
    /// The body is not declared `application/json`.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The body is larger than `ORDERS_API_MAX_BODY_BYTES`.
    #[error("payload too large")]
    PayloadTooLarge,
    /// A path parameter does not parse (an id that is not an integer).
    #[error("malformed path")]
    MalformedPath,
    /// The query string does not parse, or has unknown parameters.
    #[error("malformed query")]
    MalformedQuery,
    /// The request is valid, but the current state forbids it (the last admin's
    /// demotion, an order past the per-user limit).
    #[error("{0}")]
    Conflict(&'static str),
    /// The database failed; details go to the log only.
    #[error("internal error")]
    Internal(#[from] DbError),
    /// A one-time code was refused (400 `invalid_grant`, whatever was wrong
    /// with it), too many were tried (429 with `Retry-After`), or the factor
    /// store failed (503): through auth-core's own mapping.
    #[error(transparent)]
    Totp(#[from] auth_core::mfa::TotpError),
    /// Too many login attempts from this client or for this email: `429` with
    /// `Retry-After` ([`crate::login_throttle`]).
    #[error("too many login attempts")]
    TooManyAttempts {
        /// Seconds until an attempt would be admitted again.
        retry_after: u64,
    },
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
            ApiError::Totp(error) => {
                let wire = error.response("orders-api");
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
            ApiError::MethodNotAllowed => (
                405,
                "method_not_allowed",
                "the resource does not support this method",
                None,
            ),
            ApiError::MalformedJson => (
                400,
                "invalid_request",
                "the request body is not valid JSON",
                None,
            ),
            ApiError::UnexpectedJson => (
                400,
                "invalid_request",
                "the request body has missing, unknown or wrongly typed fields",
                None,
            ),
            ApiError::UnsupportedMediaType => (
                415,
                "unsupported_media_type",
                "the request body must be application/json",
                None,
            ),
            ApiError::PayloadTooLarge => (
                413,
                "payload_too_large",
                "the request body is too large",
                None,
            ),
            ApiError::MalformedPath => (
                400,
                "invalid_request",
                "a path parameter is malformed",
                None,
            ),
            ApiError::MalformedQuery => (
                400,
                "invalid_request",
                "the query string is malformed or has unknown parameters",
                None,
            ),
            ApiError::Conflict(reason) => (409, "conflict", reason, None),
            ApiError::TooManyAttempts { .. } => (
                429,
                "too_many_requests",
                "too many login attempts, retry later",
                None,
            ),
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

    /// The `Retry-After` header's seconds, when the client should come back: a
    /// throttled login, or a 503 whose cause knows when to try again.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::TooManyAttempts { retry_after } => Some(*retry_after),
            ApiError::Totp(error) => error.response("orders-api").retry_after,
            // A store outage is worth another try soon, even when its cause did
            // not say when.
            ApiError::Auth(error) => {
                let wire = error.response("orders-api");
                wire.retry_after
                    .or((wire.status.as_u16() == 503).then_some(1))
            }
            _ => None,
        }
    }

    /// The JSON body, `{"error":"..","error_description":".."}`.
    pub fn body(code: &str, description: &str) -> String {
        serde_json::json!({ "error": code, "error_description": description }).to_string()
    }
}
