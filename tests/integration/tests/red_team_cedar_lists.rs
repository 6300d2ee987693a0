//! Red team (issue 13): Cedar lists against single decisions for policy
//! shapes the translation must get exactly right or refuse: `unless`, `!=`
//! on entities and text, `if .. then .. else`, sets of mixed types, forbids
//! with residuals, comparisons written value-first, ids in another spelling.
//! A filter that selects a document the decision refuses is a hole.
#![allow(clippy::expect_used, clippy::panic)]

mod cedar_support;

use auth_core::cedar::{Cedar, CedarFile, Record};
use auth_core::filter::Filter;
use auth_tests::User;
use cedar_support::{Doc, Member, ReadDoc, fixture};

const POLICIES: &[(&str, &str)] = &[
    (
        "unless",
        r#"permit (principal, action == Docs::Action::"doc.read", resource)
           unless { resource.owner_id != principal.id || resource.level > 2 };"#,
    ),
    (
        "entity-ne",
        r#"permit (principal, action == Docs::Action::"doc.read", resource)
           when { resource != Docs::Doc::"7" && resource != Docs::Doc::"007" && resource.level == 1 };"#,
    ),
    (
        "entity-eq-noncanonical",
        r#"permit (principal, action == Docs::Action::"doc.read", resource)
           when { resource == Docs::Doc::"+3" || resource == Docs::Doc::"03" || resource == Docs::Doc::"-0" };"#,
    ),
    (
        "entity-in-set",
        r#"permit (principal, action == Docs::Action::"doc.read", resource)
           when { [Docs::Doc::"4", Docs::Doc::"05", Docs::Doc::" 8"].contains(resource) };"#,
    ),
    (
        "ite",
        r#"permit (principal, action == Docs::Action::"doc.read", resource)
           when { if resource.public then resource.level < 2 else resource.owner_id == principal.id };"#,
    ),
    (
        "mixed-set",
        r#"permit (principal, action == Docs::Action::"doc.read", resource)
           when { !(["a", "draft"].contains(resource.title)) && 3 > resource.level };"#,
    ),
    (
        "forbid-residual",
        r#"permit (principal, action == Docs::Action::"doc.read", resource);
           forbid (principal, action == Docs::Action::"doc.read", resource)
           when { resource.title != "a" || !resource.public };"#,
    ),
    (
        "forbid-unless",
        r#"permit (principal, action == Docs::Action::"doc.read", resource) when { resource.level >= 0 };
           forbid (principal, action == Docs::Action::"doc.read", resource)
           unless { resource.owner_id == principal.id && resource.title == "b" };"#,
    ),
    (
        "text-eq-bool",
        r#"permit (principal, action == Docs::Action::"doc.read", resource)
           when { resource.public == false && resource.title == "draft" };"#,
    ),
    (
        "like",
        r#"permit (principal, action == Docs::Action::"doc.read", resource)
           when { resource.title like "dr*" };"#,
    ),
    (
        "has",
        r#"permit (principal, action == Docs::Action::"doc.read", resource)
           when { resource has title && resource.level == 0 };"#,
    ),
    (
        "arithmetic",
        r#"permit (principal, action == Docs::Action::"doc.read", resource)
           when { resource.level + 9223372036854775807 > 0 };"#,
    ),
    (
        "forbid-arithmetic",
        r#"permit (principal, action == Docs::Action::"doc.read", resource);
           forbid (principal, action == Docs::Action::"doc.read", resource)
           when { resource.level * 4611686018427387904 > 0 };"#,
    ),
    (
        "in-hierarchy",
        r#"permit (principal, action == Docs::Action::"doc.read", resource in Docs::Doc::"3");"#,
    ),
    (
        "principal-in-role-or-owner",
        r#"permit (principal, action == Docs::Action::"doc.read", resource)
           when { principal in Docs::Role::"customer" && (resource.owner_id == principal.id || resource.level == -1) };"#,
    ),
];

fn docs() -> Vec<Doc> {
    let mut docs = Vec::new();
    for id in [0, 3, 4, 5, 7, 8] {
        for owner_id in [1, 2] {
            for public in [false, true] {
                for level in [-1, 0, 1, 2, 3] {
                    for title in ["a", "b", "draft", "A"] {
                        docs.push(Doc {
                            id,
                            owner_id,
                            public,
                            level,
                            title: title.to_owned(),
                        });
                    }
                }
            }
        }
    }
    docs
}

#[test]
fn tricky_policies_list_exactly_what_they_decide() {
    let schema = std::fs::read_to_string(fixture("docs.cedarschema")).expect("schema");
    let principal = User {
        id: 1,
        roles: vec!["customer"],
        permissions: vec![],
    };
    let mut context = Record::new();
    context.bool("mfa", true);
    let docs = docs();
    let mut refused = Vec::new();
    for (name, text) in POLICIES {
        let cedar = Cedar::load(
            CedarFile::new(format!("{name}.cedar"), *text),
            CedarFile::new("docs.cedarschema", schema.clone()),
        )
        .unwrap_or_else(|error| panic!("{name}: {error}"));
        let filter: Filter<Doc> =
            match cedar.filter(&Member(&principal), ReadDoc, &context, &Doc::fields()) {
                Ok(filter) => filter,
                Err(error) => {
                    refused.push(format!("{name}: {error}"));
                    continue;
                }
            };
        for doc in &docs {
            let decision = cedar.decide(&Member(&principal), ReadDoc, doc, &context);
            if decision.is_unavailable() {
                // An erroring policy: the list may be refused or exclude it.
                assert!(!filter.matches(doc), "{name}: {doc:?} is a 503 but listed");
                continue;
            }
            assert_eq!(
                filter.matches(doc),
                decision.is_allowed(),
                "{name}: {doc:?} (filter {filter:?})"
            );
        }
    }
    println!("refused (a 503, never a list): {refused:#?}");
}
