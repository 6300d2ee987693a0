//! Casbin behind `#[requires]`, over real HTTP: roles within tenants, reloads
//! that take effect on the next request, a broken reload that keeps the policy
//! in use, an enforcer error that is a 503, and the matched rule in the audit
//! event.

mod casbin;

use std::sync::atomic::Ordering;
use std::time::Duration;

use auth_core::casbin::{Casbin, CasbinError};
use auth_tests::audit::capture;
use casbin::{BODIES, Document, Files, MODEL, POLICY, Update, member, send, serve};

const EDIT_2: &str = "p, editor, acme, document:2, update\n";

#[tokio::test]
async fn roles_within_a_domain_decide_and_a_tenant_admin_cannot_touch_another_tenant() {
    let addr = serve(Casbin::from_strings(MODEL, POLICY).await.unwrap()).await;
    let cases = [
        // alice is acme's admin: every acme document.
        ("PUT", "/documents/1", "alice acme", 200, "updated 1"),
        ("PUT", "/documents/3", "alice acme", 200, "updated 3"),
        // ... not globex's: the resource's tenant is checked before the policy (404),
        ("PUT", "/documents/10", "alice acme", 404, ""),
        // and claiming globex gets her no role there: casbin denies (403).
        ("PUT", "/documents/10", "alice globex", 403, ""),
        ("GET", "/documents/10", "alice globex", 403, ""),
        // carol is globex's admin, and nothing in acme.
        ("PUT", "/documents/10", "carol globex", 200, "updated 10"),
        ("PUT", "/documents/1", "carol globex", 404, ""),
        ("PUT", "/documents/1", "carol acme", 403, ""),
        // bob: editor of document 1, reader of 1 and 2.
        ("PUT", "/documents/1", "bob acme", 200, "updated 1"),
        ("PUT", "/documents/2", "bob acme", 403, ""),
        ("GET", "/documents/2", "bob acme", 200, "read 2"),
        ("GET", "/documents/3", "bob acme", 403, ""),
        // nobody has no role anywhere.
        ("GET", "/documents/1", "mallory acme", 403, ""),
    ];
    for (method, path, who, status, body) in cases {
        let (got, text) = send(addr, method, path, who).await;
        assert_eq!(got, status, "{method} {path} as {who}: {text}");
        if status == 200 {
            assert_eq!(text, body, "{method} {path} as {who}");
        }
    }
}

#[tokio::test]
async fn a_reload_takes_effect_on_the_next_request() {
    let files = Files::new("reload", MODEL, POLICY);
    let casbin = Casbin::from_files(files.model(), files.policy())
        .await
        .unwrap();
    let addr = serve(casbin.clone()).await;
    assert_eq!(send(addr, "PUT", "/documents/2", "bob acme").await.0, 403);

    files.write_policy(&format!("{POLICY}{EDIT_2}"));
    assert_eq!(casbin.reload().await.unwrap(), 2);
    assert_eq!(
        send(addr, "PUT", "/documents/2", "bob acme").await,
        (200, "updated 2".to_owned())
    );

    // And back: a rule taken away is gone at once too.
    files.write_policy(POLICY);
    assert_eq!(casbin.reload().await.unwrap(), 3);
    assert_eq!(send(addr, "PUT", "/documents/2", "bob acme").await.0, 403);
}

#[tokio::test]
async fn a_broken_reload_keeps_the_policy_in_use_and_says_why() {
    let files = Files::new("broken", MODEL, POLICY);
    let casbin = Casbin::from_files(files.model(), files.policy())
        .await
        .unwrap();
    let addr = serve(casbin.clone()).await;

    // A rule with a field missing, on line 3.
    files.write_policy("# acme\np, admin, acme, *, update\np, editor, acme, document:2\n");
    let error = casbin.reload().await.unwrap_err();
    let expected = format!(
        "policy `{}` line 3: `p` rules have 4 fields after the type, this one has 3",
        files.policy().display()
    );
    assert_eq!(error.to_string(), expected);
    assert_eq!(casbin.last_reload_error(), Some(expected));
    assert_eq!(casbin.generation(), 1);
    // The policy in use still answers, both ways.
    assert_eq!(send(addr, "PUT", "/documents/1", "bob acme").await.0, 200);
    assert_eq!(send(addr, "PUT", "/documents/2", "bob acme").await.0, 403);

    // An empty (truncated) policy is refused too: never a silent deny-all.
    files.write_policy("");
    assert!(matches!(
        casbin.reload().await,
        Err(CasbinError::EmptyPolicy { .. })
    ));
    assert_eq!(send(addr, "PUT", "/documents/1", "bob acme").await.0, 200);

    // A missing file: the same.
    std::fs::remove_file(files.policy()).unwrap();
    assert!(matches!(
        casbin.reload().await,
        Err(CasbinError::Read { .. })
    ));
    assert_eq!(send(addr, "PUT", "/documents/1", "alice acme").await.0, 200);

    // Fixed: the next reload installs it and clears the error.
    files.write_policy(&format!("{POLICY}{EDIT_2}"));
    assert_eq!(casbin.reload().await.unwrap(), 2);
    assert_eq!(casbin.last_reload_error(), None);
    assert_eq!(send(addr, "PUT", "/documents/2", "bob acme").await.0, 200);
}

/// Waits until `casbin` reached `generation` (or a reload failed after `since`).
async fn settle(casbin: &Casbin, generation: u64) {
    for _ in 0..200 {
        if casbin.generation() >= generation {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "the watcher did not reload within 5 s: generation {}, error {:?}",
        casbin.generation(),
        casbin.last_reload_error()
    );
}

#[tokio::test]
async fn the_watcher_reloads_a_changed_file_and_keeps_the_policy_on_a_broken_one() {
    let files = Files::new("watch", MODEL, POLICY);
    let casbin = Casbin::from_files(files.model(), files.policy())
        .await
        .unwrap();
    let addr = serve(casbin.clone()).await;
    let _watch = casbin.watch(Duration::from_millis(20));
    assert_eq!(send(addr, "PUT", "/documents/2", "bob acme").await.0, 403);

    files.write_policy(&format!("{POLICY}{EDIT_2}"));
    settle(&casbin, 2).await;
    assert_eq!(send(addr, "PUT", "/documents/2", "bob acme").await.0, 200);

    // Broken: reported, not installed.
    files.write_policy("p, editor, acme\n");
    for _ in 0..200 {
        if casbin.last_reload_error().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        casbin
            .last_reload_error()
            .is_some_and(|e| e.contains("line 1"))
    );
    assert_eq!(casbin.generation(), 2);
    assert_eq!(send(addr, "PUT", "/documents/2", "bob acme").await.0, 200);

    // Fixed again: installed.
    files.write_policy(POLICY);
    settle(&casbin, 3).await;
    assert_eq!(send(addr, "PUT", "/documents/2", "bob acme").await.0, 403);
}

/// The matcher errors for `purge` only (`nosuch` is no function); the load's
/// probes do not reach it.
const FAILING: &str = r#"
[request_definition]
r = sub, dom, obj, act
[policy_definition]
p = sub, dom, obj, act
[role_definition]
g = _, _, _
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && (r.obj == p.obj || p.obj == "*") && r.act == p.act && (r.act != "purge" || nosuch(r.obj))
"#;

#[tokio::test]
async fn an_enforcer_error_is_a_503_and_never_runs_the_body_then_a_fixed_model_recovers() {
    let policy = format!("{POLICY}p, admin, acme, *, purge\n");
    let files = Files::new("failing", FAILING, &policy);
    let casbin = Casbin::from_files(files.model(), files.policy())
        .await
        .unwrap();
    let addr = serve(casbin.clone()).await;
    let before = BODIES.load(Ordering::SeqCst);
    let (status, body) = send(addr, "POST", "/documents/1/purge", "alice acme").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("temporarily_unavailable"), "{body}");
    assert_eq!(BODIES.load(Ordering::SeqCst), before);
    // Other actions still decide.
    assert_eq!(send(addr, "PUT", "/documents/1", "alice acme").await.0, 200);

    // The model fixed and reloaded: the same request is decided again.
    std::fs::write(files.model(), MODEL).unwrap();
    casbin.reload().await.unwrap();
    assert_eq!(
        send(addr, "POST", "/documents/1/purge", "alice acme").await,
        (200, "purged 1".to_owned())
    );
}

#[test]
fn the_audit_event_carries_the_matched_rule() {
    let casbin = auth_tests::block_on(Casbin::from_strings(MODEL, POLICY)).unwrap();
    let bob = member("bob", "acme");
    let doc = |id: i64| Document {
        id,
        tenant: "acme".to_owned(),
    };
    let (allowed, events) = capture(|| bob.authorize_with::<Update, _>(doc(1), &casbin).is_ok());
    assert!(allowed);
    let event = events
        .iter()
        .find(|e| e.get("decision").map(String::as_str) == Some("allow"))
        .unwrap();
    assert_eq!(event["reason"], "a casbin rule allows");
    assert_eq!(event["engine"], "casbin");
    assert_eq!(event["evidence"], "editor, acme, document:1, update");
    assert_eq!(event["resource"], "document:1");

    let (allowed, events) = capture(|| bob.authorize_with::<Update, _>(doc(2), &casbin).is_ok());
    assert!(!allowed);
    let event = events
        .iter()
        .find(|e| e.get("decision").map(String::as_str) == Some("deny"))
        .unwrap();
    assert_eq!(event["reason"], "no casbin rule allows");

    // A list: one event, with the filter's shape and the engine's evidence.
    let (listed, events) =
        capture(|| {
            auth_tests::block_on(bob.authorize_page::<casbin::Read, Document>(
                &casbin,
                auth_core::engine::Page::first(50),
            ))
            .map(|list| list.filter().to_string())
        });
    assert_eq!(
        listed.unwrap(),
        "(tenant = ? AND tenant = ? AND id IN (2 values))"
    );
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["engine"], "casbin");
    assert_eq!(
        events[0]["evidence"],
        "implicit permissions, each decided; policy generation 1"
    );
}

#[tokio::test]
async fn a_list_over_http_holds_exactly_what_single_requests_allow() {
    let addr = serve(Casbin::from_strings(MODEL, POLICY).await.unwrap()).await;
    for (who, expected) in [
        ("bob acme", "1,2"),
        ("alice acme", "1,2,3"),
        ("carol globex", "10"),
        ("alice globex", ""),
        ("mallory acme", ""),
    ] {
        let (status, body) = send(addr, "GET", "/documents", who).await;
        assert_eq!((status, body.as_str()), (200, expected), "{who}");
        for id in [1, 2, 3, 10] {
            let single = send(addr, "GET", &format!("/documents/{id}"), who).await.0 == 200;
            let listed = expected.split(',').any(|listed| listed == id.to_string());
            assert_eq!(single, listed, "document {id} for {who}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_decide_correctly_while_reloads_swap_the_policy() {
    // Two policies that agree on everyone but bob's document 2.
    let with = format!("{POLICY}{EDIT_2}");
    let files = Files::new("swap", MODEL, POLICY);
    let casbin = Casbin::from_files(files.model(), files.policy())
        .await
        .unwrap();
    let addr = serve(casbin.clone()).await;

    let reloads = {
        let casbin = casbin.clone();
        let with = with.clone();
        tokio::spawn(async move {
            for i in 0..40 {
                files.write_policy(if i % 2 == 0 { &with } else { POLICY });
                casbin.reload().await.unwrap();
                tokio::task::yield_now().await;
            }
            files
        })
    };
    let mut clients = Vec::new();
    for i in 0..8 {
        clients.push(tokio::spawn(async move {
            let mut seen = [0_usize; 2];
            for _ in 0..15 {
                assert_eq!(
                    send(addr, "PUT", "/documents/3", "alice acme").await.0,
                    200,
                    "client {i}"
                );
                assert_eq!(
                    send(addr, "PUT", "/documents/1", "carol globex").await.0,
                    404
                );
                assert_eq!(send(addr, "PUT", "/documents/1", "bob acme").await.0, 200);
                assert_eq!(send(addr, "GET", "/documents/3", "bob acme").await.0, 403);
                // Either policy's answer, never anything else (no 503, no 500).
                match send(addr, "PUT", "/documents/2", "bob acme").await.0 {
                    200 => seen[0] += 1,
                    403 => seen[1] += 1,
                    other => panic!("bob's document 2 answered {other} during a swap"),
                }
            }
            seen
        }));
    }
    for client in clients {
        client.await.unwrap();
    }
    let files = reloads.await.unwrap();
    assert_eq!(casbin.generation(), 41);
    // The last policy written (`POLICY`) is the one in use.
    assert_eq!(send(addr, "PUT", "/documents/2", "bob acme").await.0, 403);
    files.write_policy(&with);
    casbin.reload().await.unwrap();
    assert_eq!(send(addr, "PUT", "/documents/2", "bob acme").await.0, 200);
}

#[tokio::test]
async fn a_policy_from_a_casbin_adapter_decides_and_its_rules_are_checked() {
    let files = Files::new("adapter", MODEL, "");
    let adapter = auth_core::casbin::casbin_rs::StringAdapter::new(POLICY);
    let casbin = Casbin::from_adapter(files.model(), adapter).await.unwrap();
    let addr = serve(casbin.clone()).await;
    assert_eq!(send(addr, "PUT", "/documents/1", "bob acme").await.0, 200);
    assert_eq!(send(addr, "PUT", "/documents/2", "bob acme").await.0, 403);
    // The adapter is asked again on a reload.
    assert_eq!(casbin.reload().await.unwrap(), 2);

    // A rule with a field missing, from an adapter: refused, named.
    let broken = auth_core::casbin::casbin_rs::StringAdapter::new("p, admin, acme, *\n");
    let error = Casbin::from_adapter(files.model(), broken)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "policy adapter: rule `p, admin, acme, *`: `p` rules have 4 fields after the type, this one has 3"
    );
}

#[tokio::test]
async fn a_principal_named_like_a_role_does_not_get_the_role() {
    // A user who signed up as `admin` is not acme's admin.
    let addr = serve(Casbin::from_strings(MODEL, POLICY).await.unwrap()).await;
    assert_eq!(send(addr, "PUT", "/documents/1", "admin acme").await.0, 403);
    assert_eq!(
        send(addr, "PUT", "/documents/1", "editor acme").await.0,
        403
    );
    // Deliberately allowed: casbin's own answer (the role's permissions).
    let casbin = auth_core::casbin::Loader::strings(MODEL, POLICY)
        .dangerous_allow_subjects_named_like_roles()
        .load()
        .await
        .unwrap();
    let addr = serve(casbin).await;
    assert_eq!(send(addr, "PUT", "/documents/1", "admin acme").await.0, 200);
}
