//! The RFC 6238 arithmetic: time steps, codes, and which step a code matches.
//!
//! The HMAC and the dynamic truncation are totp-rs's; this file fixes the
//! parameters and owns the window and the input check.

use std::time::{SystemTime, UNIX_EPOCH};

/// Digits in a code: 6, what authenticator apps show.
pub(crate) const DIGITS: u8 = 6;
/// Seconds in a time step: 30 (RFC 6238 §5.2, and every authenticator app).
pub(crate) const PERIOD: u64 = 30;

/// The time step (RFC 6238 §4, `T`) that contains `at`; `None` before 1970.
pub(crate) fn time_step(at: SystemTime) -> Option<u64> {
    at.duration_since(UNIX_EPOCH)
        .ok()
        .map(|since| since.as_secs() / PERIOD)
}

/// The parameters for totp-rs: HMAC-SHA-1, `digits`, 30 s, no skew (this module
/// walks the window itself). Digits are 6 or 8 here, within totp-rs's 6..=8, and
/// the secret is 160 bits, so `build` would accept them: the unchecked
/// constructor only spares an error path that cannot be taken.
fn generator(secret: &[u8; 20], digits: u8) -> totp_rs::Totp {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(digits)
        .with_skew(0)
        .with_step_duration(PERIOD)
        .with_secret(totp_rs::Secret::new_stack(*secret))
        .build_noncompliant()
}

/// The code of `step`, `digits` long with leading zeros.
pub(crate) fn code(secret: &[u8; 20], digits: u8, step: u64) -> String {
    generator(secret, digits)
        .generate(step.saturating_mul(PERIOD))
        .to_string()
}

/// Whether `code` is exactly [`DIGITS`] ASCII digits: no sign, no space, no
/// other script's digits.
pub(crate) fn is_well_formed(code: &str) -> bool {
    code.len() == usize::from(DIGITS) && code.bytes().all(|b| b.is_ascii_digit())
}

/// The latest step in `current - skew ..= current + skew` whose code is `code`.
///
/// Every step of the window is computed and compared in constant time (totp-rs's
/// `Token` equality), whether or not an earlier one matched.
pub(crate) fn matching_step(secret: &[u8; 20], code: &str, current: u64, skew: u64) -> Option<u64> {
    let generator = generator(secret, DIGITS);
    let mut matched = None;
    for step in current.saturating_sub(skew)..=current.saturating_add(skew) {
        let Some(time) = step.checked_mul(PERIOD) else {
            continue;
        };
        if generator.check(code, time).is_some() {
            matched = Some(step);
        }
    }
    matched
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use super::*;

    const RFC_SECRET: &[u8; 20] = b"12345678901234567890";

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    /// RFC 6238 appendix B, the SHA-1 rows: 8 digits, secret "12345678901234567890".
    #[test]
    fn rfc_6238_appendix_b_sha1_vectors() {
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (seconds, expected) in vectors {
            let step = time_step(at(seconds)).unwrap();
            assert_eq!(code(RFC_SECRET, 8, step), expected, "T = {seconds}");
        }
        // The 6-digit code is the last six digits of the same truncation.
        assert_eq!(code(RFC_SECRET, DIGITS, 1), "287082");
    }

    #[test]
    fn the_window_is_the_current_step_and_skew_either_side() {
        let current = time_step(at(1_111_111_111)).unwrap();
        for offset in [-1_i64, 0, 1] {
            let step = current.checked_add_signed(offset).unwrap();
            let code = code(RFC_SECRET, DIGITS, step);
            assert_eq!(matching_step(RFC_SECRET, &code, current, 1), Some(step));
            assert_eq!(
                matching_step(RFC_SECRET, &code, current, 0),
                (offset == 0).then_some(current)
            );
        }
        for offset in [-2_i64, 2] {
            let code = code(
                RFC_SECRET,
                DIGITS,
                current.checked_add_signed(offset).unwrap(),
            );
            assert_eq!(matching_step(RFC_SECRET, &code, current, 1), None);
        }
    }

    #[test]
    fn only_six_ascii_digits_are_well_formed() {
        assert!(is_well_formed("012345"));
        for bad in [
            "",
            "12345",
            "1234567",
            " 12345",
            "12345 ",
            "123 45",
            "+12345",
            "-12345",
            "١٢٣٤٥٦",
            "１２３４５６",
            "12345a",
            "12345\0",
        ] {
            assert!(!is_well_formed(bad), "{bad:?}");
        }
    }

    #[test]
    fn steps_near_the_ends_of_time_do_not_panic() {
        assert_eq!(time_step(UNIX_EPOCH - Duration::from_secs(1)), None);
        let _ = matching_step(RFC_SECRET, "000000", 0, 1);
        let _ = matching_step(RFC_SECRET, "000000", u64::MAX, 1);
        let _ = code(RFC_SECRET, DIGITS, u64::MAX);
    }
}
