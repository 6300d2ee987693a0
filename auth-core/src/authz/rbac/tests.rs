//! The roles file: every refusal names the file, line and column, and a table
//! that loads answers with inheritance flattened.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::needless_range_loop,
    reason = "a test fails by panicking; the property test indexes its reference tables"
)]

use std::fmt::Write as _;

use proptest::prelude::{Strategy as _, TestCaseError, prop_assert, prop_assert_eq};

use super::*;

const GOOD: &str = r#"[permissions]
"orders.read.own" = "read one's own orders"
"orders.read.any" = "read every order"
"orders.refund" = "refund an order"
"users.roles.set" = "change a user's roles"

[roles.customer]
description = "a signed-up buyer"
permissions = ["orders.read.own"]

[roles.manager]
inherits = ["customer"]
permissions = ["orders.read.any", "orders.refund"]

[roles.admin]
inherits = ["manager"]
permissions = ["users.roles.set"]
"#;

fn refused(text: &str) -> String {
    match RoleTable::from_toml("roles.toml", text) {
        Ok(table) => panic!("loaded: {table:?}"),
        Err(error) => {
            assert!(!error.problems().is_empty());
            error.to_string()
        }
    }
}

#[test]
fn a_good_file_flattens_inheritance() {
    let table = RoleTable::from_toml("roles.toml", GOOD).unwrap();
    assert_eq!(
        table.roles().map(|r| r.name()).collect::<Vec<_>>(),
        ["customer", "manager", "admin"]
    );
    let admin = table.role("admin").unwrap();
    assert_eq!(admin.line(), 15);
    assert_eq!(admin.inherits().collect::<Vec<_>>(), ["manager"]);
    assert_eq!(
        admin.included().collect::<Vec<_>>(),
        ["admin", "customer", "manager"]
    );
    assert_eq!(
        admin.permissions().collect::<Vec<_>>(),
        [
            "orders.read.own",
            "orders.read.any",
            "orders.refund",
            "users.roles.set"
        ]
    );
    assert!(table.includes("admin", "customer"));
    assert!(table.includes("manager", "manager"));
    assert!(!table.includes("customer", "manager"));
    assert!(!table.includes("admin", "root"));
    assert!(!table.includes("root", "root"));
    let customer = table.role("customer").unwrap();
    assert_eq!(customer.description(), Some("a signed-up buyer"));
    assert!(customer.has_permission("orders.read.own"));
    assert!(!customer.has_permission("orders.refund"));
    assert!(!customer.has_permission("nope"));
    assert_eq!(
        table.permission("orders.refund").unwrap().description(),
        "refund an order"
    );
    assert_eq!(table.permission("orders.refund").unwrap().line(), 4);
}

#[test]
fn grants_resolve_held_roles_once() {
    let table = RoleTable::from_toml("roles.toml", GOOD).unwrap();
    let grants = table.grants(["manager"]).unwrap();
    assert!(grants.has_role("manager"));
    assert!(grants.has_role("customer"));
    assert!(!grants.has_role("admin"));
    assert!(grants.has_permission("orders.refund"));
    assert!(!grants.has_permission("users.roles.set"));
    assert!(!grants.has_permission("unknown"));
    assert_eq!(grants.roles().collect::<Vec<_>>(), ["customer", "manager"]);

    let both = table.grants(["customer", "admin"]).unwrap();
    assert_eq!(both, table.grants(["admin"]).unwrap());
    assert_ne!(both, grants);

    let none = table.grants(Vec::<String>::new()).unwrap();
    assert!(!none.has_role("customer"));
    assert_eq!(none, Grants::default());
    assert!(!Grants::default().has_role("customer"));

    let err = table.grants(["manager", "root"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "role `root` is not declared in the roles file `roles.toml`: declare `[roles.root]`, or correct the user's roles"
    );
    assert_eq!(crate::AuthError::from(err).status().as_u16(), 500);
}

#[test]
fn a_file_that_cannot_be_read_names_the_path() {
    let err = RoleTable::load("/nonexistent/roles.toml").unwrap_err();
    assert!(matches!(err, RoleFileError::Read { .. }));
    assert!(
        err.to_string()
            .starts_with("/nonexistent/roles.toml: the roles file cannot be read: "),
        "{err}"
    );
}

#[test]
fn unknown_permission() {
    let text = "[permissions]\n\"orders.read\" = \"x\"\n[roles.customer]\npermissions = [\"orders.raed\"]\n";
    assert_eq!(
        refused(text),
        "roles.toml:4:16: role `customer` lists unknown permission `orders.raed` (did you mean `orders.read`?): declare it under `[permissions]` (`\"orders.raed\" = \"what it allows\"`) or fix the spelling"
    );
}

#[test]
fn unknown_inherited_role() {
    let text = "[roles.customer]\n[roles.admin]\ninherits = [\"custmer\"]\n";
    assert_eq!(
        refused(text),
        "roles.toml:3:13: role `admin` inherits unknown role `custmer` (did you mean `customer`?): declare `[roles.custmer]` or fix the spelling"
    );
}

#[test]
fn a_cycle_is_named_where_it_closes() {
    let text = "[roles.a]\ninherits = [\"c\"]\n[roles.b]\ninherits = [\"a\"]\n[roles.c]\ninherits = [\"b\"]\n";
    assert_eq!(
        refused(text),
        "roles.toml:4:13: roles inherit in a cycle: `a` → `c` → `b` → `a`; inheritance goes one way (`admin` inherits `manager`, never back): remove one of these `inherits`"
    );
}

#[test]
fn a_role_inheriting_itself_is_a_cycle() {
    let text = "[roles.a]\ninherits = [\"a\"]\n";
    assert_eq!(
        refused(text),
        "roles.toml:2:13: roles inherit in a cycle: `a` → `a`; inheritance goes one way (`admin` inherits `manager`, never back): remove one of these `inherits`"
    );
}

#[test]
fn duplicate_keys_are_toml_errors_at_their_line() {
    let text = "[permissions]\n\"a\" = \"x\"\n\"a\" = \"y\"\n[roles.r]\n";
    assert_eq!(
        refused(text),
        "roles.toml:3:1: duplicate key `\"a\"`: a key is written once in its table; merge the two"
    );
    assert_eq!(
        refused("[roles.r]\n[roles.r]\n"),
        "roles.toml:2:8: duplicate key `r`: a key is written once in its table; merge the two"
    );
}

#[test]
fn a_permission_listed_twice_in_a_role() {
    let text = "[permissions]\n\"a\" = \"x\"\n[roles.r]\npermissions = [\"a\",\n  \"a\"]\n";
    assert_eq!(
        refused(text),
        "roles.toml:5:3: role `r` lists permission `a` twice (first on line 4); remove this one"
    );
}

#[test]
fn a_role_inherited_twice() {
    let text = "[roles.a]\n[roles.b]\ninherits = [\"a\", \"a\"]\n";
    assert_eq!(
        refused(text),
        "roles.toml:3:18: role `b` inherits `a` twice (first on line 3); remove this one"
    );
}

#[test]
fn invalid_names() {
    for (name, reason) in [
        ("", "it is empty"),
        ("Admin", "it must start with a lowercase ASCII letter"),
        ("1st", "it must start with a lowercase ASCII letter"),
        ("adMin", "it has an uppercase letter"),
        ("super user", "it has a space"),
        (
            "café",
            "it has a character other than `a`-`z`, `0`-`9`, `.`, `_`, `-` and `:`",
        ),
        ("a..b", "it has two separators in a row"),
        ("a.", "it ends with a separator"),
        ("self", "its typed name would be `Self`, a Rust keyword"),
    ] {
        let text = format!("[roles]\n\"{name}\" = {{}}\n");
        assert_eq!(
            refused(&text),
            format!(
                "roles.toml:2:1: invalid role name `{name}`: {reason}; a name is lowercase ASCII letters and digits, in words joined by one `.`, `_`, `-` or `:`, starting with a letter, e.g. `orders.read` or `support-agent`"
            ),
        );
    }
    let long = "a".repeat(101);
    assert!(refused(&format!("[roles.{long}]\n")).contains("longer than 100 bytes"));
    let message = refused("[permissions]\n\"a\\nb\" = \"x\"\n[roles.r]\n");
    assert!(
        message.contains(r#"invalid permission name `"a\nb"`"#),
        "{message}"
    );
}

#[test]
fn names_that_become_one_type_are_ambiguous() {
    let text = "[permissions]\n\"orders.read\" = \"x\"\n\"orders_read\" = \"y\"\n[roles.r]\n";
    assert_eq!(
        refused(text),
        "roles.toml:3:1: permission `orders_read` and `orders.read` (line 2) both become the typed name `OrdersRead`; rename one"
    );
}

#[test]
fn no_roles() {
    let expected = "the file declares no roles: add one, e.g. `[roles.customer]` with `permissions = [\"orders.read.own\"]`";
    assert_eq!(refused(""), format!("roles.toml:1:1: {expected}"));
    assert_eq!(
        refused("[permissions]\n\"a\" = \"x\"\n"),
        format!("roles.toml:3:1: {expected}")
    );
    assert_eq!(refused("[roles]\n"), format!("roles.toml:1:1: {expected}"));
}

#[test]
fn unknown_keys_and_wrong_types() {
    assert_eq!(
        refused("[roles.a]\ninherit = [\"b\"]\n"),
        "roles.toml:2:1: unknown key `inherit` in `[roles.a]`: expected `inherits`, `permissions` or `description` (did you mean `inherits`?)"
    );
    assert_eq!(
        refused("[role.a]\n[roles.b]\n"),
        "roles.toml:1:2: unknown key `role` at the top of the file: expected `[permissions]` or `[roles.<name>]` (did you mean `roles`?)"
    );
    assert_eq!(
        refused("[roles.a]\ninherits = \"b\"\n[roles.b]\n"),
        "roles.toml:2:12: the `inherits` of role `a` must be a list of role names: `inherits = [\"customer\"]`, found a string"
    );
    assert_eq!(
        refused("[roles.a]\npermissions = [1]\n"),
        "roles.toml:2:16: each of the `permissions` of role `a` must be a string, the name in double quotes, found an integer"
    );
    assert_eq!(
        refused("[permissions]\n\"a\" = 1\n[roles.r]\n"),
        "roles.toml:2:7: the description of permission `a` must be a string saying what it allows: `\"orders.read\" = \"read any order\"`, found an integer"
    );
    assert_eq!(
        refused("[permissions]\norders.read = \"x\"\n[roles.r]\n"),
        "roles.toml:2:1: permission `orders` must be a description string, with a quoted name when it has dots: `\"orders.read\" = \"read any order\"`, found a table"
    );
    assert_eq!(
        refused("[permissions]\n\"a\" = \" \"\n[roles.r]\n"),
        "roles.toml:2:7: permission `a` has no description: say what it allows, e.g. `\"a\" = \"refund an order\"`"
    );
    assert_eq!(
        refused("roles = 3\n"),
        "roles.toml:1:9: `roles` must be tables: `[roles.customer]`, `[roles.admin]`, .., found an integer"
    );
}

#[test]
fn every_problem_is_reported_in_file_order() {
    let text = "[roles.a]\npermissions = [\"x\"]\n[roles.b]\ninherits = [\"z\"]\n";
    let err = RoleTable::from_toml("roles.toml", text).unwrap_err();
    let lines: Vec<usize> = err.problems().iter().map(Problem::line).collect();
    assert_eq!(lines, [2, 4]);
    assert_eq!(err.to_string().lines().count(), 2);
    let first = &err.problems()[0];
    assert_eq!((first.file(), first.column()), ("roles.toml", 16));
    assert!(matches!(
        first.kind(),
        ProblemKind::UnknownPermission { name, .. } if name == "x"
    ));
}

#[test]
fn not_toml_is_a_toml_error_at_its_line() {
    assert_eq!(
        refused("[roles.a]\npermissions = [\n"),
        "roles.toml:2:16: unclosed array, expected `]`"
    );
    let message = refused("[roles.a\n");
    assert!(message.starts_with("roles.toml:1:"), "{message}");
}

#[test]
fn columns_count_characters() {
    let text = "[permissions]\n\"é\" = \"x\"\n[roles.r]\n";
    let message = refused(text);
    assert!(
        message.starts_with("roles.toml:2:1: invalid permission name `é`"),
        "{message}"
    );
    let text = "[roles.r]\ndescription = \"é\"\ninherits = [\"é\", \"q\"]\n";
    let message = refused(text);
    assert!(
        message.contains("roles.toml:3:18: role `r` inherits unknown role `q`"),
        "{message}"
    );
}

#[test]
fn a_long_chain_loads_without_recursion() {
    let mut text = String::from("[roles.r0]\n");
    for i in 1..4096 {
        let _ = write!(text, "[roles.r{i}]\ninherits = [\"r{}\"]\n", i - 1);
    }
    let table = RoleTable::from_toml("chain.toml", &text).unwrap();
    assert!(table.includes("r4095", "r0"));
    assert!(!table.includes("r0", "r1"));
    assert_eq!(table.role("r4095").unwrap().line(), 8190);

    text.push_str("[roles.r4096]\n");
    assert_eq!(
        refused(&text),
        "roles.toml:8192:8: the file declares 4097 roles, more than the 4096 a roles file may have; group them, e.g. with broader permissions"
    );
}

#[test]
fn deeply_nested_toml_is_refused_not_a_crash() {
    let text = format!("x = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let _ = refused(&text);
    let text = format!("x = {}1{}\n", "{a = ".repeat(100_000), "}".repeat(100_000));
    let _ = refused(&text);
}

#[test]
fn typed_names_drop_separators() {
    assert_eq!(file::typed_name("orders.read.own"), "OrdersReadOwn");
    assert_eq!(file::typed_name("support-agent"), "SupportAgent");
    assert_eq!(file::typed_name("api:v2_keys"), "ApiV2Keys");
}

#[test]
fn codegen_writes_one_type_per_name() {
    let table = RoleTable::from_toml("roles.toml", GOOD).unwrap();
    let code = codegen::generate(&table);
    for expected in [
        "pub mod roles {",
        "pub struct Customer;",
        "impl ::auth_core::rbac::RoleName for Admin {",
        r#"const NAME: &'static str = "admin";"#,
        "pub mod permissions {",
        "impl ::auth_core::rbac::PermissionName for UsersRolesSet {",
        r#"pub const ALL: &[&str] = &["customer", "manager", "admin"];"#,
        r#"#[doc = "Role `manager`. Inherits `customer`. Grants `orders.read.own`, `orders.read.any`, `orders.refund`. (roles.toml:11)"]"#,
        r#"#[doc = "Permission `orders.refund`: refund an order. (roles.toml:4)"]"#,
    ] {
        assert!(code.contains(expected), "{expected}\n{code}");
    }
}

#[test]
fn codegen_escapes_descriptions() {
    let text = "[permissions]\n\"a\" = \"say \\\"hi\\\"\\n\\\\ */ ]\"\n[roles.r]\ndescription = \"x\\u0007\"\n";
    let table = RoleTable::from_toml("roles.toml", text).unwrap();
    let code = codegen::generate(&table);
    assert!(
        code.contains(r#"#[doc = "Permission `a`: say \"hi\" \\ */ ]. (roles.toml:2)"]"#),
        "{code}"
    );
    assert!(
        code.contains(r#"#[doc = "Role `r`: x\u{7}. (roles.toml:3)"]"#),
        "{code}"
    );
}

/// A random acyclic file: role `i` may inherit roles `j < i` and list any of the
/// permissions; the roles are written in a shuffled order.
fn random_file(
    edges: &[Vec<bool>],
    grants: &[Vec<bool>],
    order: &[usize],
    permissions: usize,
) -> String {
    let mut text = String::from("[permissions]\n");
    for p in 0..permissions {
        let _ = writeln!(text, "\"p{p}\" = \"permission {p}\"");
    }
    for &role in order {
        let _ = writeln!(text, "[roles.r{role}]");
        let inherits: Vec<String> = (0..role)
            .filter(|&j| edges[role].get(j).copied().unwrap_or(false))
            .map(|j| format!("\"r{j}\""))
            .collect();
        let _ = writeln!(text, "inherits = [{}]", inherits.join(", "));
        let listed: Vec<String> = (0..permissions)
            .filter(|&p| grants[role][p])
            .map(|p| format!("\"p{p}\""))
            .collect();
        let _ = writeln!(text, "permissions = [{}]", listed.join(", "));
    }
    text
}

/// The roles `role` reaches by inheritance, itself included (the reference).
fn reachable(edges: &[Vec<bool>], role: usize) -> Vec<bool> {
    let mut seen = vec![false; edges.len()];
    let mut stack = vec![role];
    while let Some(r) = stack.pop() {
        if std::mem::replace(&mut seen[r], true) {
            continue;
        }
        stack.extend((0..r).filter(|&j| edges[r].get(j).copied().unwrap_or(false)));
    }
    seen
}

fn r(i: usize) -> String {
    format!("r{i}")
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// An acyclic file loads, and the flattened table equals inheritance worked out
    /// by hand: a role includes exactly the roles it reaches, grants exactly their
    /// permissions, and inclusion is transitive. Adding one edge back from a role
    /// to one that includes it is refused as a cycle.
    #[test]
    fn inheritance_is_the_transitive_closure(
        (roles, permissions, edges, grants, order, back) in (1usize..12, 0usize..6).prop_flat_map(|(roles, permissions)| (
            proptest::strategy::Just(roles),
            proptest::strategy::Just(permissions),
            proptest::collection::vec(proptest::collection::vec(proptest::bool::weighted(0.3), roles), roles),
            proptest::collection::vec(proptest::collection::vec(proptest::bool::ANY, permissions), roles),
            proptest::strategy::Just((0..roles).collect::<Vec<_>>()).prop_shuffle(),
            (0..roles, 0..roles),
        ))
    ) {
        let text = random_file(&edges, &grants, &order, permissions);
        let table = RoleTable::from_toml("p.toml", &text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        for a in 0..roles {
            let reach = reachable(&edges, a);
            let role = table.role(&r(a)).unwrap();
            for b in 0..roles {
                prop_assert_eq!(role.includes(&r(b)), reach[b], "r{} includes r{}", a, b);
                for c in 0..roles {
                    if table.includes(&r(a), &r(b)) && table.includes(&r(b), &r(c)) {
                        prop_assert!(table.includes(&r(a), &r(c)), "r{} r{} r{}", a, b, c);
                    }
                }
            }
            for p in 0..permissions {
                let expected = (0..roles).any(|r| reach[r] && grants[r][p]);
                prop_assert_eq!(role.has_permission(&format!("p{p}")), expected);
            }
            let grants = table.grants([r(a)]).unwrap();
            prop_assert_eq!(grants.roles().count(), reach.iter().filter(|r| **r).count());
        }

        // An edge from `low` back up to `high`, which includes it: a cycle.
        let (x, y) = back;
        let (low, high) = (x.min(y), x.max(y));
        if reachable(&edges, high)[low] {
            let cyclic = text.clone();
            let header = format!("[roles.r{low}]\ninherits = [");
            let with_back = if low == high {
                cyclic.replace(&header, &format!("{header}\"r{low}\", "))
            } else {
                cyclic.replace(&header, &format!("{header}\"r{high}\", "))
            };
            let err = RoleTable::from_toml("p.toml", &with_back).unwrap_err();
            prop_assert!(
                err.problems().iter().any(|p| matches!(p.kind(), ProblemKind::Cycle { .. })),
                "{}", err
            );
        }
    }
}
