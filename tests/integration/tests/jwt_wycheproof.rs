//! Project Wycheproof's JOSE vectors (`../shared/vectors/wycheproof/`, see its
//! README): every JWS through signature verification with the key pinned from the
//! vector's JWK, every JWK Set through key loading. The vectors are read in place,
//! never copied into the project.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod jwt_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use auth_core::jwt::{KeySet, dangerous};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vectors/wycheproof"
    ))
    .to_path_buf()
}

/// What the vectors' README says about vectors whose label is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Defect {
    /// tc367, tc370: labelled invalid, byte-identical to the valid tc357.
    LabelledInvalidButValid,
    /// tc372, tc373: labelled valid, but contain a `?`.
    LabelledValidButMalformed,
}

fn defect(file: &str, tc_id: u64) -> Option<Defect> {
    match (file, tc_id) {
        ("json_web_signature_test.json", 367 | 370) => Some(Defect::LabelledInvalidButValid),
        ("json_web_signature_test.json", 372 | 373) => Some(Defect::LabelledValidButMalformed),
        _ => None,
    }
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: Vec<String>,
    /// Counted apart from `passed`, each with its reason.
    skipped: BTreeMap<&'static str, usize>,
    /// Vectors whose expectation the README overrides; our result matched the override.
    overridden: BTreeMap<&'static str, usize>,
    acceptable: usize,
}

fn header_alg(jws: &str) -> Option<String> {
    let header = jws.split('.').next()?;
    let json: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    json.get("alg")?.as_str().map(str::to_owned)
}

/// Loads the group's key: `public` when present, else `private`; a single JWK or a
/// JWK Set. RFC 7520 §4.2 signs with PS384 a key whose JWK says PS256: the README
/// asks to pin PS384 for it.
fn load_keys(group: &Value, jws: &str) -> Result<KeySet, String> {
    let mut key = group
        .get("public")
        .or_else(|| group.get("private"))
        .unwrap()
        .clone();
    let comment = group["comment"].as_str().unwrap_or_default();
    if comment.starts_with("rfc7520")
        && key.get("alg").and_then(Value::as_str) == Some("PS256")
        && header_alg(jws).as_deref() == Some("PS384")
    {
        key["alg"] = "PS384".into();
    }
    let json = key.to_string();
    let loaded = if key.get("keys").is_some() {
        KeySet::from_jwk_set(&json)
    } else {
        KeySet::new().with_jwk(&json)
    };
    loaded.map_err(|error| format!("key refused: {error}"))
}

fn run_file(file: &str, tally: &mut Tally) -> usize {
    let text = std::fs::read_to_string(vectors_dir().join(file)).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut seen = 0;
    for group in doc["testGroups"].as_array().unwrap() {
        for test in group["tests"].as_array().unwrap() {
            seen += 1;
            let tc_id = test["tcId"].as_u64().unwrap();
            let comment = test["comment"].as_str().unwrap_or_default();
            let expected = test["result"].as_str().unwrap();
            let Some(jws) = test.get("jws") else {
                assert!(
                    test.get("jwe").is_some(),
                    "{file} tc{tc_id}: neither jws nor jwe"
                );
                *tally.skipped.entry("JWE (out of scope)").or_default() += 1;
                continue;
            };
            // JSON serialization arrives as an object: it must be refused as a token.
            let jws = jws.as_str().map_or_else(|| jws.to_string(), str::to_owned);
            let outcome = load_keys(group, &jws).and_then(|keys| {
                dangerous::verify_signature_only(&keys, jws.as_bytes())
                    .map_err(|error| format!("token refused: {error}"))
            });
            let accepted = outcome.is_ok();
            if std::env::var_os("WYCHEPROOF_VERBOSE").is_some() {
                println!("{file} tc{tc_id} {expected} ({comment}): {outcome:?}");
            }
            let es512 = group
                .get("public")
                .or_else(|| group.get("private"))
                .unwrap()["alg"]
                .as_str()
                == Some("ES521");

            let (must_accept, bucket): (Option<bool>, Option<&'static str>) =
                match (defect(file, tc_id), es512) {
                    (Some(Defect::LabelledInvalidButValid), _) => (
                        Some(true),
                        Some("README defect: labelled invalid, identical to valid tc357"),
                    ),
                    (Some(Defect::LabelledValidButMalformed), _) => (
                        Some(false),
                        Some("README defect: labelled valid, contains `?`"),
                    ),
                    (None, true) => (Some(false), Some("ES512 unsupported: must be rejected")),
                    (None, false) => match expected {
                        "valid" => (Some(true), None),
                        "invalid" => (Some(false), None),
                        _ => (None, None),
                    },
                };
            match must_accept {
                Some(must) if must == accepted => match bucket {
                    Some(reason) => *tally.overridden.entry(reason).or_default() += 1,
                    None => tally.passed += 1,
                },
                Some(must) => tally.failed.push(format!(
                    "{file} tc{tc_id} ({comment}): expected {}, got {outcome:?}",
                    if must { "accept" } else { "reject" }
                )),
                None => tally.acceptable += 1,
            }
        }
    }
    seen
}

#[test]
fn wycheproof_jose_vectors() {
    if !vectors_dir().is_dir() {
        jwt_support::skip_or_fail(&format!(
            "the Wycheproof vectors are not at {}",
            vectors_dir().display()
        ));
        return;
    }
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for (file, expected_count) in [
        ("json_web_signature_test.json", 401),
        ("json_web_crypto_test.json", 83),
        ("json_web_key_test.json", 26),
    ] {
        let mut tally = Tally::default();
        let seen = run_file(file, &mut tally);
        assert_eq!(seen, expected_count, "{file}: vector count changed");
        report.push(format!(
            "{file}: {seen} vectors, {} passed, {} failed, {} acceptable, overridden by the README {:?}, skipped {:?}",
            tally.passed,
            tally.failed.len(),
            tally.acceptable,
            tally.overridden,
            tally.skipped
        ));
        failures.extend(tally.failed);
    }
    println!(
        "wycheproof: crypto backend `{}`",
        auth_core::jwt::crypto_backend()
    );
    for line in &report {
        println!("wycheproof: {line}");
    }
    for failure in &failures {
        println!("FAILED {failure}");
    }
    assert!(
        failures.is_empty(),
        "{} Wycheproof vectors failed",
        failures.len()
    );
}
