//! Writes the typed role and permission names of `roles.toml` (`Admin`,
//! `OrdersReadAny`, ..) to `$OUT_DIR/roles.rs`, which `src/access.rs` includes:
//! a gate naming a role the file lacks does not compile. A bad file fails the
//! build with the same messages as a bad file at start.

fn main() {
    if let Err(error) = auth_core::rbac::codegen::build("roles.toml", "roles.rs") {
        eprintln!("{error}");
        std::process::exit(1);
    }
}
