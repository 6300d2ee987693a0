//! Captures audit events, to assert what reached the audit log.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::Registry;

/// One captured event: its fields as strings.
pub type Record = BTreeMap<String, String>;

/// Audit events captured while a closure ran.
#[derive(Debug, Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<Record>>>);

impl Captured {
    /// Every captured event, in order.
    pub fn events(&self) -> Vec<Record> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

struct Capture(Captured);

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
        let mut record = Record::new();
        event.record(&mut Fields(&mut record));
        (self.0)
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(record);
    }
}

/// Runs `f` with audit capture on this thread and returns its result and the events.
pub fn capture<T>(f: impl FnOnce() -> T) -> (T, Vec<Record>) {
    let captured = Captured::default();
    let subscriber = Registry::default().with(Capture(captured.clone()));
    let out = tracing::subscriber::with_default(subscriber, f);
    (out, captured.events())
}
