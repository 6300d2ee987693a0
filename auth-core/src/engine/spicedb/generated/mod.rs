//! SpiceDB's gRPC API (`authzed.api.v1`), generated from the protos vendored in
//! `auth-core/proto/` (Apache License 2.0, see its README) and committed, so a
//! build needs neither `protoc` nor a build script. Crate-private: the public
//! API is the module above it, so a change of the generated code is not a
//! change of auth-core's API. Regenerate: `SPICEDB_REGENERATE=1 cargo test -p
//! auth-integration --test spicedb_codegen`.

#![allow(
    dead_code,
    missing_docs,
    unreachable_pub,
    rust_2018_idioms,
    clippy::all,
    clippy::pedantic
)]

pub(crate) mod authzed {
    pub(crate) mod api {
        pub(crate) mod v1 {
            include!("authzed.api.v1.rs");
        }
    }
}

pub(crate) mod google {
    pub(crate) mod rpc {
        include!("google.rpc.rs");
    }
}
