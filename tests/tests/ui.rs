//! Compile-fail and pass cases for the macros and the capability types.
//!
//! `ui/fail/*.rs`: one mistake per file, named for the mistake; the `.stderr`
//! next to it is the message the user sees, reviewed like any interface.
//! `ui/pass/*.rs`: every supported handler shape, and hygiene cases; each runs.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p
//! auth-tests --test ui` and read the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/fail/*.rs");
    cases.pass("ui/pass/*.rs");
}
