//! The session authenticator and the management API, end to end on the memory
//! store, with an injected clock.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::request::Parts;

use super::*;
use crate::{AuthError, LoadUser, Mechanism, Scopes, TokenError, authenticate};

const APP: &str = "https://app.example.com";

#[derive(Debug, Clone, PartialEq)]
struct User {
    name: String,
    admin: bool,
}

/// The source of truth: a map the tests edit between requests.
#[derive(Default, Clone)]
struct Users(Arc<Mutex<HashMap<String, User>>>);

impl Users {
    fn put(&self, subject: &str, admin: bool) {
        self.0.lock().unwrap().insert(
            subject.to_owned(),
            User {
                name: subject.to_owned(),
                admin,
            },
        );
    }
}

impl LoadUser for Users {
    type User = User;

    async fn load(&self, subject: &str) -> Result<Option<User>, AuthError> {
        Ok(self.0.lock().unwrap().get(subject).cloned())
    }

    /// Admins are in tenant `ops`; the others in none.
    fn tenant(user: &User) -> Option<&str> {
        user.admin.then_some("ops")
    }
}

/// A clock the test moves by hand, in seconds from a fixed start.
#[derive(Clone, Default)]
struct Clock(Arc<AtomicU64>);

impl Clock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000 + self.0.load(Ordering::SeqCst))
    }

    fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_secs(), Ordering::SeqCst);
    }
}

struct Fixture {
    sessions: Sessions<Arc<MemorySessionStore>>,
    store: Arc<MemorySessionStore>,
    authenticator: SessionAuthenticator<Arc<MemorySessionStore>, Users>,
    users: Users,
    clock: Clock,
}

fn fixture() -> Fixture {
    fixture_with(|builder| builder)
}

fn fixture_with(
    configure: impl FnOnce(
        SessionAuthenticatorBuilder<Arc<MemorySessionStore>, Users>,
    ) -> SessionAuthenticatorBuilder<Arc<MemorySessionStore>, Users>,
) -> Fixture {
    let store = Arc::new(MemorySessionStore::new());
    let clock = Clock::default();
    let tick = clock.clone();
    let sessions = Sessions::builder(Arc::clone(&store))
        .cookie_name("sid")
        .clock(move || tick.now())
        .build()
        .unwrap();
    let users = Users::default();
    users.put("alice", true);
    let authenticator = configure(
        SessionAuthenticator::builder(sessions.clone(), users.clone()).trusted_origin(APP),
    )
    .build()
    .unwrap();
    Fixture {
        sessions,
        store,
        authenticator,
        users,
        clock,
    }
}

fn request(method: &str, cookie: Option<&str>, headers: &[(&str, &str)]) -> Parts {
    let mut builder = http::Request::builder().method(method).uri("/orders");
    if let Some(cookie) = cookie {
        builder = builder.header("cookie", cookie);
    }
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap().into_parts().0
}

fn cookie_of(new: &NewSession) -> String {
    format!("__Host-sid={}", new.id().expose_secret())
}

fn get(cookie: &str) -> Parts {
    request("GET", Some(cookie), &[])
}

/// A same-origin `POST` carrying `token`.
fn post(cookie: &str, token: &str) -> Parts {
    request(
        "POST",
        Some(cookie),
        &[("sec-fetch-site", "same-origin"), ("x-csrf-token", token)],
    )
}

fn run<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn assert_token_error(result: Result<impl std::fmt::Debug, AuthError>, expected: TokenError) {
    match result {
        Err(AuthError::InvalidToken(error)) if error == expected => {}
        other => panic!("expected 401 {expected:?}, got {other:?}"),
    }
}

fn forbidden_reason(result: Result<impl std::fmt::Debug, AuthError>) -> String {
    match result {
        Err(AuthError::Forbidden { reason }) => reason.into_owned(),
        other => panic!("expected 403, got {other:?}"),
    }
}

#[test]
fn a_login_authenticates_with_the_identity_of_its_record() {
    let f = fixture();
    run(async {
        let login_at = f.clock.now();
        let new = f
            .sessions
            .login("alice", &["pwd", "otp"], Some("mfa"))
            .await
            .unwrap();
        assert_eq!(new.csrf_token().len(), 43);
        f.clock.advance(Duration::from_secs(60));
        let alice = authenticate(&f.authenticator, &get(&cookie_of(&new)))
            .await
            .unwrap();
        assert_eq!(alice.user().name, "alice");
        let info = alice.info();
        assert_eq!(info.mechanism(), Mechanism::Session);
        assert_eq!(info.subject(), "alice");
        // The handle, never the id.
        assert_eq!(info.token_id(), Some(new.handle().as_str()));
        assert_eq!(new.handle().len(), 16);
        assert!(!new.id().expose_secret().contains(&new.handle()));
        assert_eq!(info.issued_at(), Some(login_at));
        assert_eq!(info.auth_time(), Some(login_at));
        assert_eq!(
            info.expires_at(),
            Some(f.clock.now() + Sessions::<MemorySessionStore>::DEFAULT_IDLE_TIMEOUT)
        );
        assert_eq!(info.amr(), ["pwd", "otp"]);
        assert_eq!(info.acr(), Some("mfa"));
        assert!(info.scopes().is_empty());
        // The tenant is the user record's (`LoadUser::tenant`), read again on
        // every request: a user moved to another tenant is there at once.
        assert_eq!(info.tenant(), Some("ops"));
        f.users.put("alice", false);
        let alice = authenticate(&f.authenticator, &get(&cookie_of(&new)))
            .await
            .unwrap();
        assert_eq!(alice.info().tenant(), None);
    });
}

#[test]
fn logins_never_reuse_an_id() {
    let f = fixture();
    run(async {
        let a = f.sessions.login("alice", &["pwd"], None).await.unwrap();
        let b = f.sessions.login("alice", &["pwd"], None).await.unwrap();
        assert_ne!(a.id(), b.id());
        assert_ne!(a.csrf_token(), b.csrf_token());
        assert_eq!(f.store.len(), 2);
    });
}

#[test]
fn missing_malformed_and_unknown_cookies_are_401s() {
    let f = fixture();
    run(async {
        assert!(matches!(
            authenticate(&f.authenticator, &request("GET", None, &[])).await,
            Err(AuthError::MissingCredentials)
        ));
        assert!(matches!(
            authenticate(&f.authenticator, &get("other=1")).await,
            Err(AuthError::MissingCredentials)
        ));
        assert_token_error(
            authenticate(&f.authenticator, &get("__Host-sid=nope")).await,
            TokenError::Malformed,
        );
        let unknown = SessionId::generate().unwrap();
        assert_token_error(
            authenticate(
                &f.authenticator,
                &get(&format!("__Host-sid={}", unknown.expose_secret())),
            )
            .await,
            TokenError::Revoked,
        );
        let new = f.sessions.login("alice", &["pwd"], None).await.unwrap();
        let cookie = cookie_of(&new);
        assert_token_error(
            authenticate(&f.authenticator, &get(&format!("{cookie}; {cookie}"))).await,
            TokenError::Malformed,
        );
    });
}

/// A store that is down: every call a 503.
struct Down;

fn down<T>() -> Result<T, AuthError> {
    Err(AuthError::unavailable(
        "session store",
        "connection refused",
    ))
}

impl SessionStore for Down {
    async fn create(
        &self,
        _: &SessionKey,
        _: &SessionRecord,
        _: SystemTime,
    ) -> Result<(), AuthError> {
        down()
    }
    async fn load(&self, _: &SessionKey) -> Result<Option<SessionRecord>, AuthError> {
        down()
    }
    async fn touch(&self, _: &SessionKey, _: SystemTime, _: SystemTime) -> Result<bool, AuthError> {
        down()
    }
    async fn rotate(
        &self,
        _: &SessionKey,
        _: &SessionKey,
        _: &SessionRecord,
        _: SystemTime,
    ) -> Result<bool, AuthError> {
        down()
    }
    async fn destroy(&self, _: &SessionKey) -> Result<bool, AuthError> {
        down()
    }
    async fn destroy_all_for(&self, _: &str) -> Result<u64, AuthError> {
        down()
    }
    async fn get(&self, _: &SessionKey, _: &str) -> Result<Option<String>, AuthError> {
        down()
    }
    async fn set(&self, _: &SessionKey, _: &str, _: &str) -> Result<bool, AuthError> {
        down()
    }
    async fn remove(&self, _: &SessionKey, _: &str) -> Result<bool, AuthError> {
        down()
    }
    async fn increment(&self, _: &SessionKey, _: &str, _: i64) -> Result<Option<i64>, AuthError> {
        down()
    }
}

#[test]
fn a_store_that_is_down_is_a_503_and_a_malformed_cookie_never_reaches_it() {
    let sessions = Sessions::builder(Down).cookie_name("sid").build().unwrap();
    let authenticator = SessionAuthenticator::builder(sessions.clone(), Users::default())
        .build()
        .unwrap();
    run(async {
        let id = SessionId::generate().unwrap();
        let cookie = format!("__Host-sid={}", id.expose_secret());
        let error = authenticate(&authenticator, &get(&cookie))
            .await
            .unwrap_err();
        assert_eq!(error.status(), 503);
        assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
        // Malformed: refused before the store is asked, so a 401, not a 503.
        assert_token_error(
            authenticate(&authenticator, &get("__Host-sid=AAAA")).await,
            TokenError::Malformed,
        );
        assert_eq!(
            sessions
                .login("alice", &[], None)
                .await
                .unwrap_err()
                .status(),
            503
        );
        assert_eq!(
            sessions
                .logout(&get(&cookie).headers)
                .await
                .unwrap_err()
                .status(),
            503
        );
    });
}

#[test]
fn the_csrf_matrix() {
    let f = fixture();
    run(async {
        let new = f.sessions.login("alice", &["pwd"], None).await.unwrap();
        let cookie = cookie_of(&new);
        let token = new.csrf_token();
        // Safe methods need neither token nor origin headers.
        for method in ["GET", "HEAD", "OPTIONS", "TRACE"] {
            authenticate(&f.authenticator, &request(method, Some(&cookie), &[]))
                .await
                .unwrap();
        }
        // Unsafe: the right token from the same origin, or from a trusted origin.
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            let same_origin = request(
                method,
                Some(&cookie),
                &[("sec-fetch-site", "same-origin"), ("x-csrf-token", token)],
            );
            authenticate(&f.authenticator, &same_origin).await.unwrap();
            let trusted = request(
                method,
                Some(&cookie),
                &[
                    ("origin", APP),
                    ("sec-fetch-site", "same-site"),
                    ("x-csrf-token", token),
                ],
            );
            authenticate(&f.authenticator, &trusted).await.unwrap();
        }
        let missing = request("POST", Some(&cookie), &[("sec-fetch-site", "same-origin")]);
        let reason = forbidden_reason(authenticate(&f.authenticator, &missing).await);
        assert!(reason.contains("missing token"), "{reason}");
        let other = SessionId::generate().unwrap();
        let reason = forbidden_reason(
            authenticate(&f.authenticator, &post(&cookie, other.expose_secret())).await,
        );
        assert!(reason.contains("wrong token"), "{reason}");
        // The right token from another site: the cross-site check refuses.
        let cross = request(
            "POST",
            Some(&cookie),
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
                ("x-csrf-token", token),
            ],
        );
        let reason = forbidden_reason(authenticate(&f.authenticator, &cross).await);
        assert!(reason.contains("cross-site"), "{reason}");
        assert!(reason.contains("https://evil.example"), "{reason}");
        let no_headers = request("POST", Some(&cookie), &[("x-csrf-token", token)]);
        let reason = forbidden_reason(authenticate(&f.authenticator, &no_headers).await);
        assert!(reason.contains("cross-site"), "{reason}");
        // A bad session with a bad token is a 401: authentication answers first.
        let unknown = format!("__Host-sid={}", other.expose_secret());
        assert_token_error(
            authenticate(&f.authenticator, &request("POST", Some(&unknown), &[])).await,
            TokenError::Revoked,
        );
        assert_token_error(
            authenticate(
                &f.authenticator,
                &request("POST", Some("__Host-sid=x"), &[]),
            )
            .await,
            TokenError::Malformed,
        );
        assert!(matches!(
            authenticate(&f.authenticator, &request("POST", None, &[])).await,
            Err(AuthError::MissingCredentials)
        ));
        // A deleted user with a bad token: 401 too.
        f.users.0.lock().unwrap().clear();
        assert_token_error(
            authenticate(&f.authenticator, &request("POST", Some(&cookie), &[])).await,
            TokenError::UnknownSubject,
        );
    });
}

#[test]
fn a_refused_request_does_not_extend_the_session() {
    let f = fixture();
    run(async {
        let new = f.sessions.login("alice", &["pwd"], None).await.unwrap();
        let cookie = cookie_of(&new);
        f.clock.advance(Duration::from_secs(20 * 60));
        let forged = request("POST", Some(&cookie), &[("sec-fetch-site", "same-origin")]);
        assert!(authenticate(&f.authenticator, &forged).await.is_err());
        f.clock.advance(Duration::from_secs(10 * 60));
        assert_token_error(
            authenticate(&f.authenticator, &get(&cookie)).await,
            TokenError::Expired,
        );
    });
}

#[test]
fn each_defense_has_its_own_dangerous_opt_out() {
    run(async {
        let f = fixture_with(SessionAuthenticatorBuilder::dangerous_without_csrf_token);
        let new = f.sessions.login("alice", &["pwd"], None).await.unwrap();
        let cookie = cookie_of(&new);
        let no_token = request("POST", Some(&cookie), &[("sec-fetch-site", "same-origin")]);
        authenticate(&f.authenticator, &no_token).await.unwrap();
        let cross = request("POST", Some(&cookie), &[("sec-fetch-site", "cross-site")]);
        assert!(authenticate(&f.authenticator, &cross).await.is_err());

        let store = Arc::new(MemorySessionStore::new());
        let sessions = Sessions::builder(store).build().unwrap();
        let authenticator = SessionAuthenticator::builder(sessions.clone(), f.users.clone())
            .dangerous_without_cross_site_check()
            .build()
            .unwrap();
        let new = sessions.login("alice", &["pwd"], None).await.unwrap();
        let cookie = format!("__Host-session={}", new.id().expose_secret());
        let cross = request(
            "POST",
            Some(&cookie),
            &[
                ("sec-fetch-site", "cross-site"),
                ("x-csrf-token", new.csrf_token()),
            ],
        );
        authenticate(&authenticator, &cross).await.unwrap();
        let no_token = request("POST", Some(&cookie), &[("sec-fetch-site", "cross-site")]);
        assert!(authenticate(&authenticator, &no_token).await.is_err());
    });
}

#[test]
fn the_idle_timeout_restarts_with_each_request_and_ends_an_unused_session() {
    let f = fixture();
    run(async {
        let new = f.sessions.login("alice", &["pwd"], None).await.unwrap();
        let cookie = cookie_of(&new);
        let almost = Duration::from_secs(29 * 60 + 59);
        for _ in 0..3 {
            f.clock.advance(almost);
            authenticate(&f.authenticator, &get(&cookie)).await.unwrap();
        }
        f.clock.advance(Duration::from_secs(30 * 60));
        assert_token_error(
            authenticate(&f.authenticator, &get(&cookie)).await,
            TokenError::Expired,
        );
        // Deleted on the way: it stays gone.
        assert!(f.store.is_empty());
        assert_token_error(
            authenticate(&f.authenticator, &get(&cookie)).await,
            TokenError::Revoked,
        );
    });
}

#[test]
fn the_absolute_timeout_ends_a_busy_session_and_rotation_does_not_restart_it() {
    let f = fixture();
    run(async {
        let new = f.sessions.login("alice", &["pwd"], None).await.unwrap();
        let mut cookie = cookie_of(&new);
        let login_at = f.clock.now();
        // Used every 20 minutes for 11 h 40 min, rotated half-way.
        for step in 1..=35 {
            f.clock.advance(Duration::from_secs(20 * 60));
            if step == 18 {
                let rotated = f
                    .sessions
                    .rotate(&get(&cookie).headers, Rotation::new())
                    .await
                    .unwrap();
                cookie = cookie_of(&rotated);
            }
            let user = authenticate(&f.authenticator, &get(&cookie)).await.unwrap();
            assert_eq!(user.info().issued_at(), Some(login_at));
        }
        // 11 h 40 min: the identity expires at the absolute expiry, not 30 min on.
        let user = authenticate(&f.authenticator, &get(&cookie)).await.unwrap();
        assert_eq!(
            user.info().expires_at(),
            Some(login_at + Duration::from_secs(12 * 3600))
        );
        f.clock.advance(Duration::from_secs(20 * 60));
        assert_token_error(
            authenticate(&f.authenticator, &get(&cookie)).await,
            TokenError::Expired,
        );
    });
}

#[test]
fn rotation_kills_the_old_id_at_once_and_carries_the_data() {
    let f = fixture();
    run(async {
        let new = f.sessions.login("alice", &["pwd"], None).await.unwrap();
        let old_cookie = cookie_of(&new);
        f.sessions
            .set(new.id(), "cart", r#"["book"]"#)
            .await
            .unwrap();
        f.sessions.increment(new.id(), "visits", 2).await.unwrap();
        f.clock.advance(Duration::from_secs(60));
        let step_up_at = f.clock.now();
        let rotated = f
            .sessions
            .rotate(
                &get(&old_cookie).headers,
                Rotation::new()
                    .amr(["pwd", "otp"])
                    .acr("mfa")
                    .auth_time(step_up_at),
            )
            .await
            .unwrap();
        assert_ne!(rotated.id(), new.id());
        assert_ne!(rotated.csrf_token(), new.csrf_token());
        // The old id: a 401 at once, for reads, writes and another rotation.
        assert_token_error(
            authenticate(&f.authenticator, &get(&old_cookie)).await,
            TokenError::Revoked,
        );
        assert_token_error(
            f.sessions.set(new.id(), "x", "y").await,
            TokenError::Revoked,
        );
        assert_token_error(
            f.sessions.rotate_id(new.id(), Rotation::new()).await,
            TokenError::Revoked,
        );
        // The new one works, with the data and the step-up.
        let new_cookie = cookie_of(&rotated);
        let alice = authenticate(&f.authenticator, &post(&new_cookie, rotated.csrf_token()))
            .await
            .unwrap();
        assert_eq!(alice.info().amr(), ["pwd", "otp"]);
        assert_eq!(alice.info().acr(), Some("mfa"));
        assert_eq!(alice.info().auth_time(), Some(step_up_at));
        assert_eq!(
            f.sessions
                .get(rotated.id(), "cart")
                .await
                .unwrap()
                .as_deref(),
            Some(r#"["book"]"#)
        );
        assert_eq!(
            f.sessions
                .increment(rotated.id(), "visits", 1)
                .await
                .unwrap(),
            3
        );
        // The old CSRF token does not work with the new session.
        let reason = forbidden_reason(
            authenticate(&f.authenticator, &post(&new_cookie, new.csrf_token())).await,
        );
        assert!(reason.contains("wrong token"), "{reason}");
        assert_eq!(f.store.len(), 1);
    });
}

#[test]
fn logout_ends_the_session_and_clears_the_cookie() {
    let f = fixture();
    run(async {
        let new = f.sessions.login("alice", &["pwd"], None).await.unwrap();
        let cookie = cookie_of(&new);
        authenticate(&f.authenticator, &get(&cookie)).await.unwrap();
        let clear = f.sessions.logout(&get(&cookie).headers).await.unwrap();
        assert_eq!(
            clear.as_bytes(),
            b"__Host-sid=; Secure; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"
        );
        assert_token_error(
            authenticate(&f.authenticator, &get(&cookie)).await,
            TokenError::Revoked,
        );
        assert_token_error(f.sessions.get(new.id(), "x").await, TokenError::Revoked);
        assert!(f.store.is_empty());
        // Idempotent, and fine without a cookie.
        f.sessions.logout(&get(&cookie).headers).await.unwrap();
        f.sessions
            .logout(&request("POST", None, &[]).headers)
            .await
            .unwrap();
    });
}

#[test]
fn destroy_all_for_ends_every_session_of_one_subject_only() {
    let f = fixture();
    f.users.put("bob", false);
    run(async {
        let a1 = f.sessions.login("alice", &["pwd"], None).await.unwrap();
        let a2 = f.sessions.login("alice", &["pwd"], None).await.unwrap();
        let b = f.sessions.login("bob", &["pwd"], None).await.unwrap();
        assert_eq!(f.sessions.destroy_all_for("alice").await.unwrap(), 2);
        for gone in [&a1, &a2] {
            assert_token_error(
                authenticate(&f.authenticator, &get(&cookie_of(gone))).await,
                TokenError::Revoked,
            );
        }
        authenticate(&f.authenticator, &get(&cookie_of(&b)))
            .await
            .unwrap();
    });
}

#[test]
fn the_user_is_reloaded_on_every_request() {
    let f = fixture();
    run(async {
        let new = f.sessions.login("alice", &["pwd"], None).await.unwrap();
        let cookie = cookie_of(&new);
        assert!(
            authenticate(&f.authenticator, &get(&cookie))
                .await
                .unwrap()
                .admin
        );
        f.users.put("alice", false);
        assert!(
            !authenticate(&f.authenticator, &get(&cookie))
                .await
                .unwrap()
                .admin
        );
        f.users.0.lock().unwrap().remove("alice");
        assert_token_error(
            authenticate(&f.authenticator, &get(&cookie)).await,
            TokenError::UnknownSubject,
        );
    });
}

#[test]
fn scopes_are_none_unless_given() {
    run(async {
        let fixed = fixture_with(|b| b.scopes(Scopes::from_space_separated("orders:read")));
        let new = fixed.sessions.login("alice", &["pwd"], None).await.unwrap();
        let user = authenticate(&fixed.authenticator, &get(&cookie_of(&new)))
            .await
            .unwrap();
        assert_eq!(user.scopes().as_str(), "orders:read");

        let of_user = fixture_with(|b| {
            b.scopes_of(|user: &User| {
                Scopes::from_space_separated(if user.admin { "admin" } else { "" })
            })
        });
        let new = of_user
            .sessions
            .login("alice", &["pwd"], None)
            .await
            .unwrap();
        let user = authenticate(&of_user.authenticator, &get(&cookie_of(&new)))
            .await
            .unwrap();
        assert!(user.scopes().contains("admin"));
    });
}

#[test]
fn data_is_written_key_by_key_without_lost_updates() {
    let f = fixture();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async {
        let new = f.sessions.login("alice", &["pwd"], None).await.unwrap();
        let id = new.id().clone();
        let tasks: Vec<_> = (0..64)
            .map(|n| {
                let sessions = f.sessions.clone();
                let id = id.clone();
                tokio::spawn(async move {
                    sessions
                        .set(&id, &format!("key-{n}"), &n.to_string())
                        .await
                        .unwrap();
                    sessions.increment(&id, "counter", 1).await.unwrap();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        for n in 0..64 {
            assert_eq!(
                f.sessions.get(&id, &format!("key-{n}")).await.unwrap(),
                Some(n.to_string())
            );
        }
        assert_eq!(
            f.sessions.get(&id, "counter").await.unwrap().as_deref(),
            Some("64")
        );
        f.sessions.remove(&id, "key-0").await.unwrap();
        assert_eq!(f.sessions.get(&id, "key-0").await.unwrap(), None);
        // A counter is an integer; anything else is the service's bug, a 500.
        f.sessions.set(&id, "name", "alice").await.unwrap();
        let error = f.sessions.increment(&id, "name", 1).await.unwrap_err();
        assert_eq!(error.status(), 500);
        f.sessions
            .set(&id, "big", &i64::MAX.to_string())
            .await
            .unwrap();
        assert_eq!(
            f.sessions
                .increment(&id, "big", 1)
                .await
                .unwrap_err()
                .status(),
            500
        );
    });
}

#[test]
fn bad_configurations_are_refused_with_a_reason() {
    let store = || MemorySessionStore::new();
    assert!(matches!(
        Sessions::builder(store()).cookie_name("a b").build(),
        Err(ConfigError::InvalidCookieName { .. })
    ));
    assert_eq!(
        Sessions::builder(store())
            .idle_timeout(Duration::ZERO)
            .build()
            .unwrap_err(),
        ConfigError::ZeroTimeout { which: "idle" }
    );
    assert_eq!(
        Sessions::builder(store())
            .idle_timeout(Duration::from_secs(7200))
            .absolute_timeout(Duration::from_secs(3600))
            .build()
            .unwrap_err(),
        ConfigError::IdleLongerThanAbsolute
    );
    let sessions = Sessions::builder(store()).build().unwrap();
    assert!(matches!(
        SessionAuthenticator::builder(sessions.clone(), Users::default())
            .trusted_origin("https://app.example.com/")
            .build(),
        Err(ConfigError::InvalidTrustedOrigin { .. })
    ));
    assert!(matches!(
        SessionAuthenticator::builder(sessions, Users::default())
            .trusted_origin(APP)
            .dangerous_without_cross_site_check()
            .build(),
        Err(ConfigError::TrustedOriginWithoutCrossSiteCheck)
    ));
}

/// The audit events recorded while `f` runs, as their fields' text.
fn audited(f: impl FnOnce()) -> Vec<String> {
    use std::fmt::Write as _;

    use tracing::field::{Field, Visit};

    #[derive(Default, Clone)]
    struct Capture(Arc<Mutex<Vec<String>>>);
    struct Fields(String);
    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            let _ = write!(self.0, "{}={:?} ", field.name(), value);
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            let _ = write!(self.0, "{}={} ", field.name(), value);
        }
    }
    impl tracing::Subscriber for Capture {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            if event.metadata().target() == crate::audit::TARGET {
                let mut fields = Fields(String::new());
                event.record(&mut fields);
                self.0.lock().unwrap().push(fields.0);
            }
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), f);
    capture.0.lock().unwrap().clone()
}

#[test]
fn a_forgery_refusal_reaches_the_audit_log_with_its_reason_and_no_secret() {
    let f = fixture();
    let (new, events) = {
        let mut new = None;
        let events = audited(|| {
            run(async {
                let login = f.sessions.login("alice", &["pwd"], None).await.unwrap();
                let cookie = cookie_of(&login);
                let _ = authenticate(
                    &f.authenticator,
                    &request("POST", Some(&cookie), &[("sec-fetch-site", "same-origin")]),
                )
                .await;
                let _ = authenticate(&f.authenticator, &post(&cookie, "wrong")).await;
                let _ = authenticate(
                    &f.authenticator,
                    &request("DELETE", Some(&cookie), &[("sec-fetch-site", "cross-site")]),
                )
                .await;
                authenticate(&f.authenticator, &get(&cookie)).await.unwrap();
                new = Some(login);
            });
        });
        (new.unwrap(), events)
    };
    assert_eq!(events.len(), 4, "{events:#?}");
    assert!(
        events[0].contains("error=forbidden") && events[0].contains("missing token"),
        "{}",
        events[0]
    );
    assert!(events[1].contains("wrong token"), "{}", events[1]);
    assert!(events[2].contains("cross-site check"), "{}", events[2]);
    assert!(
        events[3].contains("decision=authenticated"),
        "{}",
        events[3]
    );
    assert!(events[3].contains(&new.handle()), "{}", events[3]);
    for event in &events {
        assert!(!event.contains(new.id().expose_secret()), "{event}");
        assert!(!event.contains(new.csrf_token()), "{event}");
    }
}
