//! An independent implementation: Python's `pyotp` computes the codes of a secret
//! our `Totp` enrolled, and parses our `otpauth://` URI.
//!
//! Needs `python3` with `pyotp` (`python3 -m pip install pyotp`). Without it the
//! tests print why and pass, except in CI (`CI=true`), where they fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::mfa::{ACR_MFA, MemoryTotpStore, Totp, TotpError, TotpSecret};

/// Prints, one per line: pyotp's clock `t` (whole seconds), `now()`, then
/// `at(t + k * 30)` for k in -2..=2, then what `parse_uri` read from the URI:
/// secret, issuer, name, digits, interval, digest.
const CODES: &str = r"
import sys, time, pyotp
secret, uri = sys.argv[1], sys.argv[2]
totp = pyotp.TOTP(secret)
t = int(time.time())
print(t)
print(totp.now())
for k in (-2, -1, 0, 1, 2):
    print(totp.at(t + 30 * k))
parsed = pyotp.parse_uri(uri)
print(parsed.secret)
print(parsed.issuer)
print(parsed.name)
print(parsed.digits)
print(parsed.interval)
print(parsed.digest().name)
";

/// Prints `at(t)` for each `t` in argv[2:].
const AT: &str = r"
import sys, pyotp
totp = pyotp.TOTP(sys.argv[1])
for t in sys.argv[2:]:
    print(totp.at(int(t)))
";

fn python(script: &str, args: &[String]) -> Vec<String> {
    let output = Command::new("python3")
        .args(["-c", script])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "pyotp failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn pyotp_codes_verify_and_our_uri_parses_in_pyotp() {
    if let Err(reason) = auth_integration::python::with_modules(&["pyotp"], "pyotp") {
        auth_integration::python::skip_or_fail(&reason);
        return;
    }
    // Our clock is set to pyotp's, so the window is judged at the same instant.
    let clock = Arc::new(Mutex::new(SystemTime::now()));
    let now = Arc::clone(&clock);
    let totp = Totp::builder("ACME Co", MemoryTotpStore::new())
        .now(move || *now.lock().unwrap())
        .build()
        .unwrap();
    let enrollment = totp.enroll("user-1", "alice@example.com").await.unwrap();
    let secret = enrollment.secret_base32();

    let lines = python(
        CODES,
        &[secret.clone(), enrollment.otpauth_uri().to_owned()],
    );
    let [
        t,
        now_code,
        minus2,
        minus1,
        current,
        plus1,
        plus2,
        parsed @ ..,
    ] = lines.as_slice()
    else {
        panic!("unexpected pyotp output: {lines:?}");
    };
    let t: u64 = t.parse().unwrap();
    *clock.lock().unwrap() = UNIX_EPOCH + Duration::from_secs(t);
    assert_eq!(now_code, current, "pyotp's now() is at(t)");

    // The previous step's code confirms the enrolment.
    totp.confirm("user-1", minus1).await.unwrap();
    // Two steps away, either side: refused.
    for code in [minus2, plus2] {
        let result = totp.verify("user-1", code, &["pwd"]).await;
        assert!(matches!(result, Err(TotpError::InvalidCode)), "{result:?}");
    }
    // pyotp's current code, once.
    let step_up = totp.verify("user-1", now_code, &["pwd"]).await.unwrap();
    assert_eq!(step_up.amr(), ["pwd", "otp"]);
    assert_eq!(step_up.acr(), ACR_MFA);
    assert_eq!(step_up.auth_time(), UNIX_EPOCH + Duration::from_secs(t));
    let again = totp.verify("user-1", now_code, &["pwd"]).await;
    assert!(matches!(again, Err(TotpError::ReusedCode)), "{again:?}");
    // The next step's code.
    let _: auth_core::mfa::StepUp = totp.verify("user-1", plus1, &["pwd"]).await.unwrap();

    // pyotp reads our URI as we meant it.
    assert_eq!(
        parsed,
        [
            secret.as_str(),
            "ACME Co",
            "alice@example.com",
            "6",
            "30",
            "sha1"
        ]
    );
}

#[test]
fn our_codes_are_pyotps_codes() {
    if let Err(reason) = auth_integration::python::with_modules(&["pyotp"], "pyotp") {
        auth_integration::python::skip_or_fail(&reason);
        return;
    }
    let secret = TotpSecret::generate().unwrap();
    // Step boundaries, their neighbours, and instants far apart.
    let times: Vec<u64> = [
        0_u64,
        29,
        30,
        59,
        1_111_111_109,
        1_234_567_890,
        2_000_000_000,
    ]
    .into_iter()
    .chain((0..40).map(|i| 1_700_000_000 + i * 7_919))
    .collect();
    let mut args = vec![secret.to_base32()];
    args.extend(times.iter().map(u64::to_string));
    let theirs = python(AT, &args);
    assert_eq!(theirs.len(), times.len());
    for (t, their) in times.iter().zip(&theirs) {
        let ours = secret.code_at(UNIX_EPOCH + Duration::from_secs(*t));
        assert_eq!(&ours, their, "t = {t}");
    }
}
