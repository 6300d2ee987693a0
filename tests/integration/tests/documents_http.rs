//! `documents-api` over real HTTP (loopback), against a real SpiceDB (the
//! sidecar of `tests/spicedb-sidecar/`): the BOLA and BFLA matrix, sharing and
//! unsharing on the very next request (directly, through a team, through a
//! folder), the new-enemy problem (a write's token is what the next read of the
//! row sends), the list of "documents I can see" against the single-object
//! answers and the rows `SQLite` returned, and an outage (503, then recovery).
//!
//! One sidecar serves every test of this file (ids are random, so the tests'
//! rows never meet), except the outage test, which kills its own. Outside CI
//! these skip (with a printed reason) when `node` or the sidecar's packages are
//! missing; under `CI=true` they run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use auth_integration::client::{self, Response};
use auth_integration::spicedb_server::{KEY, SpiceDbServer};
use auth_tests::audit::capture;
use examples::documents::{App, Config, Documents};
use serde_json::{Value, json};

/// The sidecar the tests share; `None` (after a printed reason) outside CI
/// without node or its packages.
fn shared_sidecar() -> Option<&'static SpiceDbServer> {
    static SIDECAR: OnceLock<Option<SpiceDbServer>> = OnceLock::new();
    SIDECAR.get_or_init(SpiceDbServer::start).as_ref()
}

/// One `documents-api` on loopback, on a runtime of the test's own thread.
struct Service {
    runtime: tokio::runtime::Runtime,
    addr: SocketAddr,
    app: App,
    admin: String,
    database: std::path::PathBuf,
}

/// A user of a test: id and API key.
#[derive(Clone)]
struct Who {
    id: i64,
    key: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.database.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Service {
    fn start() -> Option<Self> {
        let sidecar = shared_sidecar()?;
        Some(Self::start_on(&sidecar.endpoint()))
    }

    fn start_on(endpoint: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let database = std::env::temp_dir().join(format!(
            "documents-api-test-{}-{}.sqlite",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let mut config = Config::new(endpoint, KEY);
        config.database = database.to_string_lossy().into_owned();
        // Generous: a loaded CI machine is slow; an outage (a killed SpiceDB) is
        // refused at once, whatever the timeout.
        config.spicedb_timeout = Duration::from_secs(5);
        let (addr, app, admin) = runtime.block_on(async {
            let started = Documents::start(&config)
                .await
                .expect("documents-api starts");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let app = started.app.clone();
            tokio::spawn(examples::documents::serve_until(
                listener,
                started.app,
                std::future::pending(),
            ));
            (addr, app, started.admin_key)
        });
        Service {
            runtime,
            addr,
            app,
            admin,
            database,
        }
    }

    fn call(&self, method: &str, path: &str, key: Option<&str>, body: Option<Value>) -> Response {
        let request = client::Request {
            method,
            path,
            json: body.map(|body| body.to_string()),
            headers: key
                .map(|key| vec![("x-api-key", key.to_owned())])
                .unwrap_or_default(),
            ..client::Request::default()
        };
        self.runtime.block_on(client::send(self.addr, request))
    }

    fn status(&self, method: &str, path: &str, key: Option<&str>, body: Option<Value>) -> u16 {
        self.call(method, path, key, body).status
    }

    fn expect(&self, status: u16, method: &str, path: &str, key: &str, body: Value) -> Value {
        let response = self.call(method, path, Some(key), Some(body));
        assert_eq!(
            response.status, status,
            "{method} {path}: {}",
            response.body
        );
        if response.body.is_empty() {
            Value::Null
        } else {
            response.json()
        }
    }

    fn user(&self, name: &str) -> Who {
        let made = self.expect(
            201,
            "POST",
            "/admin/users",
            &self.admin.clone(),
            json!({ "name": name }),
        );
        Who {
            id: made["id"].as_i64().unwrap(),
            key: made["api_key"].as_str().unwrap().to_owned(),
        }
    }

    fn team(&self, name: &str) -> i64 {
        let made = self.expect(
            201,
            "POST",
            "/admin/teams",
            &self.admin.clone(),
            json!({ "name": name }),
        );
        made["id"].as_i64().unwrap()
    }

    fn membership(&self, method: &str, team: i64, user: &Who) {
        let path = format!("/admin/teams/{team}/members/{}", user.id);
        assert_eq!(self.status(method, &path, Some(&self.admin), None), 204);
    }

    fn folder(&self, owner: &Who, parent: Option<i64>) -> i64 {
        let made = self.expect(
            201,
            "POST",
            "/folders",
            &owner.key,
            json!({ "name": "folder", "parent_id": parent }),
        );
        made["id"].as_i64().unwrap()
    }

    fn document(&self, owner: &Who, folder: Option<i64>) -> i64 {
        let made = self.expect(
            201,
            "POST",
            "/documents",
            &owner.key,
            json!({ "title": "doc", "body": "text", "folder_id": folder }),
        );
        made["id"].as_i64().unwrap()
    }

    /// Shares (`role` = viewer or editor) or unshares (`role` = None) a
    /// document or folder (`kind`) with a user or team; the write's ZedToken.
    fn share(
        &self,
        by: &Who,
        kind: &str,
        id: i64,
        with: (&str, i64),
        role: Option<&str>,
    ) -> String {
        let (path, body) = match role {
            Some(role) => (
                format!("/{kind}s/{id}/shares"),
                json!({ "with": with.0, "id": with.1, "role": role }),
            ),
            None => (
                format!("/{kind}s/{id}/unshare"),
                json!({ "with": with.0, "id": with.1 }),
            ),
        };
        let written = self.expect(200, "POST", &path, &by.key, body);
        written["zedtoken"].as_str().unwrap().to_owned()
    }

    fn can_read(&self, who: &Who, doc: i64) -> bool {
        match self.status("GET", &format!("/documents/{doc}"), Some(&who.key), None) {
            200 => true,
            404 => false,
            other => panic!("GET /documents/{doc}: {other}"),
        }
    }

    /// Every page of `GET /documents` (`limit` a page), the ids in order.
    fn list(&self, who: &Who, limit: u32) -> Vec<i64> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(cursor) => format!("/documents?limit={limit}&cursor={}", encode(cursor)),
                None => format!("/documents?limit={limit}"),
            };
            let response = self.call("GET", &path, Some(&who.key), None);
            assert_eq!(response.status, 200, "{}", response.body);
            let page = response.json();
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= limit as usize);
            ids.extend(items.iter().map(|item| item["id"].as_i64().unwrap()));
            match page["next"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return ids,
            }
        }
    }
}

/// Percent-encodes a cursor for the query string.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Every role and relationship against every endpoint: who gets 200/201/204,
/// who 403 (may see, may not act), who 404 (may not know it exists), who 401.
#[test]
#[allow(clippy::too_many_lines)]
fn bola_and_bfla_matrix() {
    let Some(service) = Service::start() else {
        return;
    };
    let admin = Who {
        id: 0,
        key: service.admin.clone(),
    };
    let owner = service.user("owner");
    let viewer = service.user("viewer"); // viewer of the document, directly
    let editor = service.user("editor"); // editor of the document, directly
    let team_editor = service.user("team-editor"); // editor of the document through a team
    let folder_viewer = service.user("folder-viewer"); // viewer of the folder
    let folder_editor = service.user("folder-editor"); // editor of the folder
    let team_folder_viewer = service.user("team-folder-viewer"); // viewer of the folder through a team
    let stranger = service.user("stranger"); // no relationship
    let target = service.user("target"); // whom the owner shares with
    let editors = service.team("editors");
    service.membership("PUT", editors, &team_editor);
    let readers = service.team("readers");
    service.membership("PUT", readers, &team_folder_viewer);

    let folder = service.folder(&owner, None);
    let doc = service.document(&owner, Some(folder));
    service.share(&owner, "document", doc, ("user", viewer.id), Some("viewer"));
    service.share(&owner, "document", doc, ("user", editor.id), Some("editor"));
    service.share(&owner, "document", doc, ("team", editors), Some("editor"));
    let folder_shares = [
        (("user", folder_viewer.id), "viewer"),
        (("user", folder_editor.id), "editor"),
        (("team", readers), "viewer"),
    ];
    for (with, role) in folder_shares {
        service.share(&owner, "folder", folder, with, Some(role));
    }

    let who: [(&str, Option<&str>); 11] = [
        ("anonymous", None),
        ("bad key", Some("oak_not-a-key")),
        ("admin", Some(&admin.key)),
        ("stranger", Some(&stranger.key)),
        ("viewer", Some(&viewer.key)),
        ("editor", Some(&editor.key)),
        ("team-editor", Some(&team_editor.key)),
        ("folder-viewer", Some(&folder_viewer.key)),
        ("team-folder-viewer", Some(&team_folder_viewer.key)),
        ("folder-editor", Some(&folder_editor.key)),
        ("owner", Some(&owner.key)),
    ];
    let share = json!({ "with": "user", "id": target.id, "role": "viewer" });
    let unshare = json!({ "with": "user", "id": target.id });
    let member = format!("/admin/teams/{editors}/members/{}", target.id);
    let edit = json!({ "title": "t", "body": "b" });
    let move_to = json!({ "folder_id": folder });
    let subfolder = json!({ "name": "sub", "parent_id": folder });
    let top_folder = json!({ "name": "top" });
    let in_folder = json!({ "title": "in", "body": "", "folder_id": folder });
    let top_doc = json!({ "title": "top", "body": "" });
    let team = json!({ "name": "t" });
    let d = format!("/documents/{doc}");
    let f = format!("/folders/{folder}");
    // (method, path, body, the expected status of each of `who`, in order).
    #[rustfmt::skip]
    let matrix: Vec<(&str, String, Option<&Value>, [u16; 11])> = vec![
        //                                                 anon bad  admin strgr view edit tedit fview tfview fedit owner
        ("GET",    "/health".into(),          None,              [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        ("GET",    d.clone(),                 None,              [401, 401, 404, 404, 200, 200, 200, 200, 200, 200, 200]),
        ("PUT",    d.clone(),                 Some(&edit),       [401, 401, 404, 404, 403, 204, 204, 403, 403, 204, 204]),
        ("POST",   format!("{d}/shares"),     Some(&share),      [401, 401, 404, 404, 403, 403, 403, 403, 403, 403, 200]),
        ("POST",   format!("{d}/unshare"),    Some(&unshare),    [401, 401, 404, 404, 403, 403, 403, 403, 403, 403, 200]),
        ("POST",   format!("{d}/move"),       Some(&move_to),    [401, 401, 404, 404, 403, 403, 403, 403, 403, 403, 200]),
        ("GET",    f.clone(),                 None,              [401, 401, 404, 404, 404, 404, 404, 200, 200, 200, 200]),
        ("POST",   format!("{f}/shares"),     Some(&share),      [401, 401, 404, 404, 404, 404, 404, 403, 403, 403, 200]),
        ("POST",   format!("{f}/unshare"),    Some(&unshare),    [401, 401, 404, 404, 404, 404, 404, 403, 403, 403, 200]),
        ("POST",   "/folders".into(),         Some(&subfolder),  [401, 401, 404, 404, 404, 404, 404, 403, 403, 201, 201]),
        ("POST",   "/folders".into(),         Some(&top_folder), [401, 401, 201, 201, 201, 201, 201, 201, 201, 201, 201]),
        ("POST",   "/documents".into(),       Some(&in_folder),  [401, 401, 404, 404, 404, 404, 404, 403, 403, 201, 201]),
        ("POST",   "/documents".into(),       Some(&top_doc),    [401, 401, 201, 201, 201, 201, 201, 201, 201, 201, 201]),
        ("GET",    "/documents".into(),       None,              [401, 401, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        ("POST",   "/admin/users".into(),     None,              [401, 401, 201, 403, 403, 403, 403, 403, 403, 403, 403]),
        ("POST",   "/admin/teams".into(),     Some(&team),       [401, 401, 201, 403, 403, 403, 403, 403, 403, 403, 403]),
        ("PUT",    member.clone(),            None,              [401, 401, 204, 403, 403, 403, 403, 403, 403, 403, 403]),
        ("DELETE", member.clone(),            None,              [401, 401, 204, 403, 403, 403, 403, 403, 403, 403, 403]),
        ("GET",    "/admin/documents".into(), None,              [401, 401, 200, 403, 403, 403, 403, 403, 403, 403, 403]),
        // Last: the owner deletes it.
        ("DELETE", d.clone(),                 None,              [401, 401, 404, 404, 403, 403, 403, 403, 403, 403, 204]),
    ];
    let mut covered = BTreeSet::new();
    let mut failures = Vec::new();
    let mut users = 0;
    for (method, path, body, expected) in &matrix {
        covered.insert((method.to_string(), route_of(path)));
        for ((name, key), want) in who.iter().zip(expected) {
            let body = if path == "/admin/users" {
                users += 1;
                Some(json!({ "name": format!("made-{users}") }))
            } else {
                body.cloned()
            };
            let got = service.status(method, path, *key, body);
            if got != *want {
                failures.push(format!("{name}: {method} {path}: {got}, expected {want}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Every route the service mounts is in the matrix.
    let routes: BTreeSet<(String, String)> = examples::documents::routes()
        .into_iter()
        .map(|(method, path)| (method.to_string(), path))
        .collect();
    let missing: Vec<_> = routes.difference(&covered).collect();
    assert!(missing.is_empty(), "routes outside the matrix: {missing:?}");
}

/// `/documents/123/shares` -> `/documents/{id}/shares`, as the router names it.
fn route_of(path: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    for part in path.split('/') {
        if part.parse::<i64>().is_ok() {
            let name = match parts.last().map(String::as_str) {
                Some("teams") => "{team}",
                Some("members") => "{user}",
                _ => "{id}",
            };
            parts.push(name.to_owned());
        } else {
            parts.push(part.to_owned());
        }
    }
    parts.join("/")
}

#[test]
fn sharing_and_unsharing_take_effect_on_the_next_request() {
    let Some(service) = Service::start() else {
        return;
    };
    let owner = service.user("owner");
    let bob = service.user("bob");
    let team = service.team("team");
    let outer = service.folder(&owner, None);
    let inner = service.folder(&owner, Some(outer));
    let doc = service.document(&owner, Some(inner));
    assert!(!service.can_read(&bob, doc));

    // Directly.
    service.share(&owner, "document", doc, ("user", bob.id), Some("viewer"));
    assert!(service.can_read(&bob, doc));
    service.share(&owner, "document", doc, ("user", bob.id), None);
    assert!(!service.can_read(&bob, doc));
    assert!(service.list(&bob, 50).is_empty());

    // Through a team: shared with the team, then bob joins, leaves.
    service.share(&owner, "document", doc, ("team", team), Some("editor"));
    assert!(!service.can_read(&bob, doc));
    service.membership("PUT", team, &bob);
    assert!(service.can_read(&bob, doc));
    let edit = json!({ "title": "by bob", "body": "" });
    assert_eq!(
        service.status(
            "PUT",
            &format!("/documents/{doc}"),
            Some(&bob.key),
            Some(edit.clone())
        ),
        204
    );
    service.membership("DELETE", team, &bob);
    assert!(!service.can_read(&bob, doc));
    assert_eq!(
        service.status(
            "PUT",
            &format!("/documents/{doc}"),
            Some(&bob.key),
            Some(edit.clone())
        ),
        404
    );

    // Through a folder two levels up: the outer folder's viewer sees the
    // document of the inner one; an editor of it edits; unshared, nothing.
    service.share(&owner, "folder", outer, ("user", bob.id), Some("viewer"));
    assert!(service.can_read(&bob, doc));
    assert_eq!(
        service.status(
            "PUT",
            &format!("/documents/{doc}"),
            Some(&bob.key),
            Some(edit.clone())
        ),
        403
    );
    assert_eq!(service.list(&bob, 50), vec![doc]);
    service.share(&owner, "folder", outer, ("user", bob.id), Some("editor"));
    assert_eq!(
        service.status(
            "PUT",
            &format!("/documents/{doc}"),
            Some(&bob.key),
            Some(edit.clone())
        ),
        204
    );
    service.share(&owner, "folder", outer, ("user", bob.id), None);
    assert!(!service.can_read(&bob, doc));
    assert!(service.list(&bob, 50).is_empty());

    // A folder shared with a team; the document moved out of it.
    service.membership("PUT", team, &bob);
    service.share(&owner, "document", doc, ("team", team), None);
    service.share(&owner, "folder", inner, ("team", team), Some("viewer"));
    assert!(service.can_read(&bob, doc));
    let elsewhere = service.folder(&owner, None);
    let moved = json!({ "folder_id": elsewhere });
    assert_eq!(
        service.status(
            "POST",
            &format!("/documents/{doc}/move"),
            Some(&owner.key),
            Some(moved)
        ),
        200
    );
    assert!(!service.can_read(&bob, doc));
}

/// The new-enemy problem: the ZedToken of a write is stored with the row, and
/// the next check of that row sends it (`at_least_as_fresh`). Proved by
/// replacing the stored token with one SpiceDB cannot read: the next read fails
/// closed (503) because it carried the row's token; with the write's token
/// back, it is answered again; the next write stores its own.
#[test]
fn a_writes_token_is_what_the_next_read_sends() {
    let Some(service) = Service::start() else {
        return;
    };
    let owner = service.user("owner");
    let bob = service.user("bob");
    let doc = service.document(&owner, None);
    let token = service.share(&owner, "document", doc, ("user", bob.id), Some("viewer"));
    let stored = service.app.0.db.stored_token(doc).unwrap().unwrap();
    assert_eq!(
        stored.as_str(),
        token,
        "the write's token is stored with the row"
    );
    assert!(service.can_read(&bob, doc));

    // The audit events carry SpiceDB's revision: a viewer's edit (403), the list.
    let edit = json!({ "title": "t", "body": "" });
    let path = format!("/documents/{doc}");
    let (response, events) = capture(|| service.call("PUT", &path, Some(&bob.key), Some(edit)));
    assert_eq!(response.status, 403);
    let (response, listed) = capture(|| service.call("GET", "/documents", Some(&bob.key), None));
    assert_eq!(response.status, 200);
    let decisions: Vec<_> = events
        .iter()
        .chain(&listed)
        .filter(|e| e.get("action").is_some_and(|a| a.starts_with("documents.")))
        .collect();
    assert_eq!(decisions.len(), 2, "{decisions:?}");
    for event in &decisions {
        assert_eq!(event["engine"], "spicedb", "{event:?}");
        assert!(!event["evidence"].is_empty(), "{event:?}");
    }
    assert_eq!(decisions[0]["decision"], "deny", "{decisions:?}");

    let sqlite = rusqlite::Connection::open(&service.database).unwrap();
    sqlite
        .execute(
            "UPDATE documents SET zedtoken = 'not-a-zedtoken' WHERE id = ?",
            [doc],
        )
        .unwrap();
    let response = service.call("GET", &format!("/documents/{doc}"), Some(&bob.key), None);
    assert_eq!(response.status, 503, "{}", response.body);
    // Another document, written later, is not affected.
    let other = service.document(&owner, None);
    assert_eq!(
        service.status(
            "GET",
            &format!("/documents/{other}"),
            Some(&owner.key),
            None
        ),
        200
    );

    // Every check of the row sends it, the owner's too: fail closed.
    assert_eq!(
        service.status("GET", &format!("/documents/{doc}"), Some(&owner.key), None),
        503
    );
    // The write's own token back in place: answered again.
    sqlite
        .execute(
            "UPDATE documents SET zedtoken = ? WHERE id = ?",
            rusqlite::params![token, doc],
        )
        .unwrap();
    assert!(service.can_read(&bob, doc));
    service.share(&owner, "document", doc, ("user", bob.id), None);
    assert!(!service.can_read(&bob, doc));
    assert_ne!(
        service
            .app
            .0
            .db
            .stored_token(doc)
            .unwrap()
            .unwrap()
            .as_str(),
        token
    );
}

/// "Documents I can see" equals the single-object answers, page after page,
/// and `SQLite` returns no row outside it: the rows read equal the items listed.
#[test]
fn the_list_is_the_single_answers_and_loads_nothing_else() {
    let Some(service) = Service::start() else {
        return;
    };
    let alice = service.user("alice");
    let bob = service.user("bob");
    let erin = service.user("erin");
    let team = service.team("team");
    service.membership("PUT", team, &bob);
    let shared_folder = service.folder(&alice, None);
    let sub = service.folder(&alice, Some(shared_folder));
    service.share(
        &alice,
        "folder",
        shared_folder,
        ("team", team),
        Some("viewer"),
    );
    let mut all = Vec::new();
    for i in 0..24 {
        let folder = match i % 4 {
            0 => Some(shared_folder),
            1 => Some(sub),
            _ => None,
        };
        let doc = service.document(&alice, folder);
        match i % 6 {
            2 => {
                service.share(&alice, "document", doc, ("user", bob.id), Some("viewer"));
            }
            3 => {
                service.share(&alice, "document", doc, ("team", team), Some("editor"));
            }
            _ => {}
        }
        all.push(doc);
    }
    for _ in 0..10 {
        all.push(service.document(&erin, None));
    }
    let mine = service.document(&bob, None);
    all.push(mine);

    let before = service.app.0.db.rows_read();
    let listed = service.list(&bob, 7);
    let read = service.app.0.db.rows_read() - before;
    assert_eq!(
        read,
        listed.len() as u64,
        "SQLite returned rows the list did not show"
    );

    let listed: BTreeSet<i64> = listed.into_iter().collect();
    let readable: BTreeSet<i64> = all
        .iter()
        .copied()
        .filter(|doc| service.can_read(&bob, *doc))
        .collect();
    assert_eq!(listed, readable);
    assert!(
        readable.len() >= 15 && readable.len() < all.len(),
        "{}",
        readable.len()
    );
    // A cursor the client made up is refused, never a page or an outage.
    for (cursor, status) in [("", 400), ("not-a-cursor", 403)] {
        let path = format!("/documents?cursor={cursor}");
        assert_eq!(
            service.status("GET", &path, Some(&bob.key), None),
            status,
            "{path}"
        );
    }
    // Erin's documents are in neither.
    assert!(all[24..34].iter().all(|doc| !listed.contains(doc)));
}

/// SpiceDB dies mid-test: every check, list and write is a 503, none an
/// allow; restarted (and its schema written again), the
/// service answers again without a restart of its own.
#[test]
fn outage_is_503_then_recovery() {
    let Some(mut sidecar) = SpiceDbServer::start() else {
        return;
    };
    let service = Service::start_on(&sidecar.endpoint());
    let alice = service.user("alice");
    let bob = service.user("bob");
    let doc = service.document(&alice, None);
    service.share(&alice, "document", doc, ("user", bob.id), Some("viewer"));

    // What each request asks SpiceDB (this sidecar is this test's alone): a
    // read, one check; a viewer's edit, two (edit, then view for 403 or 404);
    // the list, one lookup and no check per row.
    let calls = |method: &str, expected: usize, before: usize| {
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while sidecar.calls(method) < before + expected && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(sidecar.calls(method) - before, expected, "{method}");
    };
    let checks = sidecar.calls("CheckPermission");
    assert!(service.can_read(&alice, doc));
    calls("CheckPermission", 1, checks);
    let checks = sidecar.calls("CheckPermission");
    let edit = json!({ "title": "t", "body": "" });
    assert_eq!(
        service.status(
            "PUT",
            &format!("/documents/{doc}"),
            Some(&bob.key),
            Some(edit)
        ),
        403
    );
    calls("CheckPermission", 2, checks);
    let (checks, lookups) = (
        sidecar.calls("CheckPermission"),
        sidecar.calls("LookupResources"),
    );
    assert_eq!(service.list(&alice, 50), vec![doc]);
    calls("LookupResources", 1, lookups);
    calls("CheckPermission", 0, checks);

    sidecar.kill();
    for (method, path, body) in [
        ("GET", format!("/documents/{doc}"), None),
        (
            "PUT",
            format!("/documents/{doc}"),
            Some(json!({ "title": "t", "body": "" })),
        ),
        ("GET", "/documents".to_owned(), None),
        (
            "POST",
            "/documents".to_owned(),
            Some(json!({ "title": "t", "body": "" })),
        ),
        (
            "POST",
            format!("/documents/{doc}/shares"),
            Some(json!({ "with": "user", "id": alice.id, "role": "viewer" })),
        ),
    ] {
        let response = service.call(method, &path, Some(&alice.key), body);
        assert_eq!(response.status, 503, "{method} {path}: {}", response.body);
        // From a gate (the policy's decision) or from the service's write
        // alike: when to ask again.
        assert_eq!(
            response.header("retry-after"),
            Some("1"),
            "{method} {path}: {:?}",
            response.headers
        );
    }
    // The document whose relationships could not be written was not kept.
    let audit = service.call("GET", "/admin/documents", Some(&service.admin), None);
    assert_eq!(audit.json().as_array().unwrap().len(), 1);

    sidecar.spawn();
    service
        .runtime
        .block_on(
            service
                .app
                .0
                .spicedb
                .write_schema(examples::documents::SCHEMA),
        )
        .unwrap();
    // The restarted SpiceDB is empty (in memory): the old document is not
    // allowed to anyone, and new ones work.
    let old = service.status("GET", &format!("/documents/{doc}"), Some(&alice.key), None);
    assert!(old == 404 || old == 503, "{old}");
    let new = service.document(&alice, None);
    assert!(service.can_read(&alice, new));
    assert_eq!(service.list(&alice, 50), vec![new]);
}

/// Red team (issue 13): SpiceDB answers a lookup with an id this service did
/// not make, but which reads as one of its rows (`05`, `+5`: a relationship
/// another writer of the same SpiceDB made, or garbage). The single check on
/// row 5 asks about `document:5` and is refused; the list must not show row 5
/// either (only the canonical spelling of an id names a row).
#[test]
fn a_looked_up_id_that_only_parses_as_a_row_selects_nothing() {
    use auth_core::spicedb::{Relationship, RelationshipUpdate, SpiceDb};

    let Some(sidecar) = shared_sidecar() else {
        return;
    };
    let service = Service::start_on(&sidecar.endpoint());
    let alice = service.user("alice");
    let mallory = service.user("mallory");
    let secret = service.document(&alice, None);
    let other = service.document(&alice, None);
    service.runtime.block_on(async {
        let spicedb = SpiceDb::builder(sidecar.endpoint(), KEY)
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let object = |id: String| auth_core::spicedb::ObjectRef::new("document", id).unwrap();
        let user = auth_core::spicedb::ObjectRef::new("user", mallory.id.to_string()).unwrap();
        spicedb
            .write_relationships([
                RelationshipUpdate::touch(
                    Relationship::new(object(format!("0{secret}")), "viewer", user.clone())
                        .unwrap(),
                ),
                RelationshipUpdate::touch(
                    Relationship::new(object(format!("+{other}")), "viewer", user).unwrap(),
                ),
            ])
            .await
            .unwrap();
    });
    // A write through the service after ours: its reads are at least this fresh.
    let team = service.team("team");
    service.membership("PUT", team, &alice);

    assert!(!service.can_read(&mallory, secret));
    assert!(!service.can_read(&mallory, other));
    let listed = service.list(&mallory, 10);
    assert!(
        !listed.contains(&secret) && !listed.contains(&other),
        "the list shows {listed:?}, which the single checks refuse"
    );
}
