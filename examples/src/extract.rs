//! Extractors whose rejections are the service's own errors.
//!
//! The frameworks' default rejections are plain text, repeat parts of the
//! request (serde's message quotes the offending input, control characters
//! included), and axum logs them with that text at `TRACE` (target
//! `axum::rejection`). These wrappers map each rejection to an [`ApiError`] with
//! a fixed description, without ever rendering the framework's rejection, so
//! nothing of the request reaches the response or the log:
//!
//! | rejection | answer |
//! |---|---|
//! | body larger than `ORDERS_API_MAX_BODY_BYTES` | 413 `payload_too_large` |
//! | body not declared `application/json` | 415 `unsupported_media_type` |
//! | body not JSON | 400 `invalid_request` |
//! | JSON of the wrong shape (missing, unknown, mistyped field) | 400 `invalid_request` |
//! | a field breaking its rule ([`Validate`]) | 400 `invalid_request` naming the field |
//! | a path parameter that does not parse | 400 `invalid_request` |
//! | a query string that does not parse | 400 `invalid_request` |
//!
//! On axum, use [`Json`], [`Path`] and [`Query`] in place of axum's. On
//! actix-web, [`Json`] is an extractor too; register [`json_error`],
//! [`path_error`] and [`query_error`] as the error handlers of `JsonConfig`,
//! `PathConfig` and `QueryConfig` (as [`crate::orders_actix::configure`] does).

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::validate::Validate;

/// A JSON body, validated ([`Validate`]) before the handler sees it; as a
/// response, a JSON body.
///
/// ```ignore
/// async fn create_order(Json(new): Json<NewOrder>) -> Result<Json<Order>, ApiError> { .. }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

/// A path parameter, whose rejection is a 400 [`ApiError::MalformedPath`].
#[derive(Debug, Clone, Copy)]
pub struct Path<T>(pub T);

/// A query string, whose rejection is a 400 [`ApiError::MalformedQuery`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

// --- axum ------------------------------------------------------------------------

impl<S, T> axum::extract::FromRequest<S> for Json<T>
where
    T: DeserializeOwned + Validate,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(value) = axum::Json::<T>::from_request(request, state)
            .await
            .map_err(json_rejection)?;
        value.validate()?;
        Ok(Json(value))
    }
}

/// Maps axum's JSON rejection without rendering it (rendering is what logs it).
fn json_rejection(rejection: axum::extract::rejection::JsonRejection) -> ApiError {
    use axum::extract::rejection::JsonRejection;
    match rejection {
        JsonRejection::JsonDataError(_) => ApiError::UnexpectedJson,
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
        JsonRejection::BytesRejection(bytes)
            if bytes.status() == http::StatusCode::PAYLOAD_TOO_LARGE =>
        {
            ApiError::PayloadTooLarge
        }
        // A syntax error, or a body that could not be read.
        _ => ApiError::MalformedJson,
    }
}

impl<T: Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

impl<S, T> axum::extract::FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|_| ApiError::MalformedPath)
    }
}

impl<S, T> axum::extract::FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|_| ApiError::MalformedQuery)
    }
}

// --- actix-web -------------------------------------------------------------------

impl<T> actix_web::FromRequest for Json<T>
where
    T: DeserializeOwned + Validate + 'static,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(
        request: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        // Its errors go through the app's `JsonConfig` error handler: `json_error`.
        let body = actix_web::web::Json::<T>::from_request(request, payload);
        Box::pin(async move {
            let actix_web::web::Json(value) = body.await?;
            value.validate()?;
            Ok(Json(value))
        })
    }
}

/// The error handler of actix's `JsonConfig`.
pub fn json_error(
    error: actix_web::error::JsonPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::{JsonPayloadError, PayloadError};
    match error {
        JsonPayloadError::OverflowKnownLength { .. }
        | JsonPayloadError::Overflow { .. }
        | JsonPayloadError::Payload(PayloadError::Overflow) => ApiError::PayloadTooLarge,
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Deserialize(error) if error.is_data() => ApiError::UnexpectedJson,
        // A syntax error, or a body that could not be read.
        _ => ApiError::MalformedJson,
    }
    .into()
}

/// The error handler of actix's `PathConfig`.
pub fn path_error(_: actix_web::error::PathError, _: &actix_web::HttpRequest) -> actix_web::Error {
    ApiError::MalformedPath.into()
}

/// The error handler of actix's `QueryConfig`.
pub fn query_error(
    _: actix_web::error::QueryPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::MalformedQuery.into()
}
