//! The watcher: polls the policy's source and reloads when it changed.
//!
//! Polling rather than file-system events: it works the same on every
//! platform, across a Kubernetes `ConfigMap`'s symlink swap, on network file
//! systems, and for an adapter (a database has no change event), with no
//! dependency. A file must read the same on two polls in a row before it is
//! loaded, so a file caught half-written is not loaded (an editor or a deploy
//! that writes in place); write policies by renaming a complete file over the
//! old one all the same.

use std::time::Duration;

use super::{Casbin, Source, build, read};

/// A running watcher ([`Casbin::watch`]); stops when dropped.
#[must_use = "the watcher stops when this is dropped"]
#[derive(Debug)]
pub struct Watch {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the watcher last saw of the files.
#[derive(PartialEq, Eq, Clone)]
struct Seen {
    model: String,
    policy: String,
}

impl Casbin {
    /// Polls the source every `every` and reloads when it changed: files whose
    /// content changed (and read the same on two polls in a row), or an
    /// adapter, asked again at each poll. A change takes effect at the next
    /// request after its reload; a reload that fails is logged (an error event
    /// naming the file and the line), keeps the policy in use, and is tried
    /// again only when the files change again.
    ///
    /// Needs a Tokio runtime; the watcher runs until the [`Watch`] is dropped.
    pub fn watch(&self, every: Duration) -> Watch {
        let casbin = self.clone();
        let task = tokio::spawn(async move {
            let mut last = casbin.seen().await;
            let mut pending: Option<Seen> = None;
            let mut interval = tokio::time::interval(every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            interval.tick().await;
            loop {
                interval.tick().await;
                let adapter = matches!(&*casbin.shared.source.lock().await, Source::Adapter { .. });
                if adapter {
                    casbin.reload_logged().await;
                    continue;
                }
                let now = casbin.seen().await;
                if now == last {
                    pending = None;
                } else if now.is_some() && pending == now {
                    // Unchanged since the last poll: complete. Loaded even if it
                    // fails, so that a broken file is reported once.
                    casbin.reload_logged().await;
                    last = now;
                    pending = None;
                } else {
                    pending = now;
                }
            }
        });
        Watch { task }
    }

    /// The files' content now, for a file source.
    async fn seen(&self) -> Option<Seen> {
        let (model, policy) = match &*self.shared.source.lock().await {
            Source::Files { model, policy } => (model.clone(), policy.clone()),
            Source::Strings { .. } | Source::Adapter { .. } => return None,
        };
        Some(Seen {
            model: read(&model).await.ok()?,
            policy: read(&policy).await.ok()?,
        })
    }

    async fn reload_logged(&self) {
        let mut source = self.shared.source.lock().await;
        let generation = self.generation() + 1;
        let built = build(&mut source, self.shared.options, generation).await;
        drop(source);
        match self.install(built) {
            Ok(generation) => tracing::info!(
                target: crate::audit::TARGET,
                generation,
                "casbin policy reloaded",
            ),
            Err(error) => tracing::error!(
                target: crate::audit::TARGET,
                error = %error,
                "casbin policy reload failed: the policy in use stays",
            ),
        }
    }
}
