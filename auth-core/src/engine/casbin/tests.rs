#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::{Casbin, CasbinError, Loader};

const RBAC: &str = "
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act
";

fn run<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn load(model: &str, policy: &str) -> Result<Casbin, CasbinError> {
    run(Casbin::from_strings(model, policy))
}

fn message(result: Result<Casbin, CasbinError>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn a_good_model_and_policy_load() {
    let casbin = load(RBAC, "p, reader, doc:1, read\ng, alice, reader\n").unwrap();
    assert_eq!(casbin.generation(), 1);
    assert!(casbin.listable().is_ok());
}

#[test]
fn policy_errors_name_the_file_and_the_line() {
    assert_eq!(
        message(load(RBAC, "p, a, doc:1, read\n\nx, a, b\n")),
        "policy `<policy string>` line 3: `x` is not defined by the model: a line starts with a policy type the model defines (`p`, or `g` for roles)"
    );
    assert_eq!(
        message(load(RBAC, "# rules\np, a, doc:1\n")),
        "policy `<policy string>` line 2: `p` rules have 3 fields after the type, this one has 2"
    );
    assert!(
        message(load(RBAC, "p, a, , read\n")).contains("line 1: field 2 of the `p` rule is empty")
    );
    assert!(
        message(load(RBAC, "p, a, doc:1, read\ng, alice\n"))
            .contains("line 2: `g` rules have 2 fields")
    );
    assert!(message(load(RBAC, "p, \"a, doc:1, read\n")).contains("a quoted field is not closed"));
}

#[test]
fn an_empty_policy_is_refused_unless_deliberate() {
    assert_eq!(
        load(RBAC, "# nothing yet\ng, alice, reader\n")
            .unwrap_err()
            .to_string(),
        "policy `<policy string>` has no `p` rule, so it would deny every request (a truncated or empty file?); write the rules, or load with `Loader::allow_empty_policy` for a deliberate deny-all"
    );
    assert!(run(Loader::strings(RBAC, "").allow_empty_policy().load()).is_ok());
}

#[test]
fn model_errors_say_what_to_write() {
    let effect = RBAC.replace(
        "some(where (p.eft == allow))",
        "some(where (p.eft == allowed))",
    );
    assert!(
        message(load(&effect, "p, a, b, c"))
            .contains("unsupported policy effect `some(where (p.eft == allowed))`: write one of")
    );
    let request = RBAC.replace("r = sub, obj, act", "r = sub, obj, act, time");
    assert!(message(load(&request, "p, a, b, c")).contains("`time` is not filled by auth-core"));
    let no_matcher = RBAC.replace(
        "m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act",
        "",
    );
    assert!(message(load(&no_matcher, "p, a, b, c")).contains("no `m` definition"));
    // A matcher that cannot be evaluated fails the load, not a request.
    let unknown = RBAC.replace("r.act == p.act", "nosuch(r.act)");
    let error = message(load(&unknown, "p, a, b, c"));
    assert!(
        error.starts_with("model `<model string>`: the matcher cannot be evaluated"),
        "{error}"
    );
}

#[test]
fn unreadable_files_are_named() {
    let error = run(Casbin::from_files(
        "/nonexistent/model.conf",
        "/nonexistent/policy.csv",
    ))
    .unwrap_err();
    assert!(matches!(error, CasbinError::Read { .. }));
    assert!(
        error
            .to_string()
            .starts_with("cannot read `/nonexistent/model.conf`: ")
    );
}

#[test]
fn matchers_that_are_not_equalities_cannot_list() {
    let key_match = RBAC.replace("r.obj == p.obj", "keyMatch(r.obj, p.obj)");
    let casbin = load(&key_match, "p, a, /doc/*, read").unwrap();
    let reason = casbin.listable().unwrap_err().to_string();
    assert!(
        reason.contains(
            "the matcher's clause `keyMatch(r.obj,p.obj)` cannot be turned into a filter"
        ),
        "{reason}"
    );
    assert!(
        message(run(Loader::strings(key_match, "p, a, b, c")
            .require_lists()
            .load()))
        .contains("cannot answer lists as a filter")
    );

    let or_root = RBAC.replace("r.act == p.act", "r.act == p.act || r.sub == \"root\"");
    assert!(load(&or_root, "p, a, b, c").unwrap().listable().is_err());
    let deny = RBAC
        .replace(
            "e = some(where (p.eft == allow))",
            "e = some(where (p.eft == allow)) && !some(where (p.eft == deny))",
        )
        .replace("p = sub, obj, act", "p = sub, obj, act, eft");
    let error = load(&deny, "p, a, b, c, allow")
        .unwrap()
        .listable()
        .unwrap_err()
        .to_string();
    assert!(error.contains("is not allow-only"), "{error}");
    let wildcard = RBAC.replace("r.obj == p.obj", "(r.obj == p.obj || p.obj == \"*\")");
    assert!(load(&wildcard, "p, a, *, read").unwrap().listable().is_ok());
}

/// A policy's state is shared by every request, on any thread.
#[test]
fn the_engine_is_send_and_sync() {
    fn shared<T: Send + Sync + Clone + 'static>() {}
    shared::<Casbin>();
}
