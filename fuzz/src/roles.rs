//! The roles file (`auth_core::rbac`, feature `rbac`): TOML text in, a table or
//! problems at lines of the input out.

use auth_core::rbac::{RoleFileError, RoleTable, codegen};

/// `RoleTable::from_toml` on any text. A refusal names lines of the input; a table
/// answers consistently (every role includes itself and what it inherits, and
/// grants what they grant), and its generated names are one type per name.
pub fn roles_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match RoleTable::from_toml("fuzz.toml", text) {
        Err(RoleFileError::Invalid { problems }) => {
            assert!(!problems.is_empty(), "refused without a problem");
            let lines = text.split('\n').count();
            for problem in &problems {
                assert!(
                    (1..=lines).contains(&problem.line()),
                    "{problem}: outside the {lines} lines of the input"
                );
                assert!(problem.column() >= 1, "{problem}");
                let _ = problem.to_string();
            }
        }
        Err(other) => panic!("not a problem of the text: {other}"),
        Ok(table) => {
            for role in table.roles() {
                assert!(role.includes(role.name()), "{role:?} does not include itself");
                for parent in role.inherits() {
                    let parent = table.role(parent).expect("an inherited role is declared");
                    for included in parent.included() {
                        assert!(role.includes(included), "{role:?} lost {included}");
                    }
                    for permission in parent.permissions() {
                        assert!(role.has_permission(permission), "{role:?} lost {permission}");
                    }
                }
                let grants = table.grants([role.name()]).expect("a declared role");
                assert_eq!(grants.roles().count(), role.included().count());
            }
            let code = codegen::generate(&table);
            assert_eq!(
                code.matches("pub struct ").count(),
                table.roles().len() + table.permissions().len()
            );
        }
    }
}
