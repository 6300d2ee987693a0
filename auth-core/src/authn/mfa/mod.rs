//! A second factor for step-up authentication: TOTP codes (RFC 6238) from an
//! authenticator app.
//!
//! [`Totp`] enrols a factor, confirms it, and verifies codes; what it verified is
//! a [`StepUp`], the facts the service writes into the caller's next credential
//! (`amr` gains `otp`, `acr` is [`ACR_MFA`], `auth_time` is now). State lives in a
//! [`TotpStore`]: [`MemoryTotpStore`] for one process, [`RedisTotpStore`] (feature
//! `redis`) for every instance of a service.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use std::time::SystemTime;
//! use auth_core::mfa::{ACR_MFA, MemoryTotpStore, Totp};
//!
//! let totp = Totp::builder("Orders", MemoryTotpStore::new()).build()?;
//!
//! // Enrolment: show the secret (or a QR code of the URI), then ask for a code.
//! let enrollment = totp.enroll("user-1", "alice@example.com").await?;
//! assert!(enrollment.otpauth_uri().starts_with("otpauth://totp/Orders:alice%40example.com?secret="));
//! let code = enrollment.secret().code_at(SystemTime::now()); // what the app shows
//! totp.confirm("user-1", &code).await?;
//!
//! // Later, a step-up: the user signed in with a password and types a code.
//! # let code = enrollment.secret().code_at(SystemTime::now() + std::time::Duration::from_secs(30));
//! let step_up = totp.verify("user-1", &code, &["pwd"]).await?;
//! assert_eq!(step_up.amr(), ["pwd", "otp"]);
//! assert_eq!(step_up.acr(), ACR_MFA);
//! # Ok::<(), auth_core::mfa::TotpError>(())
//! # }).unwrap();
//! ```
//!
//! # What is decided, and why
//!
//! | rule | default | why |
//! |---|---|---|
//! | algorithm, digits, period | HMAC-SHA-1, 6 digits, 30 s | what every authenticator app assumes; many ignore other values in the URI. HMAC-SHA-1 is not weakened by SHA-1 collisions (RFC 4226 appendix B.2) |
//! | secret | 160 bits from the OS RNG, base32 for display | RFC 4226 §4 recommends 160 bits |
//! | clock window | ±1 step ([`Skew::OneStep`]), or the current step only | RFC 6238 §5.2: at most one step of network delay and clock drift |
//! | replay | a code is accepted once: the last accepted time step is kept per account and any step at or before it is refused | RFC 6238 §5.2. This also refuses an older code that is still in the window once a newer one was accepted: a user who signs in twice within 30 s waits for the next code |
//! | attempts | 5 per account per 5 minutes ([`AttemptLimit`]), counted *before* the code is checked; then refused without checking, with `retry_after` (a 429) | at 3 codes in a ±1 window, an attacker guesses right with odds 3×10⁻⁶ per attempt: about 0.4 % per day at this rate |
//! | success | resets the count | typos must not lock a user out after they got in; the attacker's odds per window stay bounded by the limit |
//! | malformed codes | refused ([`TotpError::MalformedCode`]) and counted | every attempt that reaches the verifier counts, whatever it holds: the limit bounds the work an account's verifier does, and a client cannot learn what the verifier parses |
//! | enrolment | a *pending* secret, active only after [`Totp::confirm`] verified a code of it; a new enrolment replaces a pending one; an active factor stays until a new one is confirmed | a user who mistypes or abandons enrolment keeps the factor they had |
//! | outage | a store that cannot answer is [`TotpError::Auth`] with a 503 inside | fail closed: an outage never accepts a code |
//!
//! # Secrets at rest
//!
//! The store holds the shared secrets in the clear: whoever reads it can compute
//! every user's codes. Protect it as a password database (access control, no
//! backups in the open; for Redis, ACLs and TLS). To encrypt at rest, wrap a store:
//! [`TotpStore`] is the hook, and [`TotpSecret::from_bytes`] and
//! [`TotpSecret::as_bytes`] are what a wrapper encrypts and decrypts.
//!
//! # Re-enrolment needs a step-up
//!
//! Enrolment does not ask for the current factor: a service must guard its
//! enrolment endpoint, for an account that has a factor ([`Totp::is_enrolled`]),
//! with a recent step-up (`acr` = [`ACR_MFA`], a recent `auth_time`). Otherwise a
//! password alone replaces the second factor.
//!
#![cfg_attr(
    feature = "redis",
    doc = "[`RedisTotpStore`]: RedisTotpStore\n\
           [`TotpStore`]: TotpStore"
)]
#![cfg_attr(
    not(feature = "redis"),
    doc = "[`RedisTotpStore`]: #secrets-at-rest\n\
           [`TotpStore`]: TotpStore"
)]

mod error;
mod factor;
mod memory;
mod otpauth;
#[cfg(feature = "redis")]
mod redis;
mod secret;
mod step_up;
mod store;
mod totp;

#[cfg(test)]
mod tests;

pub use self::error::TotpError;
pub use self::factor::{Enrollment, Skew, Totp, TotpBuilder};
pub use self::memory::MemoryTotpStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisTotpStore;
pub use self::secret::TotpSecret;
pub use self::step_up::{ACR_MFA, AMR_OTP, StepUp};
pub use self::store::{Acceptance, ActiveFactor, Admission, AttemptLimit, TotpRecord, TotpStore};

/// The `tracing` target of this module's events.
const LOG_TARGET: &str = "auth_core::mfa";
