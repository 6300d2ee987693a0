//! Loading a Cedar policy set: every problem stops the start with its file,
//! line, column and Cedar's message, displayed as a compiler would.
#![allow(clippy::expect_used, clippy::panic)]

use auth_core::cedar::{Cedar, CedarError, CedarFile, DiagnosticKind};

const SCHEMA: &str = include_str!("../fixtures/cedar/docs.cedarschema");

fn load(policies: &str) -> CedarError {
    load_with(policies, SCHEMA)
}

fn load_with(policies: &str, schema: &str) -> CedarError {
    Cedar::load(
        CedarFile::new("policies/docs.cedar", policies),
        CedarFile::new("policies/docs.cedarschema", schema),
    )
    .expect_err("refused")
}

#[test]
fn a_policy_that_does_not_parse_is_refused_at_its_place() {
    let error = load(
        "@id(\"owner\")\npermit (principal, action, resource)\nwhen { resource.owner_id == principal.id )\n",
    );
    let [diagnostic] = error.diagnostics() else {
        panic!("one diagnostic: {error}");
    };
    assert_eq!(diagnostic.kind(), DiagnosticKind::Parse);
    assert_eq!(diagnostic.file(), "policies/docs.cedar");
    assert_eq!((diagnostic.line(), diagnostic.column()), (3, 42), "{error}");
    let shown = error.to_string();
    assert!(
        shown.starts_with("error[cedar syntax]: unexpected token `)`"),
        "{shown}"
    );
    assert!(
        shown.contains("  --> policies/docs.cedar:3:42\n"),
        "{shown}"
    );
    assert!(
        shown.contains("\n 3 | when { resource.owner_id == principal.id )\n   |                                          ^ expected"),
        "{shown}"
    );
    assert!(
        shown.ends_with("the cedar policies were not loaded: 1 error"),
        "{shown}"
    );
}

#[test]
fn a_policy_the_schema_refuses_is_refused_with_the_policy_and_a_hint() {
    let error = load(concat!(
        "@id(\"owner\")\n",
        "permit (principal, action == Docs::Action::\"doc.read\", resource)\n",
        "when { resource.owner == principal.id };\n",
        "\n",
        "@id(\"typo\")\n",
        "permit (principal, action == Docs::Action::\"doc.read\", resource)\n",
        "when { resource.level == \"high\" };\n",
    ));
    let diagnostics = error.diagnostics();
    assert_eq!(diagnostics.len(), 2, "{error}");
    let owner = diagnostics
        .iter()
        .find(|d| d.policy() == Some("owner"))
        .expect("the owner policy's error");
    assert_eq!(owner.kind(), DiagnosticKind::Validation);
    assert_eq!((owner.line(), owner.column()), (3, 8), "{error}");
    assert!(owner.message().contains("owner"), "{error}");
    assert_eq!(owner.help(), Some("did you mean `owner_id`?"), "{error}");
    let typo = diagnostics
        .iter()
        .find(|d| d.policy() == Some("typo"))
        .expect("the typo policy's error");
    assert_eq!(typo.line(), 7, "{error}");
    let shown = error.to_string();
    assert!(shown.contains("error[cedar validation]:"), "{shown}");
    assert!(shown.contains("   = policy: owner\n"), "{shown}");
    assert!(
        shown.contains("   = help: did you mean `owner_id`?"),
        "{shown}"
    );
    assert!(shown.ends_with("2 errors"), "{shown}");
}

#[test]
fn an_unknown_action_or_entity_type_is_a_validation_error() {
    let error = load(
        "permit (principal is Docs::Admin, action == Docs::Action::\"doc.print\", resource);\n",
    );
    assert!(!error.diagnostics().is_empty());
    for diagnostic in error.diagnostics() {
        assert_eq!(diagnostic.kind(), DiagnosticKind::Validation, "{error}");
        assert_eq!(diagnostic.line(), 1, "{error}");
    }
    let shown = error.to_string();
    assert!(
        shown.contains("Docs::Admin") && shown.contains("doc.print"),
        "{shown}"
    );
}

#[test]
fn a_schema_that_does_not_parse_is_refused_at_its_place() {
    let error = load_with(
        "permit (principal, action, resource);",
        "namespace Docs {\n    entity User {\n        id: Lng,\n    };\n}\n",
    );
    let [diagnostic] = error.diagnostics() else {
        panic!("one diagnostic: {error}");
    };
    assert_eq!(diagnostic.kind(), DiagnosticKind::Schema);
    assert_eq!(diagnostic.file(), "policies/docs.cedarschema");
    assert_eq!(diagnostic.line(), 3, "{error}");
    assert!(
        error.to_string().starts_with("error[cedar schema]: "),
        "{error}"
    );
}

#[test]
fn two_policies_with_one_id_are_refused() {
    let error = load(concat!(
        "@id(\"owner\")\npermit (principal, action, resource);\n",
        "@id(\"owner\")\nforbid (principal, action, resource);\n",
    ));
    let [diagnostic] = error.diagnostics() else {
        panic!("one diagnostic: {error}");
    };
    assert_eq!(diagnostic.kind(), DiagnosticKind::DuplicateId);
    assert_eq!((diagnostic.line(), diagnostic.column()), (3, 1), "{error}");
    assert_eq!(diagnostic.message(), "two policies have the id `owner`");
}

#[test]
fn a_template_is_refused_rather_than_dropped() {
    let error = load("@id(\"shared\")\npermit (principal == ?principal, action, resource);\n");
    let [diagnostic] = error.diagnostics() else {
        panic!("one diagnostic: {error}");
    };
    assert_eq!(diagnostic.kind(), DiagnosticKind::Template);
    assert_eq!(diagnostic.policy(), Some("shared"));
    assert_eq!((diagnostic.line(), diagnostic.column()), (2, 22), "{error}");
}

#[test]
fn a_missing_file_is_a_read_error_naming_it() {
    let error =
        Cedar::from_files("no/such/file.cedar", "no/such/file.cedarschema").expect_err("refused");
    assert!(matches!(error, CedarError::Read { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("cannot read the cedar file `no/such/file.cedar`: "),
        "{error}"
    );
}

/// The fixture files themselves load, and name their file in errors.
#[test]
fn files_name_themselves_in_errors() {
    let dir = std::env::temp_dir().join(format!("auth-core-cedar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let policies = dir.join("bad.cedar");
    std::fs::write(
        &policies,
        "permit (principal, action, resource) when { principal.nope };\n",
    )
    .expect("write");
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/cedar/docs.cedarschema"
    );
    let error = Cedar::from_files(&policies, schema).expect_err("refused");
    let _ = std::fs::remove_dir_all(&dir);
    let [diagnostic] = error.diagnostics() else {
        panic!("one diagnostic: {error}");
    };
    assert_eq!(diagnostic.file(), policies.display().to_string());
    assert_eq!((diagnostic.line(), diagnostic.column()), (1, 45), "{error}");
}
