//! Captures audit events, to assert what reached the audit log.
//!
//! One global subscriber records every audit event into a buffer of the thread
//! that emitted it, if that thread is capturing. (Per-thread default subscribers
//! race with `tracing`'s callsite-interest cache when tests run in parallel.)

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Once;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::Registry;

/// One captured event: its fields as strings, and its level under `"level"`
/// (`"INFO"`, `"WARN"`, `"ERROR"`).
pub type Record = BTreeMap<String, String>;

thread_local! {
    static CAPTURED: RefCell<Option<Vec<Record>>> = const { RefCell::new(None) };
}

struct Capture;

struct Fields<'a>(&'a mut Record);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != auth_core::audit::TARGET {
            return;
        }
        CAPTURED.with(|captured| {
            if let Some(events) = captured.borrow_mut().as_mut() {
                let mut record = Record::new();
                event.record(&mut Fields(&mut record));
                record.insert("level".to_owned(), event.metadata().level().to_string());
                events.push(record);
            }
        });
    }
}

/// Runs `f` with audit capture on this thread and returns its result and the
/// audit events it emitted (on this thread), in order.
pub fn capture<T>(f: impl FnOnce() -> T) -> (T, Vec<Record>) {
    start();
    let out = f();
    (out, take())
}

/// Starts capturing on this thread, dropping anything captured before (for
/// events emitted across `.await`s on a current-thread runtime, where
/// [`capture`]'s closure does not fit).
pub fn start() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Another subscriber already installed by the test binary wins; then
        // nothing is captured and the assertions say so.
        let _ = tracing::subscriber::set_global_default(Registry::default().with(Capture));
    });
    CAPTURED.with(|captured| *captured.borrow_mut() = Some(Vec::new()));
}

/// Stops capturing on this thread and returns what was captured, in order.
pub fn take() -> Vec<Record> {
    CAPTURED.with(|captured| captured.borrow_mut().take().unwrap_or_default())
}
