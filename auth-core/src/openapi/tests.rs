use super::*;

fn scheme(key: &str, scheme: Scheme, mechanisms: &[Mechanism]) -> SchemeDoc {
    SchemeDoc {
        key: key.to_owned(),
        scheme,
        mechanisms: mechanisms.to_vec(),
        realm: "shop".to_owned(),
    }
}

/// The three credentials of the reference service.
fn three() -> Vec<SchemeDoc> {
    vec![
        scheme(
            "bearer",
            Scheme::Bearer,
            &[Mechanism::BearerToken, Mechanism::Guest],
        ),
        scheme(
            "session",
            Scheme::cookie("__Host-session"),
            &[Mechanism::Session],
        ),
        scheme(
            "api_key",
            Scheme::header(http::HeaderName::from_static("x-api-key")),
            &[Mechanism::ApiKey],
        ),
    ]
}

fn access(gates: &[&str], guests: bool) -> Access {
    let schemes = three();
    let refs: Vec<&SchemeDoc> = schemes.iter().collect();
    access_of(gates, guests, &refs)
}

fn req(pairs: &[(&str, &[&str])]) -> Requirement {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
        .collect()
}

#[test]
fn authenticated_is_every_scheme_without_scopes() {
    let a = access(&["authenticated"], false);
    assert_eq!(
        a.security,
        [
            req(&[("bearer", &[])]),
            req(&[("session", &[])]),
            req(&[("api_key", &[])])
        ]
    );
    // A guest is refused with a 403 even behind `authenticated`.
    assert_eq!(a.statuses, [400, 401, 403, 503].into());
}

#[test]
fn authenticated_with_guests_has_no_403() {
    let a = access(&["authenticated"], true);
    assert_eq!(a.statuses, [400, 401, 503].into());
}

#[test]
fn a_scope_is_required_on_every_scheme() {
    let a = access(&[r#"scope("orders:read")"#], false);
    assert_eq!(
        a.security,
        [
            req(&[("bearer", &["orders:read"])]),
            req(&[("session", &["orders:read"])]),
            req(&[("api_key", &["orders:read"])])
        ]
    );
    assert!(a.statuses.contains(&403));
    assert!(!a.statuses.contains(&404));
    assert!(!a.statuses.contains(&429));
}

#[test]
fn scopes_in_a_row_are_one_requirement() {
    let a = access(&[r#"scope("b")"#, r#"scope("a")"#], false);
    assert_eq!(a.security.first(), Some(&req(&[("bearer", &["a", "b"])])));
    assert_eq!(a.security.len(), 3);
}

#[test]
fn any_of_scopes_is_alternative_requirements() {
    let a = access(
        &[
            r#"mechanism("bearer_token")"#,
            r#"any(scope("orders:read"), scope("orders:admin"))"#,
        ],
        false,
    );
    assert_eq!(
        a.security,
        [
            req(&[("bearer", &["orders:read"])]),
            req(&[("bearer", &["orders:admin"])])
        ]
    );
}

#[test]
fn a_role_is_not_a_scope_but_a_403() {
    let a = access(&[r#"role("admin")"#], false);
    assert_eq!(a.security.len(), 3);
    assert!(a.security.iter().all(|r| r.values().all(Vec::is_empty)));
    assert!(a.statuses.contains(&403));
    assert!(!a.statuses.contains(&404));
}

#[test]
fn a_mechanism_keeps_its_scheme_only() {
    let a = access(&[r#"mechanism("session")"#], false);
    assert_eq!(a.security, [req(&[("session", &[])])]);
}

#[test]
fn not_a_mechanism_removes_its_scheme() {
    let a = access(&[r#"role("admin")"#, r#"not(mechanism("api_key"))"#], false);
    assert_eq!(
        a.security,
        [req(&[("bearer", &[])]), req(&[("session", &[])])]
    );
}

#[test]
fn any_of_mechanisms_is_their_schemes() {
    let a = access(
        &[r#"any(mechanism("api_key"), mechanism("session"))"#],
        false,
    );
    assert_eq!(
        a.security,
        [req(&[("api_key", &[])]), req(&[("session", &[])])]
    );
}

#[test]
fn any_of_a_mechanism_and_another_gate_keeps_every_scheme() {
    // The role may pass for any mechanism: every scheme is a way in.
    let a = access(&[r#"any(mechanism("session"), role("admin"))"#], false);
    assert_eq!(a.security.len(), 3);
}

#[test]
fn a_guest_only_handler_is_bearer_only_and_needs_guests() {
    let a = access(&[r#"mechanism("guest")"#], true);
    assert_eq!(a.security, [req(&[("bearer", &[])])]);
    // Without `guests = true` no credential can pass.
    assert!(
        access(&[r#"mechanism("guest")"#], false)
            .security
            .is_empty()
    );
}

#[test]
fn a_policy_or_a_check_can_answer_anything() {
    for gate in ["Read(order)", "check(auth_core::limit::within_plan)"] {
        let a = access(&[gate], false);
        assert_eq!(a.statuses, [400, 401, 403, 404, 429, 503].into(), "{gate}");
    }
}

#[test]
fn step_up_gates_are_401() {
    for gate in ["mfa", "fresh(max_age = 300)", r#"acr("urn:x")"#] {
        let a = access(&[gate], true);
        assert!(a.statuses.contains(&401), "{gate}");
    }
}

#[test]
fn a_requirement_implied_by_another_is_left_out() {
    // `any(scope("a"), all(scope("a"), scope("b")))`: scope `a` alone is enough.
    let a = access(
        &[
            r#"mechanism("bearer_token")"#,
            r#"any(scope("a"), all(scope("a"), scope("b")))"#,
        ],
        false,
    );
    assert_eq!(a.security, [req(&[("bearer", &["a"])])]);
}

#[test]
fn a_negated_scope_cannot_be_said_and_is_left_out() {
    let a = access(
        &[r#"mechanism("bearer_token")"#, r#"not(scope("a"))"#],
        false,
    );
    assert_eq!(a.security, [req(&[("bearer", &[])])]);
}

#[test]
fn too_many_alternatives_keep_the_schemes() {
    let wide: Vec<String> = (0..10)
        .map(|i| format!(r#"any(scope("a{i}"), scope("b{i}"))"#))
        .collect();
    let gates: Vec<&str> = wide.iter().map(String::as_str).collect();
    let a = access(&gates, false);
    assert_eq!(a.security.len(), 3);
    assert!(a.security.iter().all(|r| r.values().all(Vec::is_empty)));
}

#[test]
fn the_gate_parser_reads_nested_gates() {
    assert_eq!(
        GateText::parse(r#"any(scope("a, b"), not(mechanism("api_key")))"#),
        GateText::Any(vec![
            GateText::Scope("a, b".into()),
            GateText::Not(Box::new(GateText::Mechanism("api_key".into())))
        ])
    );
    assert_eq!(GateText::parse("any(("), GateText::Decision("any(("));
}

#[test]
fn axum_wildcards_are_openapi_parameters() {
    assert_eq!(openapi_path("/files/{*rest}"), "/files/{rest}");
}
