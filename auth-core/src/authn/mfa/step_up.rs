//! [`StepUp`]: what a verified code adds to the caller's next credential.

use std::time::SystemTime;

/// The `acr` (`OpenID` Connect Core §2) of a credential issued after a second
/// factor: `urn:auth-core:acr:mfa`. A policy that demands multi-factor
/// authentication compares [`AuthInfo::acr`](crate::AuthInfo::acr) with it.
pub const ACR_MFA: &str = crate::gate::ACR_MFA;

/// The `amr` value (RFC 8176 §2) of a one-time password: `otp`.
pub const AMR_OTP: &str = "otp";

/// A verified second factor: what the service puts in the credential it issues
/// next (a rotated session, a new access token), so that later requests can show
/// that the user stepped up, and when.
///
/// - `amr`: the methods of the credential the user had, plus [`AMR_OTP`]
///   (`["pwd", "otp"]` after a password);
/// - `acr`: [`ACR_MFA`];
/// - `auth_time`: the instant the code was verified.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::time::SystemTime;
/// use auth_core::{Identity, Mechanism};
/// use auth_core::mfa::{MemoryTotpStore, Totp};
///
/// let totp = Totp::builder("Orders", MemoryTotpStore::new()).build()?;
/// let enrollment = totp.enroll("user-1", "alice").await?;
/// totp.confirm("user-1", &enrollment.secret().code_at(SystemTime::now())).await?;
/// # let code = enrollment.secret().code_at(SystemTime::now() + std::time::Duration::from_secs(30));
/// let step_up = totp.verify("user-1", &code, &["pwd"]).await?;
///
/// // The identity behind the next credential the service issues.
/// let identity = Identity::new("alice", step_up.subject(), Mechanism::Session)
///     .amr(step_up.amr())
///     .acr(step_up.acr())
///     .auth_time(step_up.auth_time());
/// assert_eq!(identity.info().amr(), ["pwd", "otp"]);
/// # Ok::<(), auth_core::mfa::TotpError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a step-up only counts once it is written into the next credential"]
pub struct StepUp {
    subject: String,
    amr: Vec<String>,
    auth_time: SystemTime,
}

impl StepUp {
    /// `previous_amr` plus [`AMR_OTP`] (once), for `subject`, at `auth_time`.
    pub(crate) fn new<A: AsRef<str>>(
        subject: &str,
        previous_amr: &[A],
        auth_time: SystemTime,
    ) -> Self {
        let mut amr: Vec<String> = Vec::with_capacity(previous_amr.len() + 1);
        for method in previous_amr.iter().map(AsRef::as_ref) {
            if method != AMR_OTP && !amr.iter().any(|m| m == method) {
                amr.push(method.to_owned());
            }
        }
        amr.push(AMR_OTP.to_owned());
        StepUp {
            subject: subject.to_owned(),
            amr,
            auth_time,
        }
    }

    /// The account whose code was verified.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The authentication methods (RFC 8176): the previous ones, then `otp`.
    pub fn amr(&self) -> &[String] {
        &self.amr
    }

    /// The authentication context class: [`ACR_MFA`].
    pub fn acr(&self) -> &'static str {
        ACR_MFA
    }

    /// When the code was verified: the new `auth_time`.
    pub fn auth_time(&self) -> SystemTime {
        self.auth_time
    }
}
