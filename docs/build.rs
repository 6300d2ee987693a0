//! Writes the typed role and permission names of `roles.toml` to
//! `$OUT_DIR/roles.rs`, which the roles-file chapter's examples include, as a
//! service's build script does.

fn main() {
    if let Err(error) = auth_core::rbac::codegen::build("roles.toml", "roles.rs") {
        eprintln!("{error}");
        std::process::exit(1);
    }
}
