//! [`Totp`]: enrol a second factor, confirm it, verify its codes.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::AuthError;

use super::store::{Acceptance, Admission, AttemptLimit, TotpStore};
use super::{LOG_TARGET, StepUp, TotpError, TotpSecret, otpauth, totp};

/// How far from the current time step a code may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Skew {
    /// The current step only: a code is good for at most 30 seconds, and a user
    /// who types it at the end of its step is refused.
    None,
    /// The previous, current and next steps (RFC 6238 §5.2's recommendation): up
    /// to 30 s of network delay and clock drift either way. The default.
    #[default]
    OneStep,
}

impl Skew {
    fn steps(self) -> u64 {
        match self {
            Skew::None => 0,
            Skew::OneStep => 1,
        }
    }
}

/// The clock, injectable for tests.
type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The TOTP second factor of a service: enrolment, confirmation, verification.
///
/// Build it with [`Totp::builder`]; the rules it applies (and their defaults)
/// are in the [module documentation](super). Cheap to clone when the store is.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::time::{Duration, SystemTime};
/// use auth_core::mfa::{MemoryTotpStore, Totp, TotpError};
///
/// let totp = Totp::builder("Orders", MemoryTotpStore::new()).build()?;
/// let enrollment = totp.enroll("user-1", "alice").await?;
///
/// // Until it is confirmed, the account has no second factor.
/// let code = enrollment.secret().code_at(SystemTime::now());
/// assert!(matches!(totp.verify("user-1", &code, &["pwd"]).await, Err(TotpError::NotEnrolled)));
/// totp.confirm("user-1", &code).await?;
///
/// // The confirmation code is used: it does not verify again.
/// assert!(matches!(totp.verify("user-1", &code, &["pwd"]).await, Err(TotpError::ReusedCode)));
/// # Ok::<(), TotpError>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Totp<S> {
    store: S,
    issuer: Arc<str>,
    skew: Skew,
    limit: AttemptLimit,
    enrollment_ttl: Duration,
    now: Clock,
}

/// Configures a [`Totp`]. Made by [`Totp::builder`].
#[must_use]
pub struct TotpBuilder<S> {
    store: S,
    issuer: String,
    skew: Skew,
    limit: AttemptLimit,
    enrollment_ttl: Duration,
    now: Clock,
}

impl<S: TotpStore> Totp<S> {
    /// How long an enrolment waits for its confirmation by default: 10 minutes.
    pub const DEFAULT_ENROLLMENT_TTL: Duration = Duration::from_secs(600);

    /// A second factor whose URIs name `issuer` (the service, as the app shows
    /// it), kept in `store`.
    pub fn builder(issuer: impl Into<String>, store: S) -> TotpBuilder<S> {
        TotpBuilder {
            store,
            issuer: issuer.into(),
            skew: Skew::default(),
            limit: AttemptLimit::DEFAULT,
            enrollment_ttl: Self::DEFAULT_ENROLLMENT_TTL,
            now: Arc::new(SystemTime::now),
        }
    }

    /// Starts an enrolment: a new secret, pending until [`confirm`](Self::confirm)
    /// verifies a code of it, and the URI to show (as a QR code) to the user.
    /// `account_label` is what the app lists the entry under (an email, a user
    /// name), next to the issuer.
    ///
    /// A pending enrolment replaces the previous pending one. An active factor
    /// stays active until the new one is confirmed: guard this call with a
    /// step-up when the account has one (see the [module
    /// documentation](super#re-enrolment-needs-a-step-up)).
    ///
    /// # Errors
    ///
    /// [`TotpError::InvalidLabel`] for an empty or overlong label, or one with a
    /// `:` or a control character; [`TotpError::Auth`] when the store or the
    /// random number generator fails.
    pub async fn enroll(
        &self,
        subject: &str,
        account_label: &str,
    ) -> Result<Enrollment, TotpError> {
        if !otpauth::is_valid_label(account_label) {
            return Err(TotpError::InvalidLabel);
        }
        let secret = TotpSecret::generate()?;
        let otpauth_uri = otpauth::uri(&self.issuer, account_label, &secret);
        self.store
            .put_pending(subject, &secret, self.enrollment_ttl, (self.now)())
            .await?;
        tracing::info!(target: LOG_TARGET, subject, "totp enrolment started");
        Ok(Enrollment {
            secret,
            otpauth_uri,
        })
    }

    /// Confirms the pending enrolment of `subject` with a code of its secret,
    /// which makes it the account's factor (replacing any previous one). The
    /// code counts as used: it does not verify again.
    ///
    /// # Errors
    ///
    /// [`TotpError::Throttled`] after too many attempts; [`MalformedCode`],
    /// [`InvalidCode`]; [`NoPendingEnrollment`] when none is waiting (never
    /// started, expired, or replaced meanwhile); [`TotpError::Auth`] when the
    /// store fails.
    ///
    /// [`MalformedCode`]: TotpError::MalformedCode
    /// [`InvalidCode`]: TotpError::InvalidCode
    /// [`NoPendingEnrollment`]: TotpError::NoPendingEnrollment
    pub async fn confirm(&self, subject: &str, code: &str) -> Result<(), TotpError> {
        let now = (self.now)();
        let current = current_step(now)?;
        let record = self.admit(subject, now).await?;
        let Some(pending) = record.pending else {
            return Err(refused(subject, TotpError::NoPendingEnrollment));
        };
        let step = self.matching_step(subject, &pending, code, current)?;
        if !self.store.activate(subject, &pending, step).await? {
            return Err(refused(subject, TotpError::NoPendingEnrollment));
        }
        tracing::info!(target: LOG_TARGET, subject, "totp factor confirmed");
        Ok(())
    }

    /// Verifies a code of `subject`'s factor, for a step-up or the second step of
    /// a sign-in. `previous_amr` are the methods of the credential the user has
    /// (`["pwd"]`, or `user.info().amr()`); the [`StepUp`] adds `otp`.
    ///
    /// The attempt is counted before anything else; a code is accepted once
    /// (across instances, with a shared store), and not after a newer one.
    ///
    /// # Errors
    ///
    /// [`TotpError::Throttled`] after too many attempts (the code is not
    /// checked); [`NotEnrolled`] without a confirmed factor; [`MalformedCode`],
    /// [`InvalidCode`], [`ReusedCode`]; [`TotpError::Auth`] when the store
    /// fails: never a success.
    ///
    /// [`NotEnrolled`]: TotpError::NotEnrolled
    /// [`MalformedCode`]: TotpError::MalformedCode
    /// [`InvalidCode`]: TotpError::InvalidCode
    /// [`ReusedCode`]: TotpError::ReusedCode
    pub async fn verify<A: AsRef<str>>(
        &self,
        subject: &str,
        code: &str,
        previous_amr: &[A],
    ) -> Result<StepUp, TotpError> {
        let now = (self.now)();
        let current = current_step(now)?;
        let record = self.admit(subject, now).await?;
        let Some(active) = record.active else {
            return Err(refused(subject, TotpError::NotEnrolled));
        };
        let step = self.matching_step(subject, &active.secret, code, current)?;
        if active.last_step.is_some_and(|last| step <= last) {
            return Err(refused(subject, TotpError::ReusedCode));
        }
        // The store decides: another instance may have accepted this step since.
        match self.store.accept(subject, &active.secret, step).await? {
            Acceptance::Accepted => {
                tracing::info!(target: LOG_TARGET, subject, "totp code accepted");
                Ok(StepUp::new(subject, previous_amr, now))
            }
            Acceptance::Replayed => Err(refused(subject, TotpError::ReusedCode)),
            Acceptance::Replaced => Err(refused(subject, TotpError::InvalidCode)),
        }
    }

    /// Whether `subject` has a confirmed factor.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the store cannot answer.
    pub async fn is_enrolled(&self, subject: &str) -> Result<bool, AuthError> {
        let record = self.store.load(subject, (self.now)()).await?;
        Ok(record.active.is_some())
    }

    /// Removes `subject`'s factor and any pending enrolment: the account no
    /// longer has a second factor. Guard it as re-enrolment is guarded.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the store cannot answer.
    pub async fn remove(&self, subject: &str) -> Result<(), AuthError> {
        self.store.remove(subject).await?;
        tracing::info!(target: LOG_TARGET, subject, "totp factor removed");
        Ok(())
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Counts the attempt, or refuses it when the account used up its attempts.
    async fn admit(&self, subject: &str, now: SystemTime) -> Result<super::TotpRecord, TotpError> {
        match self.store.admit(subject, self.limit, now).await? {
            Admission::Admitted(record) => Ok(record),
            Admission::Throttled { retry_after } => {
                Err(refused(subject, TotpError::Throttled { retry_after }))
            }
        }
    }

    /// The step of the window whose code is `code`, or why there is none.
    fn matching_step(
        &self,
        subject: &str,
        secret: &TotpSecret,
        code: &str,
        current: u64,
    ) -> Result<u64, TotpError> {
        if !totp::is_well_formed(code) {
            return Err(refused(subject, TotpError::MalformedCode));
        }
        totp::matching_step(secret.as_bytes(), code, current, self.skew.steps())
            .ok_or_else(|| refused(subject, TotpError::InvalidCode))
    }
}

/// The current time step; a clock before 1970 is a misconfiguration.
fn current_step(now: SystemTime) -> Result<u64, TotpError> {
    totp::time_step(now).ok_or_else(|| AuthError::misconfigured("the clock is before 1970").into())
}

/// Logs a refusal (never the code) and returns it.
fn refused(subject: &str, error: TotpError) -> TotpError {
    tracing::warn!(target: LOG_TARGET, subject, reason = %error, "totp attempt refused");
    error
}

impl<S> fmt::Debug for Totp<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Totp")
            .field("issuer", &self.issuer)
            .field("skew", &self.skew)
            .field("limit", &self.limit)
            .field("enrollment_ttl", &self.enrollment_ttl)
            .finish_non_exhaustive()
    }
}

impl<S: TotpStore> TotpBuilder<S> {
    /// How far from the current step a code may be: [`Skew::OneStep`] by default.
    pub fn skew(mut self, skew: Skew) -> Self {
        self.skew = skew;
        self
    }

    /// How many attempts an account gets per window: [`AttemptLimit::DEFAULT`]
    /// (5 per 5 minutes) by default.
    pub fn attempt_limit(mut self, limit: AttemptLimit) -> Self {
        self.limit = limit;
        self
    }

    /// How long an enrolment waits for its confirmation:
    /// [`Totp::DEFAULT_ENROLLMENT_TTL`] (10 minutes) by default.
    pub fn enrollment_ttl(mut self, ttl: Duration) -> Self {
        self.enrollment_ttl = ttl;
        self
    }

    /// The clock: [`SystemTime::now`] by default. Tests move time without
    /// sleeping.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::{Duration, SystemTime};
    /// use auth_core::mfa::{MemoryTotpStore, Totp};
    ///
    /// let clock = Arc::new(Mutex::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)));
    /// let now = Arc::clone(&clock);
    /// let totp = Totp::builder("Orders", MemoryTotpStore::new())
    ///     .now(move || *now.lock().unwrap())
    ///     .build()
    ///     .unwrap();
    /// *clock.lock().unwrap() += Duration::from_secs(30); // the next step
    /// ```
    pub fn now(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.now = Arc::new(now);
        self
    }

    /// The configured [`Totp`].
    ///
    /// # Errors
    ///
    /// [`AuthError::Misconfigured`] when the issuer is empty, longer than 256
    /// bytes, or contains `:` or a control character, or when the enrolment TTL
    /// is under a millisecond.
    pub fn build(self) -> Result<Totp<S>, AuthError> {
        if !otpauth::is_valid_label(&self.issuer) {
            return Err(AuthError::misconfigured(
                "the totp issuer is empty, too long, or contains `:` or a control character",
            ));
        }
        if self.enrollment_ttl.as_millis() == 0 {
            return Err(AuthError::misconfigured(
                "the totp enrolment ttl is under a millisecond",
            ));
        }
        Ok(Totp {
            store: self.store,
            issuer: Arc::from(self.issuer),
            skew: self.skew,
            limit: self.limit,
            enrollment_ttl: self.enrollment_ttl,
            now: self.now,
        })
    }
}

impl<S> fmt::Debug for TotpBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpBuilder")
            .field("issuer", &self.issuer)
            .field("skew", &self.skew)
            .field("limit", &self.limit)
            .field("enrollment_ttl", &self.enrollment_ttl)
            .finish_non_exhaustive()
    }
}

/// A started enrolment: the secret to show the user, as base32 and as an
/// `otpauth://` URI (render it as a QR code). Both are secret: send them to
/// the user once, over TLS, and do not log them; [`Debug`](fmt::Debug) redacts
/// them.
#[derive(Clone)]
pub struct Enrollment {
    secret: TotpSecret,
    otpauth_uri: String,
}

impl Enrollment {
    /// The new secret.
    pub fn secret(&self) -> &TotpSecret {
        &self.secret
    }

    /// The secret in base32, for users who type it into their app.
    pub fn secret_base32(&self) -> String {
        self.secret.to_base32()
    }

    /// `otpauth://totp/{issuer}:{label}?secret=..&issuer=..&algorithm=SHA1&digits=6&period=30`,
    /// the issuer and label percent-encoded (RFC 3986).
    pub fn otpauth_uri(&self) -> &str {
        &self.otpauth_uri
    }
}

/// Redacted: the URI holds the secret.
impl fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enrollment")
            .field("secret", &self.secret)
            .field("otpauth_uri", &"<redacted>")
            .finish()
    }
}
