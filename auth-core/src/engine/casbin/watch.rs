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

use super::{Casbin, CasbinError, Source, from_files, read};

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

impl Casbin {
    /// Polls the source every `every` and reloads when it changed: files whose
    /// content differs from the policy in use (and read the same on two polls
    /// in a row), or an adapter, asked again at each poll. A change takes
    /// effect at the next request after its reload; a reload that fails is
    /// logged (an error event naming the file and the line), keeps the policy in
    /// use, and is not tried again until the files change again.
    ///
    /// Needs a Tokio runtime; the watcher runs until the [`Watch`] is dropped.
    pub fn watch(&self, every: Duration) -> Watch {
        let casbin = self.clone();
        let task = tokio::spawn(async move {
            let mut pending: Option<(String, String)> = None;
            let mut failed: Option<(String, String)> = None;
            let mut interval = tokio::time::interval(every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                let files = match &*casbin.shared.source.lock().await {
                    Source::Files { model, policy } => Some((model.clone(), policy.clone())),
                    Source::Adapter { .. } => None,
                    Source::Strings { .. } => return,
                };
                let Some((model, policy)) = files else {
                    logged(casbin.reload().await);
                    continue;
                };
                let (Ok(model_text), Ok(policy_text)) = (read(&model).await, read(&policy).await)
                else {
                    // Mid-rename, or gone: the next poll sees it again.
                    continue;
                };
                let now = Some((model_text, policy_text));
                if now == casbin.shared.current.load().files || now == failed {
                    pending = None;
                } else if now == pending {
                    // Unchanged since the last poll: complete.
                    let Some(text) = now else { continue };
                    let names = (model.display().to_string(), policy.display().to_string());
                    let result = {
                        let _serial = casbin.shared.source.lock().await;
                        let generation = casbin.generation() + 1;
                        let built =
                            from_files(text.clone(), &names, casbin.shared.options, generation)
                                .await;
                        casbin.install(built)
                    };
                    failed = result.is_err().then_some(text);
                    pending = None;
                    logged(result);
                } else {
                    pending = now;
                }
            }
        });
        Watch { task }
    }
}

/// Logs a reload's outcome.
fn logged(result: Result<u64, CasbinError>) {
    match result {
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
