//! The rules of the module documentation, on the memory store with a fake clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

/// A step boundary: `1_700_000_010 / 30` is a whole step.
const START: u64 = 1_700_000_010;
const STEP: Duration = Duration::from_secs(30);

#[derive(Clone)]
struct Clock(Arc<Mutex<SystemTime>>);

impl Clock {
    fn new() -> Self {
        Clock(Arc::new(Mutex::new(
            UNIX_EPOCH + Duration::from_secs(START),
        )))
    }
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

fn totp(clock: &Clock) -> Totp<MemoryTotpStore> {
    let clock = clock.clone();
    Totp::builder("ACME", MemoryTotpStore::new())
        .now(move || clock.now())
        .build()
        .unwrap()
}

/// An account with a confirmed factor; the confirmation used the current step,
/// and the clock is moved to the next step.
async fn enrolled(totp: &Totp<MemoryTotpStore>, clock: &Clock) -> TotpSecret {
    let enrollment = totp.enroll("u1", "alice").await.unwrap();
    let secret = enrollment.secret().clone();
    totp.confirm("u1", &secret.code_at(clock.now()))
        .await
        .unwrap();
    clock.advance(STEP);
    secret
}

#[tokio::test]
async fn a_code_of_the_previous_current_or_next_step_is_accepted_once() {
    let clock = Clock::new();
    let totp = totp(&clock);
    let secret = enrolled(&totp, &clock).await;
    clock.advance(STEP * 4);
    // Oldest first, each a step past the last accepted one.
    for offset in [-1_i32, 0, 1] {
        let at = if offset < 0 {
            clock.now() - STEP
        } else {
            clock.now() + STEP * offset.unsigned_abs()
        };
        let code = secret.code_at(at);
        let step_up = totp.verify("u1", &code, &["pwd"]).await.unwrap();
        assert_eq!(step_up.amr(), ["pwd", "otp"]);
        assert_eq!(step_up.acr(), ACR_MFA);
        assert_eq!(step_up.auth_time(), clock.now());
        assert_eq!(step_up.subject(), "u1");
        // The same code a second time: refused.
        let again = totp.verify("u1", &code, &["pwd"]).await;
        assert!(matches!(again, Err(TotpError::ReusedCode)), "{again:?}");
    }
}

#[tokio::test]
async fn codes_two_steps_away_are_refused() {
    let clock = Clock::new();
    let totp = totp(&clock);
    let secret = enrolled(&totp, &clock).await;
    clock.advance(STEP * 4);
    for at in [clock.now() - STEP * 2, clock.now() + STEP * 2] {
        let result = totp.verify("u1", &secret.code_at(at), &["pwd"]).await;
        assert!(matches!(result, Err(TotpError::InvalidCode)), "{result:?}");
    }
    // With no skew, the neighbours are refused too.
    let strict = {
        let clock = clock.clone();
        Totp::builder("ACME", MemoryTotpStore::new())
            .skew(Skew::None)
            .now(move || clock.now())
            .build()
            .unwrap()
    };
    let secret = enrolled(&strict, &clock).await;
    clock.advance(STEP * 4);
    for at in [clock.now() - STEP, clock.now() + STEP] {
        let result = strict.verify("u1", &secret.code_at(at), &["pwd"]).await;
        assert!(matches!(result, Err(TotpError::InvalidCode)), "{result:?}");
    }
    let _: StepUp = strict
        .verify("u1", &secret.code_at(clock.now()), &["pwd"])
        .await
        .unwrap();
}

#[tokio::test]
async fn an_older_code_still_in_the_window_is_refused_after_a_newer_one() {
    let clock = Clock::new();
    let totp = totp(&clock);
    let secret = enrolled(&totp, &clock).await;
    clock.advance(STEP * 4);
    let newer = secret.code_at(clock.now());
    let older = secret.code_at(clock.now() - STEP);
    let _: StepUp = totp.verify("u1", &newer, &["pwd"]).await.unwrap();
    let result = totp.verify("u1", &older, &["pwd"]).await;
    assert!(matches!(result, Err(TotpError::ReusedCode)), "{result:?}");
}

#[tokio::test]
async fn the_sixth_attempt_is_throttled_then_allowed_after_the_window() {
    let clock = Clock::new();
    let totp = totp(&clock);
    let secret = enrolled(&totp, &clock).await;
    let good = secret.code_at(clock.now());
    let wrong = if good == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let result = totp.verify("u1", wrong, &["pwd"]).await;
        assert!(matches!(result, Err(TotpError::InvalidCode)), "{result:?}");
    }
    clock.advance(Duration::from_secs(10));
    // The right code, refused without being checked.
    let result = totp.verify("u1", &good, &["pwd"]).await;
    let Err(error @ TotpError::Throttled { retry_after }) = result else {
        panic!("expected throttling, got {result:?}");
    };
    assert_eq!(retry_after, Duration::from_secs(290));
    assert_eq!(error.status().as_u16(), 429);
    assert_eq!(error.response("api").retry_after, Some(290));
    // After the window, attempts count afresh.
    clock.advance(Duration::from_secs(290));
    let code = secret.code_at(clock.now());
    let _: StepUp = totp.verify("u1", &code, &["pwd"]).await.unwrap();
}

#[tokio::test]
async fn a_success_resets_the_count() {
    let clock = Clock::new();
    let totp = totp(&clock);
    let secret = enrolled(&totp, &clock).await;
    for round in 0..3 {
        for _ in 0..4 {
            assert!(totp.verify("u1", "12345", &["pwd"]).await.is_err());
        }
        clock.advance(STEP);
        let code = secret.code_at(clock.now());
        let _: StepUp = totp
            .verify("u1", &code, &["pwd"])
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e:?}"));
    }
}

#[tokio::test]
async fn malformed_codes_are_refused_and_counted() {
    let clock = Clock::new();
    let totp = totp(&clock);
    let secret = enrolled(&totp, &clock).await;
    let malformed = [
        "",
        "12345",
        "1234567",
        " 12345",
        "123 456",
        "١٢٣٤٥٦",
        "12345\u{0}",
    ];
    for code in &malformed[..5] {
        let result = totp.verify("u1", code, &["pwd"]).await;
        assert!(
            matches!(result, Err(TotpError::MalformedCode)),
            "{code:?}: {result:?}"
        );
        assert_eq!(result.unwrap_err().response("api").error, "invalid_grant");
    }
    // The five malformed attempts used up the window.
    let result = totp
        .verify("u1", &secret.code_at(clock.now()), &["pwd"])
        .await;
    assert!(
        matches!(result, Err(TotpError::Throttled { .. })),
        "{result:?}"
    );
    for code in &malformed[5..] {
        let result = totp.verify("u1", code, &["pwd"]).await;
        assert!(
            matches!(result, Err(TotpError::Throttled { .. })),
            "{result:?}"
        );
    }
}

#[tokio::test]
async fn a_pending_enrolment_is_not_a_factor_until_confirmed() {
    let clock = Clock::new();
    let totp = totp(&clock);
    let enrollment = totp.enroll("u1", "alice").await.unwrap();
    let code = enrollment.secret().code_at(clock.now());
    assert!(!totp.is_enrolled("u1").await.unwrap());
    let result = totp.verify("u1", &code, &["pwd"]).await;
    assert!(matches!(result, Err(TotpError::NotEnrolled)), "{result:?}");
    // A wrong confirmation leaves it pending.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert!(matches!(
        totp.confirm("u1", wrong).await,
        Err(TotpError::InvalidCode)
    ));
    assert!(!totp.is_enrolled("u1").await.unwrap());
    totp.confirm("u1", &code).await.unwrap();
    assert!(totp.is_enrolled("u1").await.unwrap());
    // The confirmation code is spent; confirming again finds nothing pending.
    assert!(matches!(
        totp.verify("u1", &code, &["pwd"]).await,
        Err(TotpError::ReusedCode)
    ));
    assert!(matches!(
        totp.confirm("u1", &code).await,
        Err(TotpError::NoPendingEnrollment)
    ));
}

#[tokio::test]
async fn re_enrolment_replaces_the_factor_only_once_confirmed() {
    let clock = Clock::new();
    let totp = totp(&clock);
    let old = enrolled(&totp, &clock).await;
    let first = totp.enroll("u1", "alice").await.unwrap();
    let second = totp.enroll("u1", "alice").await.unwrap();
    assert_ne!(first.secret(), second.secret());
    // The old factor still works while the new one is pending.
    let _: StepUp = totp
        .verify("u1", &old.code_at(clock.now()), &["pwd"])
        .await
        .unwrap();
    clock.advance(STEP);
    // The first pending secret was replaced by the second.
    let result = totp
        .confirm("u1", &first.secret().code_at(clock.now()))
        .await;
    assert!(matches!(result, Err(TotpError::InvalidCode)), "{result:?}");
    totp.confirm("u1", &second.secret().code_at(clock.now()))
        .await
        .unwrap();
    clock.advance(STEP);
    let result = totp.verify("u1", &old.code_at(clock.now()), &["pwd"]).await;
    assert!(matches!(result, Err(TotpError::InvalidCode)), "{result:?}");
    let _: StepUp = totp
        .verify("u1", &second.secret().code_at(clock.now()), &["pwd"])
        .await
        .unwrap();
}

#[tokio::test]
async fn a_pending_enrolment_expires() {
    let clock = Clock::new();
    let totp = totp(&clock);
    let enrollment = totp.enroll("u1", "alice").await.unwrap();
    clock.advance(Totp::<MemoryTotpStore>::DEFAULT_ENROLLMENT_TTL);
    let result = totp
        .confirm("u1", &enrollment.secret().code_at(clock.now()))
        .await;
    assert!(
        matches!(result, Err(TotpError::NoPendingEnrollment)),
        "{result:?}"
    );
}

#[tokio::test]
async fn removal_leaves_no_factor() {
    let clock = Clock::new();
    let totp = totp(&clock);
    let secret = enrolled(&totp, &clock).await;
    totp.remove("u1").await.unwrap();
    assert!(!totp.is_enrolled("u1").await.unwrap());
    let result = totp
        .verify("u1", &secret.code_at(clock.now()), &["pwd"])
        .await;
    assert!(matches!(result, Err(TotpError::NotEnrolled)), "{result:?}");
}

#[tokio::test]
async fn the_enrolment_uri_names_issuer_label_and_parameters() {
    let clock = Clock::new();
    let totp = totp(&clock);
    let enrollment = totp.enroll("u1", "alice@example.com").await.unwrap();
    let secret = enrollment.secret_base32();
    assert_eq!(secret.len(), 32);
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    );
    assert_eq!(
        enrollment.otpauth_uri(),
        format!(
            "otpauth://totp/ACME:alice%40example.com?secret={secret}&issuer=ACME&algorithm=SHA1&digits=6&period=30"
        )
    );
    assert_eq!(
        TotpSecret::from_base32(&secret).as_ref(),
        Some(enrollment.secret())
    );
    for label in ["", "a:b", "a\nb"] {
        assert!(matches!(
            totp.enroll("u1", label).await,
            Err(TotpError::InvalidLabel)
        ));
    }
    for issuer in ["", "A:B"] {
        assert!(
            Totp::builder(issuer, MemoryTotpStore::new())
                .build()
                .is_err()
        );
    }
}

#[tokio::test]
async fn secrets_are_redacted_in_debug() {
    let clock = Clock::new();
    let totp = totp(&clock);
    let enrollment = totp.enroll("u1", "alice").await.unwrap();
    let secret = enrollment.secret_base32();
    let printed = format!("{enrollment:?} {:?} {totp:?}", enrollment.secret());
    assert!(!printed.contains(&secret), "{printed}");
    assert!(!printed.contains("otpauth://"), "{printed}");
    let record = totp.store().load("u1", clock.now()).await.unwrap();
    assert!(!format!("{record:?}").contains(&secret));
}

#[tokio::test]
async fn amr_keeps_previous_methods_once_and_ends_with_otp() {
    let clock = Clock::new();
    let totp = totp(&clock);
    let secret = enrolled(&totp, &clock).await;
    let previous = vec![
        "pwd".to_owned(),
        "otp".to_owned(),
        "pwd".to_owned(),
        "hwk".to_owned(),
    ];
    let step_up = totp
        .verify("u1", &secret.code_at(clock.now()), &previous)
        .await
        .unwrap();
    assert_eq!(step_up.amr(), ["pwd", "hwk", "otp"]);
}

#[tokio::test]
async fn every_refused_code_gets_the_same_answer() {
    let same = TotpError::InvalidCode.response("api");
    for error in [
        TotpError::MalformedCode,
        TotpError::ReusedCode,
        TotpError::NotEnrolled,
        TotpError::NoPendingEnrollment,
    ] {
        assert_eq!(error.response("api"), same, "{error:?}");
    }
    assert_eq!(same.status.as_u16(), 400);
    let outage = TotpError::from(crate::AuthError::unavailable("totp store", "down"));
    assert_eq!(outage.status().as_u16(), 503);
}

/// A store that is always down: nothing is ever accepted.
struct Down;

impl TotpStore for Down {
    async fn admit(
        &self,
        _: &str,
        _: AttemptLimit,
        _: SystemTime,
    ) -> Result<Admission, crate::AuthError> {
        Err(crate::AuthError::unavailable("totp store", "down"))
    }
    async fn load(&self, _: &str, _: SystemTime) -> Result<TotpRecord, crate::AuthError> {
        Err(crate::AuthError::unavailable("totp store", "down"))
    }
    async fn put_pending(
        &self,
        _: &str,
        _: &TotpSecret,
        _: Duration,
        _: SystemTime,
    ) -> Result<(), crate::AuthError> {
        Err(crate::AuthError::unavailable("totp store", "down"))
    }
    async fn accept(
        &self,
        _: &str,
        _: &TotpSecret,
        _: u64,
    ) -> Result<Acceptance, crate::AuthError> {
        Err(crate::AuthError::unavailable("totp store", "down"))
    }
    async fn activate(&self, _: &str, _: &TotpSecret, _: u64) -> Result<bool, crate::AuthError> {
        Err(crate::AuthError::unavailable("totp store", "down"))
    }
    async fn remove(&self, _: &str) -> Result<(), crate::AuthError> {
        Err(crate::AuthError::unavailable("totp store", "down"))
    }
}

#[tokio::test]
async fn an_outage_fails_closed() {
    // Through an `Arc`, which also exercises the forwarding impls.
    let totp = Totp::builder("ACME", Arc::new(Down)).build().unwrap();
    let result = totp.verify("u1", "123456", &["pwd"]).await;
    assert!(
        matches!(
            result,
            Err(TotpError::Auth(crate::AuthError::Unavailable { .. }))
        ),
        "{result:?}"
    );
    assert!(matches!(
        totp.enroll("u1", "a").await,
        Err(TotpError::Auth(_))
    ));
    assert!(matches!(
        totp.confirm("u1", "123456").await,
        Err(TotpError::Auth(_))
    ));
    assert!(totp.is_enrolled("u1").await.is_err());
}
