//! The log filter of the binaries.
//!
//! axum records every rejection it renders as a `TRACE` event of target
//! `axum::rejection`, with the rejection's text, which quotes the request's input
//! (a JSON body's offending part, control characters included). The service's
//! extractors ([`crate::extract`]) never render axum's rejections, and this filter
//! switches the target off whatever `RUST_LOG` says, so no log line carries a
//! request body even if a handler uses axum's own extractors.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::Directive;

/// The target axum logs rejected input under.
pub const REJECTION_TARGET: &str = "axum::rejection";

/// `RUST_LOG`, else `default`, always with [`REJECTION_TARGET`] off.
pub fn filter(default: &str) -> EnvFilter {
    with_rejections_off(
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default)),
    )
}

/// `filter` with [`REJECTION_TARGET`] off, whatever level it enables: the
/// directive is added last, so it replaces one for the same target.
pub fn with_rejections_off(filter: EnvFilter) -> EnvFilter {
    match format!("{REJECTION_TARGET}=off").parse::<Directive>() {
        Ok(off) => filter.add_directive(off),
        Err(_) => filter,
    }
}
