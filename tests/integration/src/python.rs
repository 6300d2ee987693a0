//! The independent implementations the interop tests run: Python modules (`PyJWT`,
//! pyotp, requests). Without them a test is skipped with the reason, except under
//! `CI=true`, where that is a failure: interop tests always run in CI.

use std::process::Command;

/// `Ok` when `python3` imports every module of `modules`; else why not, with the
/// `pip install` line that fixes it (`packages`, as pip names them).
///
/// # Errors
/// Why the modules cannot be used.
pub fn with_modules(modules: &[&str], packages: &str) -> Result<(), String> {
    let probe = Command::new("python3")
        .args(["-c", &format!("import {}", modules.join(", "))])
        .output()
        .map_err(|error| format!("python3 is not available: {error}"))?;
    if probe.status.success() {
        Ok(())
    } else {
        Err(format!(
            "python3 lacks {} (python3 -m pip install {packages}): {}",
            modules.join(" or "),
            String::from_utf8_lossy(&probe.stderr).trim()
        ))
    }
}

/// Skips the calling test with `reason`, or fails it under `CI=true`.
///
/// # Panics
/// Under `CI=true`: the test must run in CI.
pub fn skip_or_fail(reason: &str) {
    assert!(
        !std::env::var("CI").is_ok_and(|ci| ci == "true"),
        "{reason} (CI=true: this test must run in CI)"
    );
    eprintln!("SKIPPED: {reason}");
}
