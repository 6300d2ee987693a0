//! The Rust code auth-core's `spicedb` feature compiles (committed in
//! `auth-core/src/engine/spicedb/generated/`) is what SpiceDB's vendored protos
//! (`auth-core/proto/`) generate today: regenerated in pure Rust (protox parses,
//! tonic-prost-build writes the messages and the client) and compared byte for
//! byte. `SPICEDB_REGENERATE=1` writes the files instead of comparing.

use std::path::{Path, PathBuf};

const PROTOS: [&str; 4] = [
    "authzed/api/v1/core.proto",
    "authzed/api/v1/debug.proto",
    "authzed/api/v1/permission_service.proto",
    "authzed/api/v1/schema_service.proto",
];
/// The files tonic-prost-build writes, one per protobuf package.
const GENERATED: [&str; 2] = ["authzed.api.v1.rs", "google.rpc.rs"];

fn auth_core() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../auth-core")
}

fn generate(out: &Path) {
    let proto = auth_core().join("proto");
    let descriptors = protox::compile(PROTOS, [&proto]).expect("the vendored protos parse");
    tonic_prost_build::configure()
        .build_server(false)
        .build_client(true)
        // auth-core makes its own `Channel` (lazy, timeouts, TLS): no `connect`.
        .build_transport(false)
        .emit_rerun_if_changed(false)
        .out_dir(out)
        .compile_fds(descriptors)
        .expect("tonic-prost-build writes the code");
}

#[test]
fn the_committed_spicedb_client_is_what_the_vendored_protos_generate() {
    let out = std::env::temp_dir().join(format!("auth-spicedb-codegen-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    generate(&out);
    let committed = auth_core().join("src/engine/spicedb/generated");
    let regenerate = std::env::var_os("SPICEDB_REGENERATE").is_some();
    let mut stale = Vec::new();
    for file in GENERATED {
        let fresh = std::fs::read_to_string(out.join(file)).unwrap();
        let path = committed.join(file);
        if regenerate {
            std::fs::write(&path, &fresh).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(fresh.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    std::fs::remove_dir_all(&out).unwrap();
    assert!(
        stale.is_empty(),
        "the committed generated code differs from what the protos generate: {stale:?}; \
         run `SPICEDB_REGENERATE=1 cargo test -p auth-integration --test spicedb_codegen` and commit the result"
    );
}
