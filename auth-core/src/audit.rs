//! Audit events: every authentication and every authorization decision.
//!
//! Events are [`tracing`] events with target [`TARGET`] (`auth_core::audit`), so
//! they can be routed to an audit sink separately from application logs:
//!
//! ```text
//! RUST_LOG=auth_core::audit=info
//! ```
//!
//! | event | fields |
//! |---|---|
//! | authentication succeeded | `principal`, `mechanism`, `token_id`, `decision = "authenticated"` |
//! | authentication failed | `error` (the kind, e.g. `invalid_token`), `reason` (e.g. `the token expired`), `decision = "unauthenticated"` |
//! | authorization decision | `principal`, `handler`, `rule`, `action`, `resource`, `decision` (`allow`, `deny`, `insufficient_scope`, `not_found`), `reason` |
//!
//! No event carries a token, a secret or a request body: the principal is the
//! subject id, the token is named by its `jti`.

use std::fmt::Display;

use tracing::Level;

use crate::{AuthError, AuthInfo, Decision};

/// The `tracing` target of every audit event.
pub const TARGET: &str = "auth_core::audit";

pub(crate) fn authenticated(info: &AuthInfo) {
    tracing::event!(
        target: TARGET,
        Level::INFO,
        principal = info.subject(),
        mechanism = info.mechanism().as_str(),
        token_id = info.token_id(),
        decision = "authenticated",
    );
}

pub(crate) fn authentication_failed(error: &AuthError) {
    match error {
        AuthError::InvalidToken(reason) => tracing::event!(
            target: TARGET,
            Level::INFO,
            error = error.code(),
            reason = %reason,
            decision = "unauthenticated",
        ),
        AuthError::Unavailable { component, source } => tracing::event!(
            target: TARGET,
            Level::ERROR,
            error = error.code(),
            component = *component,
            source = source.as_ref().map(tracing::field::display),
            decision = "unauthenticated",
        ),
        _ => tracing::event!(
            target: TARGET,
            Level::INFO,
            error = error.code(),
            reason = %error,
            decision = "unauthenticated",
        ),
    }
}

/// What a decision was about.
pub(crate) struct Subject<'a> {
    pub(crate) principal: &'a str,
    pub(crate) handler: &'a str,
    pub(crate) rule: &'a str,
    pub(crate) action: &'a str,
    pub(crate) resource_kind: &'a str,
    pub(crate) resource_id: &'a dyn Display,
}

pub(crate) fn decision(about: &Subject<'_>, decision: &Decision) {
    tracing::event!(
        target: TARGET,
        Level::INFO,
        principal = about.principal,
        handler = about.handler,
        rule = about.rule,
        action = about.action,
        resource = format_args!("{}:{}", about.resource_kind, about.resource_id),
        decision = decision.outcome().as_str(),
        reason = decision.reason(),
    );
}
