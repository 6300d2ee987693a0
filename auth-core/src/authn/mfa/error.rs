//! [`TotpError`]: why a code was refused, and what the client is told.

use std::time::Duration;

use http::StatusCode;

use crate::error::whole_seconds_up;
use crate::{AuthError, ErrorResponse};

/// Why [`Totp`](super::Totp) refused an enrolment, a confirmation or a code.
///
/// The [`Display`](std::fmt::Display) text is for logs. Clients see
/// [`response`](Self::response): one answer for every wrong code, whatever was
/// wrong with it, a 429 when throttled, a 503 when a store is down.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TotpError {
    /// The code is not exactly 6 ASCII digits. It counted as an attempt.
    #[error("the code is not 6 ascii digits")]
    MalformedCode,
    /// The code matches no step of the window.
    #[error("the code is wrong")]
    InvalidCode,
    /// The code's time step is at or before the last one accepted for the
    /// account: a code used twice, or an older code after a newer one.
    #[error("the code was already used, or a newer one was")]
    ReusedCode,
    /// The account has no confirmed second factor.
    #[error("no second factor is enrolled")]
    NotEnrolled,
    /// [`Totp::confirm`](super::Totp::confirm) found no pending enrolment: none
    /// was started, it expired, or another replaced it meanwhile.
    #[error("no enrolment is waiting for confirmation")]
    NoPendingEnrollment,
    /// Too many attempts for this account within the window: refused without
    /// checking the code. Answer 429 with `Retry-After`.
    #[error("too many attempts; retry after {retry_after:?}")]
    Throttled {
        /// When the window ends and attempts are counted afresh.
        retry_after: Duration,
    },
    /// The account label is empty, longer than 256 bytes, or contains `:` (the
    /// otpauth label's separator).
    #[error("the account label is empty, too long, or contains `:`")]
    InvalidLabel,
    /// A component failed: a store that cannot answer, the random number
    /// generator, a clock before 1970. Fails closed; usually a 503.
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl TotpError {
    /// The HTTP status: 429 when throttled, the inner error's for
    /// [`Auth`](Self::Auth), 400 otherwise (`invalid_grant`, see
    /// [`response`](Self::response)).
    pub fn status(&self) -> StatusCode {
        match self {
            TotpError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            TotpError::Auth(error) => error.status(),
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// When the client may try again: the `Retry-After` of a 429, or of a 503
    /// that knows.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            TotpError::Throttled { retry_after } => Some(*retry_after),
            TotpError::Auth(error) => error.retry_after(),
            _ => None,
        }
    }

    /// What the client sees, ready for an adapter to send:
    ///
    /// | error | status | body `error` |
    /// |---|---|---|
    /// | a wrong, reused or malformed code, no factor, no pending enrolment | 400 | `invalid_grant` ([`AuthError::invalid_grant`]) |
    /// | [`InvalidLabel`](Self::InvalidLabel) | 400 | `invalid_request` |
    /// | [`Throttled`](Self::Throttled) | 429, `Retry-After` (whole seconds, rounded up) | `too_many_attempts` |
    /// | [`Auth`](Self::Auth) | its own ([`AuthError::response`]) | its own |
    ///
    /// Every refused code gets the same answer, so a client cannot tell a used
    /// code from a wrong one, nor an account with a factor from one without.
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::mfa::TotpError;
    ///
    /// let response = TotpError::Throttled { retry_after: Duration::from_millis(1500) }.response("api");
    /// assert_eq!(response.status.as_u16(), 429);
    /// assert_eq!(response.retry_after, Some(2));
    /// assert_eq!(TotpError::ReusedCode.response("api"), TotpError::InvalidCode.response("api"));
    /// ```
    pub fn response(&self, realm: &str) -> ErrorResponse {
        match self {
            TotpError::Throttled { retry_after } => ErrorResponse {
                status: StatusCode::TOO_MANY_REQUESTS,
                www_authenticate: None,
                error: "too_many_attempts",
                error_description: "too many attempts; try again later",
                retry_after: Some(whole_seconds_up(*retry_after)),
                ratelimit_policy: None,
                ratelimit: None,
            },
            TotpError::InvalidLabel => {
                AuthError::invalid_request("the account label is invalid").response(realm)
            }
            TotpError::Auth(error) => error.response(realm),
            TotpError::MalformedCode
            | TotpError::InvalidCode
            | TotpError::ReusedCode
            | TotpError::NotEnrolled
            | TotpError::NoPendingEnrollment => AuthError::invalid_grant().response(realm),
        }
    }
}
