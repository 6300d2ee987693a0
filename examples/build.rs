//! Writes the typed role and permission names of `roles.toml` (`Admin`,
//! `OrdersReadAny`, ..) to `$OUT_DIR/roles.rs`, which `src/access.rs` includes:
//! a gate naming a role the file lacks does not compile. A bad file fails the
//! build with the same messages as a bad file at start.
//!
//! Compiles `proto/orders.proto` for `orders-grpc` without a system `protoc`:
//! protox parses it in Rust, tonic-prost-build writes the messages and the
//! service trait (`$OUT_DIR/orders.v1.rs`, which `src/orders_grpc.rs` includes).

fn main() {
    if let Err(error) = auth_core::rbac::codegen::build("roles.toml", "roles.rs") {
        eprintln!("{error}");
        std::process::exit(1);
    }
    println!("cargo:rerun-if-changed=proto/orders.proto");
    let descriptors = match protox::compile(["proto/orders.proto"], ["proto"]) {
        Ok(descriptors) => descriptors,
        Err(error) => {
            eprintln!("proto/orders.proto: {error}");
            std::process::exit(1);
        }
    };
    // The client is for the tests (tests/integration/tests/orders_grpc.rs).
    if let Err(error) = tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)
    {
        eprintln!("generating the gRPC code: {error}");
        std::process::exit(1);
    }
}
