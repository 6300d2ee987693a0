//! Lists through Cedar: the residual of partial evaluation (the resource
//! unknown) as a filter selects exactly the documents the single-object
//! decision allows, and a residual with no filter is refused by name.
#![allow(clippy::expect_used, clippy::panic)]

mod cedar_support;

use auth_core::cedar::{Cedar, CedarFile, CedarListError, Record};
use auth_core::filter::Filter;
use auth_core::{Action, Outcome};
use auth_tests::User;
use cedar_support::{Doc, EditDoc, Member, ReadDoc, docs_cedar};
use proptest::prelude::*;

fn user(id: u64, admin: bool) -> User {
    User {
        id,
        roles: if admin {
            vec!["customer", "admin"]
        } else {
            vec!["customer"]
        },
        permissions: vec![],
    }
}

fn arb_doc() -> impl Strategy<Value = Doc> {
    (
        0_i64..40,
        0_i64..5,
        any::<bool>(),
        -1_i64..5,
        prop::sample::select(vec!["a", "b", "draft"]),
    )
        .prop_map(|(id, owner_id, public, level, title)| Doc {
            id,
            owner_id,
            public,
            level,
            title: title.to_owned(),
        })
}

fn context(mfa: bool) -> Record {
    let mut context = Record::new();
    context.bool("mfa", mfa);
    context
}

/// The filter of `A` for `principal`, and each document's decision, agree.
fn agree<A: Action + Copy>(cedar: &Cedar, action: A, principal: &User, mfa: bool, docs: &[Doc]) {
    let filter: Filter<Doc> = cedar
        .filter(&Member(principal), action, &context(mfa), &Doc::fields())
        .expect("a filter");
    for doc in docs {
        let decision = cedar.decide(&Member(principal), action, doc, &context(mfa));
        assert_ne!(decision.outcome(), Outcome::Unavailable, "{doc:?}");
        assert_eq!(
            filter.matches(doc),
            decision.is_allowed(),
            "{} for {principal:?} (mfa {mfa}) on {doc:?}: filter {filter}, decision {decision:?}",
            A::NAME,
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn the_list_filter_equals_the_single_object_decisions(
        id in 0_u64..5,
        admin in any::<bool>(),
        mfa in any::<bool>(),
        docs in prop::collection::vec(arb_doc(), 1..30),
    ) {
        let cedar = docs_cedar();
        let principal = user(id, admin);
        agree(&cedar, ReadDoc, &principal, mfa, &docs);
        agree(&cedar, EditDoc, &principal, mfa, &docs);
    }
}

#[test]
fn a_customers_read_filter_is_the_query_one_would_write() {
    let cedar = docs_cedar();
    let filter = cedar
        .filter(
            &Member(&user(7, false)),
            ReadDoc,
            &context(false),
            &Doc::fields(),
        )
        .expect("a filter");
    // (owner OR public) AND NOT classified
    let shown = filter.to_string();
    assert!(
        shown.contains("owner_id = ?") && shown.contains("public = ?"),
        "{shown}"
    );
    assert!(shown.contains("level"), "{shown}");
    // An admin reads everything; without a second factor nobody edits.
    let admin = cedar
        .filter(
            &Member(&user(1, true)),
            ReadDoc,
            &context(false),
            &Doc::fields(),
        )
        .expect("a filter");
    assert!(admin.is_all(), "{admin}");
    let edit = cedar
        .filter(
            &Member(&user(1, true)),
            EditDoc,
            &context(false),
            &Doc::fields(),
        )
        .expect("a filter");
    assert!(edit.is_none(), "{edit}");
}

const SCHEMA: &str = include_str!("../fixtures/cedar/docs.cedarschema");

fn engine(policies: &str) -> Cedar {
    Cedar::load(
        CedarFile::new("lists.cedar", policies),
        CedarFile::new("docs.cedarschema", SCHEMA),
    )
    .expect("loads")
}

#[test]
fn a_residual_with_no_filter_is_refused_by_name() {
    let cedar = engine(concat!(
        "@id(\"drafts\")\n",
        "permit (principal, action == Docs::Action::\"doc.read\", resource)\n",
        "when { resource.title like \"dra*\" };\n",
    ));
    let refusal = cedar
        .filter(
            &Member(&user(1, false)),
            ReadDoc,
            &context(false),
            &Doc::fields(),
        )
        .expect_err("refused");
    let CedarListError::Untranslatable {
        policy,
        residual,
        why,
    } = &refusal
    else {
        panic!("untranslatable: {refusal}");
    };
    assert_eq!(policy, "drafts");
    assert!(residual.contains("like"), "{residual}");
    assert!(why.contains("like"), "{why}");
    assert!(
        refusal
            .to_string()
            .starts_with("the residual of cedar policy `drafts` cannot be a filter")
    );
    // A refusal is a 503 for the caller, never a list.
    assert_eq!(refusal.to_decision().outcome(), Outcome::Unavailable);
    // The single-object decision still works.
    let doc = Doc {
        id: 1,
        owner_id: 2,
        public: false,
        level: 0,
        title: "draft".to_owned(),
    };
    assert!(
        cedar
            .decide(&Member(&user(1, false)), ReadDoc, &doc, &context(false))
            .is_allowed()
    );
}

#[test]
fn an_unmapped_attribute_is_refused_by_name() {
    let cedar = docs_cedar();
    let fields = auth_core::cedar::CedarFields::new().int("owner_id", Doc::OWNER_ID);
    let refusal = cedar
        .filter(&Member(&user(1, false)), ReadDoc, &context(false), &fields)
        .expect_err("refused");
    assert!(
        refusal.to_string().contains("is not mapped to a field"),
        "{refusal}"
    );
}

#[test]
fn comparisons_with_ids_sets_and_arithmetic_on_the_principal() {
    let cedar = engine(concat!(
        "@id(\"some\")\n",
        "permit (principal, action == Docs::Action::\"doc.read\", resource)\n",
        "when { [Docs::Doc::\"3\", Docs::Doc::\"4\"].contains(resource) || resource == Docs::Doc::\"5\" ",
        "|| [\"a\", \"b\"].contains(resource.title) || resource.level > principal.id + 1 ",
        "|| (if resource.public then resource.owner_id != 2 else false) };\n",
        "@id(\"not-9\")\n",
        "forbid (principal, action == Docs::Action::\"doc.read\", resource)\n",
        "unless { resource != Docs::Doc::\"9\" };\n",
    ));
    let principal = user(1, false);
    let docs: Vec<Doc> = (0..12)
        .flat_map(|id| {
            ["a", "x"].into_iter().flat_map(move |title| {
                (0..4).map(move |level| Doc {
                    id,
                    owner_id: id % 3,
                    public: id % 2 == 0,
                    level,
                    title: title.to_owned(),
                })
            })
        })
        .collect();
    agree(&cedar, ReadDoc, &principal, false, &docs);
}
