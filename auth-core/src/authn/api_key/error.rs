//! [`ApiKeyError`]: why a key could not be created or revoked.

use crate::AuthError;

/// Why [`ApiKeys`](super::ApiKeys) refused to create, list or revoke a key.
///
/// Each kind says what to send instead. Convert it into an [`AuthError`] with
/// `?` in a handler that returns one: a refused name, scope or lifetime is a
/// 400, a scope the owner lacks a 403 `insufficient_scope` naming it, an unknown
/// or foreign key a 404, a store failure a 503.
///
/// ```
/// use auth_core::AuthError;
/// use auth_core::api_key::ApiKeyError;
///
/// let err = ApiKeyError::ScopeNotHeld { scope: "admin".into() };
/// assert_eq!(
///     err.to_string(),
///     "the owner does not hold the scope `admin`: a key may carry only scopes its owner has"
/// );
/// assert_eq!(AuthError::from(err).status().as_u16(), 403);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiKeyError {
    /// The name is empty or only whitespace.
    #[error("the key needs a name its owner will recognise, such as `ci deploy`")]
    EmptyName,
    /// The name is longer than [`MAX_NAME_CHARS`](super::MAX_NAME_CHARS).
    #[error("the key name is {chars} characters long; at most 100 are allowed")]
    NameTooLong {
        /// Its length, in characters.
        chars: usize,
    },
    /// The name contains a control character (a newline, a tab, an escape).
    #[error("the key name contains a control character; use printable characters only")]
    ControlCharacterInName,
    /// A requested scope is empty, or has a character RFC 6749 §3.3 does not
    /// allow in a scope (a space, a control, `"`, `\`, anything not ASCII).
    #[error(
        "the scope {scope:?} is not a scope token: use visible ASCII characters except `\"` and `\\`, and list scopes separately"
    )]
    InvalidScope {
        /// The scope as requested (`Debug`-quoted in the message).
        scope: String,
    },
    /// A requested scope is not among the owner's: a key never widens access.
    #[error(
        "the owner does not hold the scope `{scope}`: a key may carry only scopes its owner has"
    )]
    ScopeNotHeld {
        /// The scope the owner lacks.
        scope: String,
    },
    /// The lifetime is zero, or ends too far in the future to represent.
    #[error("the key's lifetime must be longer than zero and end before the year 292277026596")]
    InvalidLifetime,
    /// No key with this id belongs to this owner: it never existed, was revoked,
    /// or is another owner's (which is not told apart).
    #[error("the owner has no api key with this id")]
    NotFound,
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    Random,
    /// The store failed (an [`AuthError::Unavailable`], a 503).
    #[error(transparent)]
    Store(#[from] AuthError),
}

impl From<ApiKeyError> for AuthError {
    fn from(error: ApiKeyError) -> Self {
        match error {
            ApiKeyError::EmptyName => AuthError::invalid_request("the key needs a name"),
            ApiKeyError::NameTooLong { .. } => {
                AuthError::invalid_request("the key name is longer than 100 characters")
            }
            ApiKeyError::ControlCharacterInName => {
                AuthError::invalid_request("the key name contains a control character")
            }
            ApiKeyError::InvalidScope { .. } => {
                AuthError::invalid_request("a requested scope is not a valid scope token")
            }
            ApiKeyError::ScopeNotHeld { scope } => AuthError::insufficient_scope(scope),
            ApiKeyError::InvalidLifetime => {
                AuthError::invalid_request("the key's lifetime is zero or too long")
            }
            ApiKeyError::NotFound => AuthError::not_found("no such api key for this owner"),
            ApiKeyError::Random => AuthError::Unavailable {
                component: "random number generator",
                source: None,
                retry_after: None,
            },
            ApiKeyError::Store(error) => error,
        }
    }
}
