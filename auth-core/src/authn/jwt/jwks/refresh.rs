//! When to fetch, and what to keep: the cached key set, the background refresh, and
//! the rate limit on fetches a request may cause.
//!
//! Every fetch runs under one async mutex, so there is never more than one in flight;
//! a request that needs a fetch (an unknown `kid`, no keys yet) waits for the one
//! running instead of starting another. A fetch a request may cause happens only
//! when the last attempt, of any kind, is at least `min_fetch_interval` old. A failed
//! fetch changes nothing but the time of the next attempt.

use std::sync::{Arc, OnceLock, PoisonError, RwLock, Weak};
use std::time::Duration;

use http::Uri;
use tokio::runtime::Handle;
use tokio::sync::Mutex;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::fetch::{self, HttpFetcher};
use super::{JwksError, discovery};
use crate::authn::jwt::key_source::Keys;
use crate::authn::jwt::{Algorithm, KeySet};

/// Where the key set is.
pub(super) enum Location {
    /// A `jwks_uri`, configured.
    Jwks(Uri),
    /// An issuer whose discovery document names the `jwks_uri`.
    Issuer { issuer: String, discovery: Uri },
}

/// What the builder configured.
pub(super) struct Policy {
    pub(super) refresh_interval: Duration,
    pub(super) min_fetch_interval: Duration,
    pub(super) timeout: Duration,
    pub(super) pinned: Option<Algorithm>,
    pub(super) allow_http: bool,
}

/// Shared by every clone of a `RemoteKeySet` and, weakly, by its refresh task.
pub(super) struct Shared {
    pub(super) location: Location,
    pub(super) policy: Policy,
    fetcher: HttpFetcher,
    /// The runtime fetches run on, whichever executor the request runs on.
    runtime: Handle,
    /// The keys requests verify with: read on every request, written by a fetch.
    current: RwLock<Option<Keys>>,
    /// Held for the whole of a fetch: at most one in flight.
    state: Arc<Mutex<FetchState>>,
    refresher: OnceLock<AbortHandle>,
}

struct FetchState {
    /// The `jwks_uri`, once known (from the configuration, or from discovery).
    jwks_url: Option<Uri>,
    last_attempt: Option<Instant>,
    next_refresh: Instant,
    /// The last document turned into keys: an identical one changes nothing, so
    /// cached tokens stay cached.
    last_body: Option<Vec<u8>>,
    generation: u64,
}

impl Shared {
    pub(super) fn new(
        location: Location,
        policy: Policy,
        fetcher: HttpFetcher,
        runtime: Handle,
    ) -> Arc<Self> {
        let jwks_url = match &location {
            Location::Jwks(url) => Some(url.clone()),
            Location::Issuer { .. } => None,
        };
        Arc::new(Shared {
            location,
            policy,
            fetcher,
            runtime,
            current: RwLock::new(None),
            state: Arc::new(Mutex::new(FetchState {
                jwks_url,
                last_attempt: None,
                next_refresh: Instant::now(),
                last_body: None,
                generation: 0,
            })),
            refresher: OnceLock::new(),
        })
    }

    /// The keys now, without waiting; `None` before the first successful fetch.
    pub(super) fn current(&self) -> Option<Keys> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The first fetch, at startup: its error is the caller's.
    pub(super) async fn fetch_first(self: &Arc<Self>) -> Result<(), JwksError> {
        let mut state = self.state.lock().await;
        self.fetch_locked(&mut state).await
    }

    /// Starts the background refresh; it ends when the last `RemoteKeySet` clone is
    /// dropped.
    pub(super) fn start_refresher(self: &Arc<Self>) {
        let task = self.runtime.spawn(refresh_loop(Arc::downgrade(self)));
        // Set once, right after construction.
        let _ = self.refresher.set(task.abort_handle());
    }

    /// Keys newer than generation `seen`, fetching them if the rate limit allows.
    /// With `seen == 0` (no keys yet) any keys are newer. `None` when nothing newer
    /// could be had.
    pub(super) async fn newer_than(self: &Arc<Self>, seen: u64) -> Option<Keys> {
        let state = Arc::clone(&self.state).lock_owned().await;
        if state.generation != seen {
            return self.current();
        }
        let due = state
            .last_attempt
            .is_none_or(|last| last.elapsed() >= self.policy.min_fetch_interval);
        if !due {
            return None;
        }
        // The fetch runs in a task of its own, holding the lock, so a request that
        // gives up (its client went away) does not cancel the fetch other requests
        // wait for.
        let shared = Arc::clone(self);
        let fetch = self.runtime.spawn(async move {
            let mut state = state;
            if let Err(error) = shared.fetch_locked(&mut state).await {
                shared.warn(&error, "a request needed new keys");
            }
            state.generation
        });
        match fetch.await {
            Ok(generation) if generation != seen => self.current(),
            _ => None,
        }
    }

    /// One fetch: discovery when needed, the key set, and the swap. Bounded by the
    /// timeout as a whole.
    async fn fetch_locked(&self, state: &mut FetchState) -> Result<(), JwksError> {
        let started = Instant::now();
        state.last_attempt = Some(started);
        // Until this one succeeds, try again after the rate limit.
        state.next_refresh = started + self.policy.min_fetch_interval;

        let (url, fetched) =
            match tokio::time::timeout(self.policy.timeout, self.download(state)).await {
                Ok(result) => result?,
                Err(_elapsed) => {
                    return Err(JwksError::Timeout {
                        url: self.url_for_errors(state),
                        timeout: self.policy.timeout,
                    });
                }
            };

        if state.last_body.as_deref() != Some(fetched.body.as_slice()) {
            let keys = parse(&fetched.body, self.policy.pinned).map_err(|source| {
                JwksError::InvalidKeySet {
                    url: url.to_string(),
                    source,
                }
            })?;
            state.generation += 1;
            tracing::info!(
                target: crate::jwt::LOG_TARGET,
                url = %url,
                keys = keys.len(),
                skipped = keys.skipped().len(),
                generation = state.generation,
                "remote key set updated"
            );
            *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(Keys {
                set: Arc::new(keys),
                generation: state.generation,
            });
            state.last_body = Some(fetched.body);
        }
        // `max-age` may bring the next refresh forward, within the bounds.
        let wait = fetched.max_age.map_or(self.policy.refresh_interval, |age| {
            age.clamp(self.policy.min_fetch_interval, self.policy.refresh_interval)
        });
        state.next_refresh = started + wait;
        Ok(())
    }

    async fn download(&self, state: &mut FetchState) -> Result<(Uri, fetch::Fetched), JwksError> {
        let url = match (&state.jwks_url, &self.location) {
            (Some(url), _) | (None, Location::Jwks(url)) => url.clone(),
            (None, Location::Issuer { issuer, discovery }) => {
                let document = self.fetcher.get(discovery).await?;
                let jwks_uri = discovery::jwks_uri(&document.body, issuer, &discovery.to_string())?;
                let url = fetch::check_url(&jwks_uri, self.policy.allow_http)?;
                state.jwks_url = Some(url.clone());
                url
            }
        };
        let fetched = self.fetcher.get(&url).await?;
        Ok((url, fetched))
    }

    fn url_for_errors(&self, state: &FetchState) -> String {
        match (&state.jwks_url, &self.location) {
            (Some(url), _) | (None, Location::Jwks(url)) => url.to_string(),
            (None, Location::Issuer { discovery, .. }) => discovery.to_string(),
        }
    }

    fn warn(&self, error: &JwksError, when: &'static str) {
        let cached = self.current().map(|keys| keys.generation);
        tracing::warn!(
            target: crate::jwt::LOG_TARGET,
            error = %error,
            when,
            cached_generation = cached,
            "could not fetch the remote key set; {}",
            if cached.is_some() {
                "the cached keys stay in use"
            } else {
                "requests fail with 503 until a fetch succeeds"
            }
        );
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(task) = self.refresher.get() {
            task.abort();
        }
    }
}

fn parse(body: &[u8], pinned: Option<Algorithm>) -> Result<KeySet, crate::authn::jwt::KeyError> {
    let json = std::str::from_utf8(body).map_err(|_| crate::authn::jwt::KeyError::InvalidJwk {
        reason: "not UTF-8",
    })?;
    match pinned {
        Some(algorithm) => KeySet::from_jwk_set_pinned(json, algorithm),
        None => KeySet::from_jwk_set(json),
    }
}

/// Sleeps until the next refresh is due, fetches, and again; holds the shared state
/// only while it works, so dropping the last `RemoteKeySet` ends it.
async fn refresh_loop(shared: Weak<Shared>) {
    loop {
        let next = {
            let Some(shared) = shared.upgrade() else {
                return;
            };
            let state = shared.state.lock().await;
            state.next_refresh
        };
        tokio::time::sleep_until(next).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let mut state = shared.state.lock().await;
        // A fetch caused by a request may have moved the schedule.
        if Instant::now() >= state.next_refresh
            && let Err(error) = shared.fetch_locked(&mut state).await
        {
            shared.warn(&error, "scheduled refresh");
        }
    }
}
