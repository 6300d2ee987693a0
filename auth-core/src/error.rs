//! Errors, and the one place that maps them to HTTP.
//!
//! Every failure in this crate is an [`AuthError`]. Its kind decides the HTTP status
//! and the RFC 6750 `WWW-Authenticate` challenge, in [`AuthError::response`], and
//! nowhere else: framework adapters only translate the [`ErrorResponse`] it returns
//! into their own response types.
//!
//! | kind | status | `WWW-Authenticate` | body `error` |
//! |---|---|---|---|
//! | [`MissingCredentials`](AuthError::MissingCredentials) | 401 | `Bearer realm=".."` (no `error`, RFC 6750 §3.1) | `missing_credentials` |
//! | [`InvalidRequest`](AuthError::InvalidRequest) | 400 | `Bearer realm="..", error="invalid_request", ..` | `invalid_request` |
//! | [`InvalidToken`](AuthError::InvalidToken) | 401 | `Bearer realm="..", error="invalid_token", ..` | `invalid_token` |
//! | [`InsufficientUserAuthentication`](AuthError::InsufficientUserAuthentication) | 401 (RFC 9470) | `Bearer realm="..", error="insufficient_user_authentication", .., acr_values="..", max_age=".."` | `insufficient_user_authentication` |
//! | [`InvalidGrant`](AuthError::InvalidGrant) | 400 (a token endpoint, RFC 6749 §5.2) | none: it is not a request for a protected resource | `invalid_grant` |
//! | [`InsufficientScope`](AuthError::InsufficientScope) | 403 | `Bearer realm="..", error="insufficient_scope", .., scope=".."` | `insufficient_scope` |
//! | [`Forbidden`](AuthError::Forbidden) | 403 | none: a new token would not help | `forbidden` |
//! | [`NotFound`](AuthError::NotFound) | 404 | none | `not_found` |
//! | [`TooManyRequests`](AuthError::TooManyRequests) | 429, `Retry-After`, `RateLimit-Policy` and `RateLimit` | none | `rate_limited` |
//! | [`Unavailable`](AuthError::Unavailable) | 503, `Retry-After` when known | none | `temporarily_unavailable` |
//! | [`Misconfigured`](AuthError::Misconfigured) | 500 | none | `server_error` |
//!
//! Messages never contain a token, a secret or a policy's reason: reasons go to the
//! audit log ([`crate::audit`]), not to the client.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::limit::RateLimited;

/// Why a request was not allowed through.
///
/// Authentication failures (who are you?) are 401, authorization failures (may you
/// do this?) are 403, or 404 when the policy hides that the resource exists.
/// [`AuthError::response`] is the single mapping to HTTP.
///
/// ```
/// use auth_core::AuthError;
/// use http::StatusCode;
///
/// let err = AuthError::insufficient_scope("orders:write");
/// let response = err.response("orders-api");
/// assert_eq!(response.status, StatusCode::FORBIDDEN);
/// assert_eq!(
///     response.www_authenticate.as_deref(),
///     Some(r#"Bearer realm="orders-api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:write""#),
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The request carried no credentials at all.
    #[error("no credentials were sent")]
    MissingCredentials,

    /// The request is malformed: two credentials at once, a broken `Authorization`
    /// header. The reason is a fixed string chosen by this crate, never request data.
    #[error("malformed request: {reason}")]
    InvalidRequest {
        /// What is wrong with the request, for the client's developer.
        reason: &'static str,
    },

    /// A credential was sent and failed verification.
    #[error("invalid credentials: {0}")]
    InvalidToken(#[from] TokenError),

    /// The credential is valid, but the user authenticated too weakly or too long
    /// ago for this operation (RFC 9470 step-up): a 401 whose challenge asks for
    /// the authentication context class `acr_values` and/or an authentication no
    /// older than `max_age` seconds. The client re-authenticates (a second
    /// factor, say) and retries with the new credential.
    #[error("a stronger or more recent authentication is required")]
    InsufficientUserAuthentication {
        /// The authentication context class(es) that would do, space-separated.
        acr_values: Option<Cow<'static, str>>,
        /// The greatest age, in seconds, of an authentication that would do.
        max_age: Option<u64>,
        /// Why, for logs and audit; never sent to the client.
        reason: Cow<'static, str>,
    },

    /// A token endpoint refused the grant it was given (RFC 6749 §5.2): a refresh
    /// token that is unknown, expired, revoked or reused, or a resource owner's
    /// wrong credentials at a login. A 400 `invalid_grant` without a
    /// `WWW-Authenticate` challenge: the client did not ask for a protected
    /// resource, so a bearer challenge would tell it nothing. Raised by
    /// [`TokenIssuer::refresh`](crate::jwt::TokenIssuer::refresh), and by a login
    /// endpoint through [`AuthError::invalid_grant`].
    #[error("invalid grant: {0}")]
    InvalidGrant(#[from] GrantError),

    /// The token is valid but lacks a scope the operation needs.
    #[error("insufficient scope: `{scope}` is required")]
    InsufficientScope {
        /// The scope (or space-separated scopes) that would have allowed the request.
        scope: Cow<'static, str>,
    },

    /// A policy denied the request. The reason is for the audit log, and is not
    /// part of this error's message.
    #[error("access denied")]
    Forbidden {
        /// Why the policy denied, for logs and audit; never sent to the client.
        reason: Cow<'static, str>,
    },

    /// The resource does not exist, or a policy chose to hide that it does.
    #[error("not found")]
    NotFound {
        /// Why, for logs and audit; never sent to the client.
        reason: Cow<'static, str>,
    },

    /// The principal is over a rate limit ([`Decision::rate_limited`], the
    /// [`limit`](crate::limit) gates): a 429 with `Retry-After` and the IETF
    /// rate-limit headers (`RateLimit-Policy`, `RateLimit`), which say which quota,
    /// and when a request will be admitted again.
    ///
    /// [`Decision::rate_limited`]: crate::Decision::rate_limited
    #[error("too many requests: over the rate limit `{}`", .0.policy())]
    TooManyRequests(Box<RateLimited>),

    /// A component the decision depends on (a revocation store, a key set, a user
    /// store) could not be reached, or a gate could not decide
    /// ([`Decision::unavailable`](crate::Decision::unavailable)). The request fails
    /// closed.
    #[error("the {component} is unavailable")]
    Unavailable {
        /// Which component, e.g. `"revocation store"`.
        component: &'static str,
        /// The underlying error, for logs.
        #[source]
        source: Option<Box<dyn StdError + Send + Sync + 'static>>,
        /// When the client may try again, if known: the `Retry-After` header.
        retry_after: Option<Duration>,
    },

    /// The server is set up so that it cannot decide safely: a handler whose
    /// [`HandlerInfo`](crate::inventory::HandlerInfo) is not registered, a
    /// [`Gatekeeper`](crate::Gatekeeper) cleared before every gate allowed, an
    /// actix-web app without an authenticator. A bug in the service, refused
    /// with a 500 and an error event, never served.
    #[error("the server is misconfigured: {reason}")]
    Misconfigured {
        /// What is wrong, for the log; never sent to the client.
        reason: &'static str,
    },
}

impl AuthError {
    /// A malformed request (400 `invalid_request`).
    pub const fn invalid_request(reason: &'static str) -> Self {
        AuthError::InvalidRequest { reason }
    }

    /// A 400 `invalid_grant` for a login whose credentials (a password, a
    /// one-time code) are wrong: the answer of a token endpoint (RFC 6749 §5.2),
    /// the same whatever was wrong, so it does not tell which accounts exist.
    ///
    /// ```
    /// use auth_core::AuthError;
    ///
    /// let response = AuthError::invalid_grant().response("orders-api");
    /// assert_eq!(response.status.as_u16(), 400);
    /// assert_eq!(response.www_authenticate, None);
    /// assert_eq!(
    ///     response.json_body(),
    ///     r#"{"error":"invalid_grant","error_description":"the credentials are invalid"}"#
    /// );
    /// ```
    pub const fn invalid_grant() -> Self {
        AuthError::InvalidGrant(GrantError::Credentials)
    }

    /// The same error, telling the client when to try again (`Retry-After`) if it
    /// is a 503 that does not say yet; any other error is returned unchanged.
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::AuthError;
    ///
    /// let err = AuthError::unavailable("refresh token store", "timed out")
    ///     .or_retry_after(Duration::from_secs(1));
    /// assert_eq!(err.response("").retry_after, Some(1));
    /// ```
    #[must_use]
    pub fn or_retry_after(mut self, after: Duration) -> Self {
        if let AuthError::Unavailable { retry_after, .. } = &mut self
            && retry_after.is_none()
        {
            *retry_after = Some(after);
        }
        self
    }

    /// A 403 with an `insufficient_scope` challenge naming `scope`.
    pub fn insufficient_scope(scope: impl Into<Cow<'static, str>>) -> Self {
        AuthError::InsufficientScope {
            scope: scope.into(),
        }
    }

    /// A 403 denial; `reason` goes to logs only.
    pub fn forbidden(reason: impl Into<Cow<'static, str>>) -> Self {
        AuthError::Forbidden {
            reason: reason.into(),
        }
    }

    /// A 404; `reason` goes to logs only.
    pub fn not_found(reason: impl Into<Cow<'static, str>>) -> Self {
        AuthError::NotFound {
            reason: reason.into(),
        }
    }

    /// A 503 because `component` could not be reached.
    pub fn unavailable(
        component: &'static str,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        AuthError::Unavailable {
            component,
            source: Some(source.into()),
            retry_after: None,
        }
    }

    /// A 500: the service is misconfigured (see [`AuthError::Misconfigured`]).
    pub const fn misconfigured(reason: &'static str) -> Self {
        AuthError::Misconfigured { reason }
    }

    /// When the client may try again: the `Retry-After` of a 429, or of a 503
    /// whose cause knows.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AuthError::Unavailable { retry_after, .. } => *retry_after,
            AuthError::TooManyRequests(limited) => Some(limited.retry_after()),
            _ => None,
        }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AuthError::MissingCredentials
            | AuthError::InvalidToken(_)
            | AuthError::InsufficientUserAuthentication { .. } => StatusCode::UNAUTHORIZED,
            AuthError::InvalidRequest { .. } | AuthError::InvalidGrant(_) => {
                StatusCode::BAD_REQUEST
            }
            AuthError::InsufficientScope { .. } | AuthError::Forbidden { .. } => {
                StatusCode::FORBIDDEN
            }
            AuthError::NotFound { .. } => StatusCode::NOT_FOUND,
            AuthError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AuthError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AuthError::Misconfigured { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code: RFC 6750 error codes where one applies.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingCredentials => "missing_credentials",
            AuthError::InvalidRequest { .. } => "invalid_request",
            AuthError::InvalidToken(_) => "invalid_token",
            AuthError::InvalidGrant(_) => "invalid_grant",
            AuthError::InsufficientUserAuthentication { .. } => "insufficient_user_authentication",
            AuthError::InsufficientScope { .. } => "insufficient_scope",
            AuthError::Forbidden { .. } => "forbidden",
            AuthError::NotFound { .. } => "not_found",
            AuthError::TooManyRequests(_) => "rate_limited",
            AuthError::Unavailable { .. } => "temporarily_unavailable",
            AuthError::Misconfigured { .. } => "server_error",
        }
    }

    /// A description safe to send to the client: fixed text per kind, never a
    /// reason, token or internal detail.
    pub fn public_description(&self) -> &'static str {
        match self {
            AuthError::MissingCredentials => "authentication is required",
            AuthError::InvalidRequest { reason } => reason,
            AuthError::InvalidToken(TokenError::Expired) => "the access token expired",
            AuthError::InvalidToken(_) => "the access token is invalid",
            AuthError::InvalidGrant(GrantError::Credentials) => "the credentials are invalid",
            AuthError::InvalidGrant(GrantError::RefreshToken(_)) => {
                "the refresh token is invalid, expired or revoked"
            }
            AuthError::InsufficientScope { .. } => "the access token lacks a required scope",
            AuthError::InsufficientUserAuthentication { .. } => {
                "a stronger or more recent authentication is required"
            }
            AuthError::Forbidden { .. } => "you may not perform this action",
            AuthError::NotFound { .. } => "the resource was not found",
            AuthError::TooManyRequests(_) => "too many requests; retry after the time given",
            AuthError::Unavailable { .. } => "the service cannot verify access right now",
            AuthError::Misconfigured { .. } => "the service cannot decide on access",
        }
    }

    /// Whether this is an authentication failure (401).
    pub fn is_authentication(&self) -> bool {
        self.status() == StatusCode::UNAUTHORIZED
    }

    /// The one mapping from an error to what the client sees: status, the RFC 6750
    /// challenge for `realm`, `Retry-After` (whole seconds, rounded up so a client
    /// never retries too early), the rate-limit headers of a 429, and a small body.
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::limit::{Quota, RateLimited};
    /// use auth_core::AuthError;
    ///
    /// let limited = RateLimited::new(
    ///     "free",
    ///     Quota::per_minute(60).unwrap(),
    ///     Duration::from_millis(400),
    ///     Duration::from_secs(60),
    /// );
    /// let response = AuthError::TooManyRequests(Box::new(limited)).response("orders-api");
    /// assert_eq!(response.status.as_u16(), 429);
    /// assert_eq!(response.retry_after, Some(1));
    /// assert_eq!(response.ratelimit_policy.as_deref(), Some(r#""free";q=60;w=60"#));
    /// assert_eq!(response.ratelimit.as_deref(), Some(r#""free";r=0;t=1"#));
    /// ```
    pub fn response(&self, realm: &str) -> ErrorResponse {
        let (ratelimit_policy, ratelimit) = match self {
            AuthError::TooManyRequests(limited) => (
                Some(limited.policy_header()),
                Some(limited.ratelimit_header()),
            ),
            _ => (None, None),
        };
        ErrorResponse {
            status: self.status(),
            www_authenticate: self.challenge(realm),
            error: self.code(),
            error_description: self.public_description(),
            retry_after: self.retry_after().map(whole_seconds_up),
            ratelimit_policy,
            ratelimit,
        }
    }

    /// The `WWW-Authenticate` value for `realm`, if this kind carries one. An
    /// empty `realm` leaves the attribute out (it is optional in RFC 6750 §3).
    ///
    /// 401s always carry one; with no credentials sent it has no `error` attribute
    /// (RFC 6750 §3.1); a step-up names what would do (RFC 9470 §3). A 403 carries one only for `insufficient_scope`: a plain
    /// policy denial is not fixed by presenting another token.
    pub fn challenge(&self, realm: &str) -> Option<String> {
        let mut challenge = String::with_capacity(96);
        challenge.push_str("Bearer");
        if !realm.is_empty() {
            challenge.push_str(" realm=");
            push_quoted(&mut challenge, realm);
        }
        match self {
            AuthError::MissingCredentials => {}
            AuthError::InvalidRequest { .. } | AuthError::InvalidToken(_) => {
                push_error(&mut challenge, self.code(), self.public_description());
            }
            AuthError::InsufficientScope { scope } => {
                push_error(&mut challenge, self.code(), self.public_description());
                challenge.push_str(", scope=");
                push_quoted(&mut challenge, scope);
            }
            AuthError::InsufficientUserAuthentication {
                acr_values,
                max_age,
                ..
            } => {
                push_error(&mut challenge, self.code(), self.public_description());
                if let Some(acr_values) = acr_values {
                    challenge.push_str(", acr_values=");
                    push_quoted(&mut challenge, acr_values);
                }
                if let Some(max_age) = max_age {
                    // RFC 9470 §3 quotes it in its examples; a quoted-string is
                    // what every auth-param parser accepts.
                    challenge.push_str(", max_age=");
                    push_quoted(&mut challenge, &max_age.to_string());
                }
            }
            AuthError::InvalidGrant(_)
            | AuthError::Forbidden { .. }
            | AuthError::NotFound { .. }
            | AuthError::TooManyRequests(_)
            | AuthError::Unavailable { .. }
            | AuthError::Misconfigured { .. } => return None,
        }
        Some(challenge)
    }
}

/// `after` in whole seconds, rounded up, at least 1: what `Retry-After` and the
/// rate-limit headers' `t` say.
pub(crate) fn whole_seconds_up(after: Duration) -> u64 {
    after
        .as_secs()
        .saturating_add(u64::from(after.subsec_nanos() > 0))
        .max(1)
}

fn push_error(out: &mut String, code: &str, description: &str) {
    out.push_str(if out.len() > "Bearer".len() {
        ", error="
    } else {
        " error="
    });
    push_quoted(out, code);
    out.push_str(", error_description=");
    push_quoted(out, description);
}

/// Appends `value` as an RFC 9110 quoted-string, dropping characters RFC 6750
/// forbids in attribute values (`"`, `\` and controls) rather than escaping them.
pub(crate) fn push_quoted(out: &mut String, value: &str) {
    out.push('"');
    out.extend(
        value
            .chars()
            .filter(|c| matches!(c, ' ' | '!' | '#'..='[' | ']'..='~')),
    );
    out.push('"');
}

/// What an [`AuthError`] looks like on the wire, ready for an adapter to send.
///
/// The JSON body is `{"error": error, "error_description": error_description}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorResponse {
    /// The HTTP status.
    pub status: StatusCode,
    /// The `WWW-Authenticate` header value, when the status calls for one.
    pub www_authenticate: Option<String>,
    /// The machine-readable code.
    pub error: &'static str,
    /// A fixed, client-safe description.
    pub error_description: &'static str,
    /// The `Retry-After` header, in seconds: on a 429, and on a 503 whose cause
    /// knows when to try again.
    pub retry_after: Option<u64>,
    /// The `RateLimit-Policy` header of a 429: the quota that was exceeded, e.g.
    /// `"free";q=60;w=60` (draft-ietf-httpapi-ratelimit-headers-11, §3).
    pub ratelimit_policy: Option<String>,
    /// The `RateLimit` header of a 429: what is left of it and for how long, e.g.
    /// `"free";r=0;t=2` (draft-ietf-httpapi-ratelimit-headers-11, §4).
    pub ratelimit: Option<String>,
}

impl ErrorResponse {
    /// The JSON body, `{"error":"..","error_description":".."}`.
    ///
    /// Both strings are fixed by this crate and contain no characters that need
    /// JSON escaping, so this needs no serializer.
    pub fn json_body(&self) -> String {
        format!(
            r#"{{"error":"{}","error_description":"{}"}}"#,
            self.error, self.error_description
        )
    }
}

/// Why a token endpoint refused a grant ([`AuthError::InvalidGrant`], 400
/// `invalid_grant`). The [`Display`](fmt::Display) text is for logs; clients see
/// a fixed description per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum GrantError {
    /// The refresh token was refused, for the reason given: malformed, unknown
    /// or expired, revoked, reused, or its subject was logged out everywhere.
    #[error("the refresh token was refused: {0}")]
    RefreshToken(TokenError),
    /// The resource owner's credentials (a password) are wrong.
    #[error("the credentials are invalid")]
    Credentials,
}

impl GrantError {
    /// Why a refresh token was refused, if that is what this is.
    pub fn token_error(self) -> Option<TokenError> {
        match self {
            GrantError::RefreshToken(reason) => Some(reason),
            GrantError::Credentials => None,
        }
    }
}

/// Why a credential failed verification. The [`Display`](fmt::Display) text is
/// for logs; clients only ever see [`AuthError::public_description`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a well-formed token: wrong number of segments, bad base64, bad JSON.
    Malformed,
    /// Larger than the configured limit; rejected before any parsing.
    TooLarge,
    /// The signature does not verify.
    InvalidSignature,
    /// The header's `alg` is not the algorithm pinned to the key.
    AlgorithmMismatch,
    /// No configured key matches the token's `kid`.
    UnknownKey,
    /// The token's `exp` has passed.
    Expired,
    /// The token's `nbf` is in the future.
    NotYetValid,
    /// `iss` is missing or not the configured issuer.
    InvalidIssuer,
    /// `aud` is missing or does not contain the configured audience.
    InvalidAudience,
    /// The header `typ` is not the configured type (e.g. an ID token sent as an access token).
    InvalidType,
    /// A required claim is missing.
    MissingClaim(&'static str),
    /// A claim has the wrong type or an invalid value.
    InvalidClaim(&'static str),
    /// The header lists a `crit` extension this verifier does not understand.
    UnsupportedCritical,
    /// The token was revoked.
    Revoked,
    /// Every token of this subject issued before some instant was revoked.
    SubjectRevoked,
    /// The token is valid but its subject no longer exists.
    UnknownSubject,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Malformed => f.write_str("the token is malformed"),
            TokenError::TooLarge => f.write_str("the token is larger than the configured limit"),
            TokenError::InvalidSignature => f.write_str("the signature does not verify"),
            TokenError::AlgorithmMismatch => {
                f.write_str("the token's `alg` is not the algorithm pinned to the key")
            }
            TokenError::UnknownKey => f.write_str("no configured key matches the token's `kid`"),
            TokenError::Expired => f.write_str("the token expired"),
            TokenError::NotYetValid => f.write_str("the token is not valid yet (`nbf`)"),
            TokenError::InvalidIssuer => f.write_str("the issuer (`iss`) is not trusted"),
            TokenError::InvalidAudience => f.write_str("the audience (`aud`) does not match"),
            TokenError::InvalidType => f.write_str("the token type (`typ`) does not match"),
            TokenError::MissingClaim(claim) => write!(f, "the `{claim}` claim is missing"),
            TokenError::InvalidClaim(claim) => write!(f, "the `{claim}` claim is invalid"),
            TokenError::UnsupportedCritical => {
                f.write_str("the header lists an unsupported `crit` extension")
            }
            TokenError::Revoked => f.write_str("the token was revoked"),
            TokenError::SubjectRevoked => f.write_str("the subject's tokens were revoked"),
            TokenError::UnknownSubject => f.write_str("the token's subject no longer exists"),
        }
    }
}

impl StdError for TokenError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_credentials_challenge_has_no_error_attribute() {
        let challenge = AuthError::MissingCredentials.challenge("api");
        assert_eq!(challenge.as_deref(), Some(r#"Bearer realm="api""#));
    }

    #[test]
    fn an_empty_realm_is_left_out() {
        assert_eq!(
            AuthError::MissingCredentials.challenge("").as_deref(),
            Some("Bearer")
        );
        assert_eq!(
            AuthError::insufficient_scope("a").challenge("").as_deref(),
            Some(
                r#"Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="a""#
            )
        );
    }

    #[test]
    fn realm_cannot_break_out_of_its_quotes() {
        let challenge = AuthError::MissingCredentials.challenge("a\"b\\c\r\nd");
        assert_eq!(challenge.as_deref(), Some(r#"Bearer realm="abcd""#));
    }

    #[test]
    fn statuses_follow_the_table() {
        let cases = [
            (AuthError::MissingCredentials, 401),
            (AuthError::invalid_request("two credentials"), 400),
            (AuthError::InvalidToken(TokenError::Expired), 401),
            (
                AuthError::InvalidGrant(GrantError::RefreshToken(TokenError::Revoked)),
                400,
            ),
            (AuthError::invalid_grant(), 400),
            (AuthError::insufficient_scope("a"), 403),
            (AuthError::forbidden("not owner"), 403),
            (AuthError::not_found("hidden"), 404),
            (
                AuthError::unavailable("revocation store", "connection refused"),
                503,
            ),
            (AuthError::misconfigured("unregistered handler"), 500),
        ];
        for (error, status) in cases {
            assert_eq!(error.status().as_u16(), status, "{error:?}");
        }
    }

    #[test]
    fn a_refused_grant_is_a_400_without_a_challenge() {
        for error in [
            AuthError::InvalidGrant(GrantError::RefreshToken(TokenError::Revoked)),
            AuthError::invalid_grant(),
        ] {
            let response = error.response("api");
            assert_eq!(response.status, StatusCode::BAD_REQUEST);
            assert_eq!(response.error, "invalid_grant");
            assert_eq!(response.www_authenticate, None);
            assert!(!error.is_authentication());
        }
        // A 503 keeps a known `Retry-After`, and gets one when it has none.
        let known = AuthError::Unavailable {
            component: "x",
            source: None,
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(
            known.or_retry_after(Duration::from_secs(1)).retry_after(),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            AuthError::invalid_grant()
                .or_retry_after(Duration::from_secs(1))
                .retry_after(),
            None
        );
    }

    #[test]
    fn reasons_never_reach_display_or_the_client() {
        let err = AuthError::forbidden("secret-reason");
        assert!(!err.to_string().contains("secret-reason"));
        let response = err.response("api");
        assert!(!response.json_body().contains("secret-reason"));
        assert_eq!(response.www_authenticate, None);
    }
}
