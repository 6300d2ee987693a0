//! [`CasbinError`]: why a model or a policy was not loaded.

use std::path::PathBuf;

/// Why a Casbin model or policy was not loaded (at start, the service should not
/// start; on a reload, the policy in use stays).
///
/// Each error names the file (or the adapter) and says what to write instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CasbinError {
    /// A file could not be read.
    #[error("cannot read `{}`: {source}; check the path and its permissions", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The model (`model.conf`) is not one this module can enforce.
    #[error("model `{file}`: {message}")]
    Model {
        /// The model's file, or `<model string>`.
        file: String,
        /// What is wrong, and what to write instead.
        message: String,
    },
    /// A line of the policy (`policy.csv`) is wrong.
    #[error("policy `{file}` line {line}: {message}")]
    Policy {
        /// The policy's file, or `<policy string>`.
        file: String,
        /// The line, from 1.
        line: usize,
        /// What is wrong, and what to write instead.
        message: String,
    },
    /// The adapter failed, or gave a rule the model cannot hold.
    #[error("policy adapter: {message}")]
    Adapter {
        /// What is wrong.
        message: String,
    },
    /// The policy has no `p` rule: it would deny everything.
    #[error(
        "policy `{file}` has no `p` rule, so it would deny every request (a truncated or empty file?); write the rules, or load with `Loader::allow_empty_policy` for a deliberate deny-all"
    )]
    EmptyPolicy {
        /// The policy's file, `<policy string>` or `<adapter>`.
        file: String,
    },
    /// [`Loader::require_lists`](super::Loader::require_lists) was asked and the
    /// model's matcher cannot be turned into a list filter.
    #[error("model `{file}` cannot answer lists as a filter: {reason}")]
    NotListable {
        /// The model's file, or `<model string>`.
        file: String,
        /// Which part of the model, and which shapes are supported.
        reason: String,
    },
}
