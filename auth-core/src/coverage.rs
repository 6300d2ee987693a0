//! Coverage that can be verified at run time: every response came from a
//! guarded or a public handler.
//!
//! The secure mount points make a forgotten check a compile error, but only for
//! what is mounted on them. A route added to a plain `axum::Router`, a
//! `nest_service`, a fallback, a `default_service` or a route of a plain
//! actix-web `App` is outside them. The coverage middleware is the runtime
//! companion (compare Pundit's `verify_authorized`): every response made on a
//! secure mount point, or by a `#[requires]` / `#[public]` handler wherever it
//! is mounted, carries a private mark, and the middleware, wrapped around the
//! whole application, checks it.
//!
//! - **strict** ([`axum::require_coverage`](crate::axum::require_coverage),
//!   [`actix::require_coverage`](crate::actix::require_coverage)): an unmarked
//!   response becomes a 500, with an `ERROR` audit event naming the method and
//!   route, so a route nobody guarded cannot answer;
//! - **report** (`report_coverage`): the response goes out, and the audit event
//!   is a `WARN`, for rolling coverage out on an existing service.
//!
//! Make fallbacks `#[public]` (or `#[requires(..)]`) handlers so that they are
//! covered too. The mark is a private type in the response's extensions: code
//! outside this crate cannot set it, and it is never sent to the client.
//!
//! Where the layer goes:
//!
//! - **last**, after every route: a route added after the layer is outside it,
//!   and never checked;
//! - **inside** the layers that answer on their own (CORS preflights,
//!   timeouts, rate limiters, body limits of a server): such an answer is no
//!   handler's, so the coverage layer would make it a 500.
//!
//! The refusals the library makes before any handler runs (the authenticating
//! extractor's 401) are marked. The framework's own 404 and 405 are not: on
//! axum, give the router a `#[public]` `fallback` and
//! `method_not_allowed_fallback`; on actix-web, where a wrong method on a
//! `SecureScope` path falls through to the app's `default_service`, make that a
//! `#[public]` handler (the reference services do both, and answer 405 with
//! `Allow`). Otherwise they become 500s.

use crate::AuthError;

/// The mark of a response made on a secure mount point or by a guarded or
/// public handler. Private: only this crate makes one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Covered;

/// What the coverage middleware does with a response that is not covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A 500 and an `ERROR` event.
    Strict,
    /// The response, and a `WARN` event.
    Report,
}

const REASON: &str = "a response came from a handler that is neither guarded nor public (a route outside the secure mount points)";

/// Records an uncovered response to `method` `route` and, in strict mode,
/// returns the error to answer with instead.
pub(crate) fn uncovered(mode: Mode, method: &str, route: &str) -> Option<AuthError> {
    // The route is the template when the framework matched one; otherwise the
    // request's path, which the client wrote: bounded before it is logged.
    let route: String = route.chars().take(200).collect();
    let handler = format!("{method} {route}");
    match mode {
        Mode::Strict => {
            crate::audit::misconfigured(&handler, REASON);
            Some(AuthError::misconfigured(REASON))
        }
        Mode::Report => {
            crate::audit::uncovered(&handler, REASON);
            None
        }
    }
}
