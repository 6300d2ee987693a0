//! Casbin lists equal the single decisions: for random policies (roles,
//! role cycles, domains, `*` rules), the filter `Casbin::list` answers selects
//! exactly the documents the single decision (through auth-core, tenant check
//! included) allows, for every member, tenant and action.

mod casbin;

use auth_core::casbin::Casbin;
use auth_core::{Action, Authenticated, Policy};
use casbin::{Document, MODEL, Member, Read, Update, member};
use std::fmt::Write as _;

use proptest::prelude::*;

/// Roles without domains, a `*` action.
const RBAC: &str = r#"
[request_definition]
r = sub, obj, act
[policy_definition]
p = sub, obj, act
[role_definition]
g = _, _
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && (r.act == p.act || p.act == "*")
"#;

const SUBJECTS: [&str; 6] = ["u0", "u1", "u2", "r0", "r1", "r2"];
const TENANTS: [&str; 2] = ["acme", "globex"];
const OBJECTS: [&str; 6] = [
    "document:1",
    "document:2",
    "document:3",
    "document:4",
    "*",
    "document:07",
];
const ACTIONS: [&str; 3] = ["read", "update", "*"];

/// Document 7's `obj` is `document:7`; a rule naming `document:07` is not it.
fn documents() -> Vec<Document> {
    [1, 2, 3, 4, 7]
        .into_iter()
        .flat_map(|id| {
            TENANTS.map(|t| Document {
                id,
                tenant: t.to_owned(),
            })
        })
        .collect()
}

/// One rule: indexes into the tables above.
type Rule = (usize, usize, usize, usize);
/// One role link: member or role, role, domain.
type Link = (usize, usize, usize);

fn policy(domains: bool, rules: &[Rule], links: &[Link]) -> String {
    let mut text = String::new();
    for &(s, d, o, a) in rules {
        if domains {
            let _ = writeln!(
                text,
                "p, {}, {}, {}, {}",
                SUBJECTS[s], TENANTS[d], OBJECTS[o], ACTIONS[a]
            );
        } else {
            let _ = writeln!(text, "p, {}, {}, {}", SUBJECTS[s], OBJECTS[o], ACTIONS[a]);
        }
    }
    for &(s, r, d) in links {
        if domains {
            let _ = writeln!(
                text,
                "g, {}, {}, {}",
                SUBJECTS[s],
                SUBJECTS[3 + r],
                TENANTS[d]
            );
        } else {
            let _ = writeln!(text, "g, {}, {}", SUBJECTS[s], SUBJECTS[3 + r]);
        }
    }
    text
}

fn check<A>(casbin: &Casbin, user: &Authenticated<Member>) -> Result<(), TestCaseError>
where
    A: Action + Policy<Document, Principal = Member, State = Casbin>,
{
    let filter = casbin
        .list::<A, Document, Member>(user)
        .map_err(|d| TestCaseError::fail(format!("{d:?}")))?;
    for doc in documents() {
        let single = user.authorize_with::<A, _>(doc.clone(), casbin).is_ok();
        prop_assert_eq!(
            filter.matches(&doc),
            single,
            "{} of {:?} by {} ({:?}): list {}",
            A::NAME,
            doc,
            user.subject(),
            user.info().tenant(),
            filter
        );
    }
    Ok(())
}

fn equivalent(
    model: &str,
    domains: bool,
    rules: &[Rule],
    links: &[Link],
) -> Result<(), TestCaseError> {
    let text = policy(domains, rules, links);
    // `*` actions are rules of the RBAC model only; `*` objects of the domain one.
    let casbin = auth_tests::block_on(Casbin::from_strings(model, text.clone()))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(casbin.listable().is_ok());
    for name in &SUBJECTS[..3] {
        for tenant in TENANTS {
            let user = member(name, tenant);
            check::<Read>(&casbin, &user)?;
            check::<Update>(&casbin, &user)?;
        }
    }
    Ok(())
}

fn rules() -> impl Strategy<Value = Vec<Rule>> {
    prop::collection::vec((0..6_usize, 0..2_usize, 0..6_usize, 0..3_usize), 1..12)
}

fn links() -> impl Strategy<Value = Vec<Link>> {
    prop::collection::vec((0..6_usize, 0..3_usize, 0..2_usize), 0..8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn lists_equal_single_decisions_with_roles_in_domains(rules in rules(), links in links()) {
        equivalent(MODEL, true, &rules, &links)?;
    }

    #[test]
    fn lists_equal_single_decisions_with_roles(rules in rules(), links in links()) {
        equivalent(RBAC, false, &rules, &links)?;
    }
}

#[test]
fn a_wildcard_lists_the_tenant_and_a_member_without_one_lists_nothing() {
    let casbin = auth_tests::block_on(Casbin::from_strings(MODEL, casbin::POLICY)).unwrap();
    let ids = |filter: &auth_core::filter::Filter<Document>| -> Vec<(i64, String)> {
        filter
            .apply(documents())
            .map(|d| (d.id, d.tenant))
            .collect()
    };
    let alice = member("alice", "acme");
    let all = casbin.list::<Update, Document, Member>(&alice).unwrap();
    assert_eq!(all.to_string(), "tenant = ?");
    assert_eq!(ids(&all).len(), 5);
    assert!(ids(&all).iter().all(|(_, t)| t == "acme"));
    let bob = member("bob", "acme");
    let some = casbin.list::<Read, Document, Member>(&bob).unwrap();
    assert_eq!(ids(&some), [(1, "acme".to_owned()), (2, "acme".to_owned())]);
    // No tenant: the domain model has nothing to ask, the list is empty.
    let nobody = member("alice", "");
    assert!(casbin.list::<Read, Document, Member>(&nobody).is_err());
}

/// casbin follows at most 10 role links when it decides, but its implicit
/// roles follow every link: the list asks the enforcer for each candidate, so
/// a role too deep to allow is not listed either.
#[test]
fn a_role_too_deep_to_decide_is_not_listed() {
    let mut text = String::from("p, r12, document:1, read\np, r1, document:2, read\ng, u0, r1\n");
    for i in 1..12 {
        let _ = writeln!(text, "g, r{i}, r{}", i + 1);
    }
    let casbin = auth_tests::block_on(Casbin::from_strings(RBAC, text)).unwrap();
    let user = member("u0", "acme");
    let acme = |id| Document {
        id,
        tenant: "acme".to_owned(),
    };
    assert!(user.authorize_with::<Read, _>(acme(1), &casbin).is_err());
    assert!(user.authorize_with::<Read, _>(acme(2), &casbin).is_ok());
    let listed = casbin.list::<Read, Document, Member>(&user).unwrap();
    assert!(!listed.matches(&acme(1)));
    assert!(listed.matches(&acme(2)));
}
