//! What can go wrong talking to SpiceDB.

use std::time::Duration;

/// An error of the SpiceDB client. In a policy, every one of them is
/// [`Decision::unavailable`](crate::Decision::unavailable) (503): only SpiceDB's
/// own "no permission" is a denial.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpiceDbError {
    /// The endpoint given to [`SpiceDb::builder`](super::SpiceDb::builder) is unusable.
    #[error("invalid SpiceDB endpoint `{endpoint}`: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong and what to write instead.
        reason: &'static str,
    },
    /// [`SpiceDbBuilder::build`](super::SpiceDbBuilder::build) was called outside
    /// a Tokio runtime.
    #[error(
        "build the SpiceDB client inside a Tokio runtime: its connection runs as a task of the runtime"
    )]
    NoRuntime,
    /// The preshared key cannot be sent in a header.
    #[error(
        "the SpiceDB preshared key must be non-empty visible ASCII (it is sent as `authorization: Bearer <key>`)"
    )]
    InvalidKey,
    /// A type or id outside SpiceDB's grammar: nothing was sent.
    #[error("a `{object_type}` object cannot be named in SpiceDB: {reason}")]
    InvalidObject {
        /// The object type.
        object_type: String,
        /// What is wrong and what to write instead.
        reason: &'static str,
    },
    /// A permission or relation name outside SpiceDB's grammar: nothing was sent.
    #[error(
        "`{name}` is not a SpiceDB permission or relation name: write 3 to 64 characters `a-z 0-9 _`, starting with a letter, not ending with `_`"
    )]
    InvalidName {
        /// The name as given.
        name: String,
    },
    /// A per-call timeout of zero (every call would fail) or of more than an
    /// hour (gRPC cannot carry every deadline, and no check should wait that
    /// long).
    #[error(
        "the SpiceDB timeout {0:?} is refused: write a duration above zero and at most an hour (`timeout(Duration::from_secs(1))`)"
    )]
    InvalidTimeout(Duration),
    /// SpiceDB refused the page's cursor (`INVALID_ARGUMENT` to a lookup
    /// with a cursor): the client's, not an outage, so
    /// [`decision`](Self::decision) is a denial (403), not a 503 that asks to
    /// try the same again.
    #[error("SpiceDB refused the list cursor: start again from the first page")]
    InvalidCursor,
    /// No answer within the per-call timeout.
    #[error("SpiceDB did not answer within {0:?}")]
    Timeout(Duration),
    /// SpiceDB (or the connection to it) answered with an error status.
    #[error("SpiceDB answered `{code}`: {message}")]
    Status {
        /// The gRPC status code's name: `UNAVAILABLE`, `UNAUTHENTICATED`,
        /// `INVALID_ARGUMENT`, ..
        code: &'static str,
        /// SpiceDB's message.
        message: String,
    },
    /// SpiceDB's answer depends on caveat context the request did not carry
    /// (`PERMISSIONSHIP_CONDITIONAL_PERMISSION`): not an allow.
    #[error(
        "SpiceDB's answer is conditional on caveat context the request did not carry (missing: {missing})"
    )]
    Conditional {
        /// The missing context fields SpiceDB named.
        missing: String,
    },
    /// SpiceDB's answer lacks what every answer carries (a ZedToken, a
    /// permissionship).
    #[error("SpiceDB's answer is malformed: {0}")]
    Malformed(&'static str),
}

/// The `Retry-After` of a SpiceDB outage.
const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

impl SpiceDbError {
    /// The decision of a policy that could not ask SpiceDB:
    /// [unavailable](crate::Decision::unavailable) (503, component `spicedb`,
    /// with `Retry-After: 1`: the client already retried the reads it may,
    /// so the caller waits a second before asking again), never an allow; a
    /// denial (403) for [`InvalidCursor`](Self::InvalidCursor). The error is
    /// logged (target `auth_core::spicedb`, at `WARN`); the client is told
    /// only that the service is unavailable.
    ///
    /// ```
    /// use auth_core::spicedb::SpiceDbError;
    ///
    /// let outage = SpiceDbError::Malformed("no ZedToken").decision();
    /// let error = outage.into_result().unwrap_err();
    /// assert_eq!(error.status().as_u16(), 503);
    /// assert_eq!(error.retry_after(), Some(std::time::Duration::from_secs(1)));
    /// ```
    pub fn decision(&self) -> crate::Decision {
        if let SpiceDbError::InvalidCursor = self {
            return crate::Decision::deny("spicedb: not a cursor of this list");
        }
        tracing::warn!(target: "auth_core::spicedb", error = %self, "spicedb could not decide");
        crate::Decision::unavailable("spicedb", Some(RETRY_AFTER))
    }

    pub(crate) fn status(status: &tonic::Status) -> Self {
        SpiceDbError::Status {
            code: code_name(status.code()),
            message: status.message().to_owned(),
        }
    }
}

/// The canonical name of a gRPC status code.
pub(crate) fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}
