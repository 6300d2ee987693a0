//! `orders-grpc` over real HTTP/2 on loopback, with tonic's own client: the
//! status matrix (the same policies as the HTTP services, as gRPC codes, with
//! `www-authenticate` metadata), and the 401-first rule (an unauthenticated
//! call to a guarded method is `UNAUTHENTICATED`, whatever its message). The
//! status matrix and the lists run under both engines of the order rules
//! (`ORDERS_API_POLICY_ENGINE=rust` and `cedar`), with the same expectations.
#![allow(clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;

use examples::orders_grpc::pb;
use examples::orders_grpc::pb::orders_client::OrdersClient;
use examples::service::{LoginRequest, Service};
use http_body_util::BodyExt;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tower::ServiceExt;

mod orders_support;

use orders_support::{OTHER_CHALLENGES, config};

/// Starts `orders-grpc` on a loopback port with `extra` configuration.
async fn start(extra: &[(&str, &str)]) -> (SocketAddr, Arc<Service>) {
    let service = Service::start(&config(extra))
        .await
        .expect("the service starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    let server = examples::orders_grpc::server(&service);
    tokio::spawn(server.serve_with_listener(listener, std::future::pending()));
    (addr, service)
}

async fn client(addr: SocketAddr) -> OrdersClient<Channel> {
    let endpoint = format!("http://{addr}");
    for _ in 0..100 {
        if let Ok(client) = OrdersClient::connect(endpoint.clone()).await {
            return client;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("orders-grpc does not answer on {addr}");
}

async fn token(service: &Service, who: &str, scope: Option<&str>) -> String {
    service
        .login(
            None,
            &LoginRequest {
                email: format!("{who}@example.com"),
                password: format!("{who}-password"),
                scope: scope.map(str::to_owned),
            },
        )
        .await
        .expect("the seeded user signs in")
        .access_token
}

/// `message` with `authorization: Bearer <token>`.
fn with_token<T>(message: T, token: Option<&str>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(token) = token {
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("ascii"),
        );
    }
    request
}

fn challenges(status: &Status) -> Vec<String> {
    status
        .metadata()
        .get_all("www-authenticate")
        .iter()
        .map(|value| value.to_str().expect("ascii").to_owned())
        .collect()
}

async fn get_order(
    client: &mut OrdersClient<Channel>,
    id: i64,
    token: Option<&str>,
) -> Result<pb::Order, Status> {
    client
        .get_order(with_token(pb::GetOrderRequest { id }, token))
        .await
        .map(tonic::Response::into_inner)
}

/// The order rules' engine (`ORDERS_API_POLICY_ENGINE`): every test of the
/// rules runs under each, with the same expectations.
const ENGINES: [&str; 2] = ["rust", "cedar"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_matrix_over_grpc() {
    for engine in ENGINES {
        status_matrix(engine).await;
    }
}

async fn status_matrix(engine: &str) {
    let (addr, service) = start(&[("ORDERS_API_POLICY_ENGINE", engine)]).await;
    let mut client = client(addr).await;
    let alice = token(&service, "alice", None).await;
    let carol = token(&service, "carol", None).await;
    let write_only = token(&service, "alice", Some("orders:write")).await;

    // Public methods need no token.
    let health = client
        .health(pb::HealthRequest {})
        .await
        .expect("health is public");
    assert_eq!(health.into_inner().status, "ok");
    let products = client
        .list_products(pb::ListProductsRequest {})
        .await
        .expect("the catalog is public");
    assert!(!products.into_inner().products.is_empty());

    // No token: UNAUTHENTICATED, one challenge per way in, as over HTTP.
    let nobody = get_order(&mut client, 1, None).await.expect_err("refused");
    assert_eq!(nobody.code(), Code::Unauthenticated);
    let expected: Vec<String> = std::iter::once(r#"Bearer realm="orders-api""#.to_owned())
        .chain(
            OTHER_CHALLENGES
                .split(", ApiKey")
                .enumerate()
                .map(|(i, part)| {
                    if i == 0 {
                        part.to_owned()
                    } else {
                        format!("ApiKey{part}")
                    }
                }),
        )
        .collect();
    assert_eq!(challenges(&nobody), expected);

    // A bad token: UNAUTHENTICATED with `invalid_token`.
    let garbage = get_order(&mut client, 1, Some("not.a.token"))
        .await
        .expect_err("refused");
    assert_eq!(garbage.code(), Code::Unauthenticated);
    let bearer = challenges(&garbage);
    assert!(
        bearer
            .first()
            .is_some_and(|c| c.starts_with(r#"Bearer realm="orders-api", error="invalid_token""#)),
        "{bearer:?}"
    );

    // The wrong scope: PERMISSION_DENIED with `insufficient_scope`, before the
    // order is looked up (a missing order says the same).
    for id in [1, 999] {
        let narrowed = get_order(&mut client, id, Some(&write_only))
            .await
            .expect_err("refused");
        assert_eq!(narrowed.code(), Code::PermissionDenied, "order {id}");
        assert_eq!(
            challenges(&narrowed),
            [
                r#"Bearer realm="orders-api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:read""#
            ]
        );
    }

    // Her own order; another customer's (PERMISSION_DENIED, as the HTTP
    // services answer it, and no challenge); one that does not exist.
    let own = get_order(&mut client, 1, Some(&alice))
        .await
        .expect("her order");
    assert_eq!((own.id, own.owner_id), (1, 1));
    let bobs = get_order(&mut client, 3, Some(&alice))
        .await
        .expect_err("bob's order");
    assert_eq!(bobs.code(), Code::PermissionDenied);
    assert!(challenges(&bobs).is_empty());
    assert!(!bobs.message().contains("tea kettle"));
    let missing = get_order(&mut client, 999, Some(&alice))
        .await
        .expect_err("no such order");
    assert_eq!(missing.code(), Code::NotFound);

    // An admin reads anyone's order.
    let as_admin = get_order(&mut client, 3, Some(&carol))
        .await
        .expect("an admin reads it");
    assert_eq!(as_admin.owner_id, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_and_writes_over_grpc() {
    for engine in ENGINES {
        lists_and_writes(engine).await;
    }
}

async fn lists_and_writes(engine: &str) {
    let (addr, service) = start(&[("ORDERS_API_POLICY_ENGINE", engine)]).await;
    let mut client = client(addr).await;
    let alice = token(&service, "alice", None).await;
    let carol = token(&service, "carol", None).await;

    // The list is the Read filter: hers only; an admin's, everyone's.
    let mine = client
        .list_my_orders(with_token(pb::ListMyOrdersRequest::default(), Some(&alice)))
        .await
        .expect("her orders")
        .into_inner();
    assert!(!mine.orders.is_empty());
    assert!(mine.orders.iter().all(|order| order.owner_id == 1));
    let all = client
        .list_my_orders(with_token(pb::ListMyOrdersRequest::default(), Some(&carol)))
        .await
        .expect("every order")
        .into_inner();
    assert!(all.orders.iter().any(|order| order.owner_id != 1));

    // Create, then delete: scope orders:write and the Delete policy.
    let created = client
        .create_order(with_token(
            pb::CreateOrderRequest {
                item: "grinder".to_owned(),
                amount: 5_000,
            },
            Some(&alice),
        ))
        .await
        .expect("created")
        .into_inner();
    assert_eq!(created.owner_id, 1);
    let bob = token(&service, "bob", None).await;
    let not_bobs = client
        .delete_order(with_token(
            pb::DeleteOrderRequest { id: created.id },
            Some(&bob),
        ))
        .await
        .expect_err("not his");
    assert_eq!(not_bobs.code(), Code::PermissionDenied);
    client
        .delete_order(with_token(
            pb::DeleteOrderRequest { id: created.id },
            Some(&alice),
        ))
        .await
        .expect("deleted by its owner");
    let gone = get_order(&mut client, created.id, Some(&alice))
        .await
        .expect_err("deleted");
    assert_eq!(gone.code(), Code::NotFound);
}

/// A raw gRPC call to `GetOrder` whose message is `payload`, with `token`:
/// the `grpc-status` the server answers, from its headers or trailers.
async fn raw_get_order(
    addr: SocketAddr,
    payload: &[u8],
    token: Option<&str>,
) -> (i32, Vec<String>) {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("a URI")
        .connect()
        .await
        .expect("connects");
    let mut frame = vec![0u8];
    frame.extend_from_slice(&u32::try_from(payload.len()).expect("small").to_be_bytes());
    frame.extend_from_slice(payload);
    let mut request = http::Request::builder()
        .method("POST")
        .uri(format!("http://{addr}/orders.v1.Orders/GetOrder"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request
        .body(tonic::body::Body::new(http_body_util::Full::new(
            tonic::codegen::Bytes::from(frame),
        )))
        .expect("a request");
    let response = channel.oneshot(request).await.expect("an answer");
    let (parts, body) = response.into_parts();
    let trailers = body
        .collect()
        .await
        .ok()
        .and_then(|collected| collected.trailers().cloned());
    let headers = [Some(parts.headers), trailers];
    let status = headers
        .iter()
        .flatten()
        .find_map(|map| map.get("grpc-status"))
        .and_then(|value| value.to_str().ok()?.parse().ok())
        .expect("a grpc-status");
    let challenges = headers
        .iter()
        .flatten()
        .flat_map(|map| map.get_all("www-authenticate"))
        .filter_map(|value| value.to_str().ok().map(str::to_owned))
        .collect();
    (status, challenges)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_comes_first() {
    let (addr, service) = start(&[]).await;
    let mut client = client(addr).await;
    let alice = token(&service, "alice", None).await;

    // A nonexistent order: UNAUTHENTICATED, never NOT_FOUND.
    let missing = get_order(&mut client, 999, None)
        .await
        .expect_err("refused");
    assert_eq!(missing.code(), Code::Unauthenticated);
    let bad_token = get_order(&mut client, 999, Some("x.y.z"))
        .await
        .expect_err("refused");
    assert_eq!(bad_token.code(), Code::Unauthenticated);

    // A message that does not decode (a truncated varint): UNAUTHENTICATED
    // with the challenge, never the decoder's error...
    let garbage = [0x08, 0xff];
    let (status, challenges) = raw_get_order(addr, &garbage, None).await;
    assert_eq!(status, Code::Unauthenticated as i32);
    assert!(
        challenges
            .first()
            .is_some_and(|c| c == r#"Bearer realm="orders-api""#),
        "{challenges:?}"
    );
    // ...which a signed-in caller does get: the message really is broken.
    let (status, _) = raw_get_order(addr, &garbage, Some(&alice)).await;
    assert_ne!(status, Code::Unauthenticated as i32);
    assert_ne!(status, Code::Ok as i32);
    // A well-formed message, for contrast: order 1 is hers.
    let (status, _) = raw_get_order(addr, &[0x08, 0x01], Some(&alice)).await;
    assert_eq!(status, Code::Ok as i32);
    // A public method answers without a token, whatever the others require.
    assert!(client.health(pb::HealthRequest {}).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_limit_is_resource_exhausted_with_retry_after() {
    let (addr, service) = start(&[("ORDERS_API_PLAN_FREE", "2/min")]).await;
    let mut client = client(addr).await;
    // Alice is on the free plan.
    let alice = token(&service, "alice", None).await;
    let mut limited = None;
    for _ in 0..10 {
        match client
            .list_my_orders(with_token(pb::ListMyOrdersRequest::default(), Some(&alice)))
            .await
        {
            Ok(_) => {}
            Err(status) => {
                limited = Some(status);
                break;
            }
        }
    }
    let limited = limited.expect("the quota ran out");
    assert_eq!(limited.code(), Code::ResourceExhausted);
    let retry_after: u64 = limited
        .metadata()
        .get("retry-after")
        .and_then(|value| value.to_str().ok()?.parse().ok())
        .expect("retry-after");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert!(limited.metadata().get("ratelimit-policy").is_some());
    // The limit is on the list only.
    assert!(get_order(&mut client, 1, Some(&alice)).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_cannot_answer_is_unavailable() {
    let file = std::env::temp_dir().join(format!(
        "orders-grpc-outage-{}-{}.db",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let path = file.to_str().expect("a UTF-8 path").to_owned();
    let (addr, service) = start(&[("DATABASE_URL", &path)]).await;
    let mut client = client(addr).await;
    let alice = token(&service, "alice", None).await;
    assert!(get_order(&mut client, 1, Some(&alice)).await.is_ok());
    // The orders table is gone: the store cannot answer.
    rusqlite::Connection::open(&file)
        .expect("the database file")
        .execute_batch("DROP TABLE orders;")
        .expect("dropped");
    let down = get_order(&mut client, 1, Some(&alice))
        .await
        .expect_err("no answer");
    assert_eq!(down.code(), Code::Unavailable);
    // Never an allow, and never a hint that the order does not exist.
    let _ = std::fs::remove_file(&file);
}

/// The gRPC methods are in the authorization matrix, with their gates, like
/// the HTTP handlers.
#[test]
fn the_grpc_methods_are_in_the_inventory() {
    let matrix = auth_core::inventory::Matrix::collect().within("examples::orders_grpc");
    let gates = |name: &str| -> Vec<&str> {
        matrix
            .handlers()
            .iter()
            .find(|entry| entry.name() == name)
            .unwrap_or_else(|| panic!("no {name} in the inventory"))
            .gates()
            .to_vec()
    };
    assert_eq!(gates("get_order"), [r#"scope("orders:read")"#]);
    assert_eq!(
        gates("list_my_orders"),
        [
            r#"scope("orders:read")"#,
            "check(auth_core::limit::within_plan)"
        ]
    );
    assert!(gates("health").is_empty());
    assert_eq!(matrix.handlers().len(), 6);
}
