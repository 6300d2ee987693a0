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
//! | authentication failed | `error` (the kind, e.g. `invalid_token`, or `forbidden` for a token cookie on a cross-site request), `reason` (e.g. `the token expired`, or which header failed the cross-site check), `decision = "unauthenticated"` |
//! | authorization decision | `principal`, `handler`, `rule`, `action`, `resource`, `decision` (`allow`, `deny`, `insufficient_scope`, `not_found`, `unavailable`), `reason`, and for a policy engine's decision `engine` and `evidence` ([`Evidence`](crate::engine::Evidence): Cedar's determining policies, SpiceDB's ZedToken, Casbin's matched rule) |
//! | list decision ([`authorize_list`](crate::Authenticated::authorize_list), [`authorize_page`](crate::Authenticated::authorize_page)) | as a decision, with `resource` = `<kind>:*` and `filter`: the filter's shape (`owner_id = ?`: columns and operators, never values) |
//! | misconfiguration (an unregistered handler, a gatekeeper cleared early, an uncovered response in strict coverage, `auth_core::coverage`) | `handler`, `reason`, `decision = "misconfigured"`, at `ERROR` |
//! | an uncovered response in report coverage (`auth_core::coverage`) | `handler` (method and route), `reason`, `decision = "uncovered"`, at `WARN` |
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
        // A credential that verified but may not be used this way (a token cookie
        // on a cross-site request): the reason is the audit log's, not the client's.
        AuthError::Forbidden { reason } => tracing::event!(
            target: TARGET,
            Level::WARN,
            error = error.code(),
            reason = &**reason,
            decision = "unauthenticated",
        ),
        AuthError::Unavailable {
            component, source, ..
        } => tracing::event!(
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

/// What a decision was about. Its fields are borrows, cheap to gather again; the
/// resource id, which runs the resource's own code, is asked for separately.
pub(crate) struct Subject<'a> {
    pub(crate) principal: &'a str,
    pub(crate) handler: &'a str,
    pub(crate) rule: &'a str,
    pub(crate) action: &'a str,
    pub(crate) resource_kind: &'a str,
}

/// Records `decision` about what `about` returns, on the resource `resource_id`
/// returns.
///
/// The event's own level and callsite check comes first: `about`, `resource_id`
/// and the reason's text are evaluated only for an event that will be recorded,
/// so with auditing off a decision costs that check and nothing more. Inlined, so
/// that the check is made where the decision is, which then need not be built
/// in memory.
#[allow(
    clippy::inline_always,
    reason = "measured: left to the optimizer, the event's fields are built before the check"
)]
#[inline(always)]
pub(crate) fn decision<'a, I: Display>(
    decision: &Decision,
    about: impl Fn() -> Subject<'a>,
    resource_id: impl FnOnce() -> I,
) {
    let outcome = decision.outcome();
    let reason = decision.reason_parts();
    tracing::event!(
        target: TARGET,
        Level::INFO,
        principal = about().principal,
        handler = about().handler,
        rule = about().rule,
        action = about().action,
        resource = format_args!("{}:{}", about().resource_kind, resource_id()),
        decision = outcome.as_str(),
        reason = &*reason.text(),
        engine = decision.evidence().map(crate::engine::Evidence::engine),
        evidence = decision.evidence().map(crate::engine::Evidence::detail),
    );
}

/// Records the decision on a whole list: what [`Authenticated::authorize_list`]
/// was asked, and the shape of the filter it answered with (columns and
/// operators, no values).
///
/// [`Authenticated::authorize_list`]: crate::Authenticated::authorize_list
pub(crate) fn list_decision<A: crate::Action, R: crate::Resource>(
    principal: &str,
    decision: &Decision,
    filter: Option<&crate::filter::Filter<R>>,
) {
    let reason = decision.reason_parts();
    tracing::event!(
        target: TARGET,
        Level::INFO,
        principal,
        handler = "",
        rule = A::NAME,
        action = A::NAME,
        resource = format_args!("{}:*", R::KIND),
        decision = decision.outcome().as_str(),
        reason = &*reason.text(),
        filter = filter.map(tracing::field::display),
        engine = decision.evidence().map(crate::engine::Evidence::engine),
        evidence = decision.evidence().map(crate::engine::Evidence::detail),
    );
}

/// Records a response that no guarded or public handler made, in the coverage
/// middleware's report mode (`auth_core::coverage`, with `axum` or `actix-web`).
#[cfg_attr(
    not(any(feature = "axum", feature = "actix-web")),
    allow(dead_code, reason = "only the adapters' coverage middleware reports")
)]
pub(crate) fn uncovered(handler: &str, reason: &str) {
    tracing::event!(
        target: TARGET,
        Level::WARN,
        handler,
        reason,
        decision = "uncovered",
    );
}

/// Records that `handler` was refused because the service is misconfigured.
pub(crate) fn misconfigured(handler: &str, reason: &str) {
    tracing::event!(
        target: TARGET,
        Level::ERROR,
        handler,
        reason,
        decision = "misconfigured",
    );
}
