//! Replays the checked-in seeds (and regression inputs) through the harnesses on
//! stable, without libFuzzer: `cargo test --manifest-path fuzz/Cargo.toml`.

use std::fs;
use std::path::Path;

fn replay(target: &str, harness: fn(&[u8])) {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    let mut count = 0;
    for entry in fs::read_dir(&directory).unwrap_or_else(|e| panic!("{directory:?}: {e}")) {
        let path = entry
            .unwrap_or_else(|e| panic!("{directory:?}: {e}"))
            .path();
        let data = fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        eprintln!("{}", path.display());
        harness(&data);
        count += 1;
    }
    assert!(count > 0, "no seeds in {directory:?}");
}

#[test]
fn bearer() {
    replay("bearer", auth_fuzz::jwt::bearer);
}

#[test]
fn jws() {
    replay("jws", auth_fuzz::jwt::jws);
}

#[test]
fn jwk() {
    replay("jwk", auth_fuzz::jwt::jwk);
}

#[test]
fn claims() {
    replay("claims", auth_fuzz::jwt::claims);
}

#[test]
fn requires_attr() {
    replay("requires_attr", auth_fuzz::macros::requires_attr);
}

#[test]
fn requires_expand() {
    replay("requires_expand", auth_fuzz::macros::requires_expand);
}

/// The harness and the seeds agree on the keys: signed tokens get all the way
/// through each authenticator.
#[test]
fn signed_tokens_authenticate() {
    let strict = auth_fuzz::jwt::sign_hs256(
        br#"{"alg":"HS256","typ":"at+jwt"}"#,
        br#"{"sub":"u","exp":4102444800,"iss":"https://issuer.example","aud":"api"}"#,
    );
    let lenient =
        auth_fuzz::jwt::sign_hs256(br#"{"alg":"HS256"}"#, br#"{"sub":"u","exp":4102444800}"#);
    let accepted = |token: &str| {
        auth_fuzz::jwt::accepted(&auth_fuzz::jwt::request_parts(
            format!("authorization:Bearer {token}").as_bytes(),
        ))
    };
    assert_eq!(accepted(&strict), (false, true), "{strict}");
    assert_eq!(accepted(&lenient), (true, false), "{lenient}");
}

#[test]
fn roles_file() {
    replay("roles_file", auth_fuzz::roles::roles_file);
}
