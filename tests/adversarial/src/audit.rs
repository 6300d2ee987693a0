//! Audit events with their level, captured on the thread that emits them.
//!
//! One global subscriber records every event of target `auth_core::audit` into a
//! buffer of the emitting thread while that thread captures. A server started
//! with [`crate::serve_axum`] on a current-thread test runtime emits on the test's
//! thread, so its events are captured too.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Once;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::Registry;

/// One audit event.
#[derive(Debug, Clone)]
pub struct Record {
    /// Its level.
    pub level: Level,
    /// Its fields, as text.
    pub fields: BTreeMap<String, String>,
}

impl Record {
    /// A field's value.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

thread_local! {
    static CAPTURED: RefCell<Option<Vec<Record>>> = const { RefCell::new(None) };
}

struct Capture;

struct Fields<'a>(&'a mut BTreeMap<String, String>);

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
                let mut fields = BTreeMap::new();
                event.record(&mut Fields(&mut fields));
                events.push(Record {
                    level: *event.metadata().level(),
                    fields,
                });
            }
        });
    }
}

/// Starts capturing on this thread, dropping anything captured before.
///
/// # Panics
/// When another global subscriber was installed first: nothing would be captured.
pub fn start() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(Registry::default().with(Capture))
            .expect("no other global subscriber in an adversarial test binary");
    });
    CAPTURED.with(|captured| *captured.borrow_mut() = Some(Vec::new()));
}

/// Stops capturing on this thread and returns what was captured, in order.
pub fn take() -> Vec<Record> {
    CAPTURED.with(|captured| captured.borrow_mut().take().unwrap_or_default())
}
