//! Red team, gRPC: attacks on `auth_core::tonic` (`#[service]`, `SecureServer`,
//! the status mapping) and on `auth_core::tower::AuthLayer`, over real HTTP/2
//! on loopback. Each test is one way around a claim of SECURITY.md (G10, G21,
//! known limit 30); a door that holds has a test proving it holds.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use auth_core::tonic::SecureServer;
use auth_core::{AuthError, Authenticated, SharedAuthenticator};
use auth_tests::{TestAuthenticator, User};
use http_body_util::BodyExt;
use tonic::body::Body;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status};
use tower::ServiceExt;

mod orders_support;

// --- A hand-written tonic service pair, as tonic-build writes them ----------

/// What ran, in order: a method body pushes its name.
#[derive(Clone, Default)]
struct Ran(Arc<Mutex<Vec<&'static str>>>);

impl Ran {
    fn push(&self, name: &'static str) {
        self.0.lock().unwrap().push(name);
    }
    fn take(&self) -> Vec<&'static str> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

mod pb {
    use super::{Body, Context, Future, Infallible, Pin, Poll, Status};
    use std::sync::Arc;

    /// `service Greeter { rpc Health; rpc Me; rpc Type; }`.
    #[tonic::async_trait]
    pub trait Greeter: Send + Sync + 'static {
        async fn health(&self, request: tonic::Request<()>) -> Result<tonic::Response<()>, Status>;
        async fn me(&self, request: tonic::Request<()>) -> Result<tonic::Response<()>, Status>;
        async fn r#type(&self, request: tonic::Request<()>) -> Result<tonic::Response<()>, Status>;
        async fn whoami(&self, request: tonic::Request<()>) -> Result<tonic::Response<()>, Status>;
        /// A server-streaming method, as tonic-build writes it.
        type WatchStream: tonic::codegen::tokio_stream::Stream<Item = Result<(), Status>>
            + Send
            + 'static;
        async fn watch(
            &self,
            request: tonic::Request<()>,
        ) -> Result<tonic::Response<Self::WatchStream>, Status>;
        /// Another default method, which the `impl` defines under a `cfg`
        /// that is off.
        async fn secret(
            &self,
            _request: tonic::Request<()>,
        ) -> Result<tonic::Response<()>, Status> {
            super::DEFAULT_RAN.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(tonic::Response::new(()))
        }
        /// A default method with a body, which the guarded `impl` leaves out.
        async fn stats(&self, _request: tonic::Request<()>) -> Result<tonic::Response<()>, Status> {
            super::DEFAULT_RAN.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(tonic::Response::new(()))
        }
    }

    /// `service Admin { rpc Health; rpc Wipe; }`: another service.
    #[tonic::async_trait]
    pub trait Admin: Send + Sync + 'static {
        async fn health(&self, request: tonic::Request<()>) -> Result<tonic::Response<()>, Status>;
        async fn wipe(&self, request: tonic::Request<()>) -> Result<tonic::Response<()>, Status>;
    }

    type Call = Pin<Box<dyn Future<Output = Result<http::Response<Body>, Infallible>> + Send>>;

    fn answer<T>(result: Result<tonic::Response<T>, Status>) -> http::Response<Body> {
        match result {
            Ok(_) => Status::new(tonic::Code::Ok, "").into_http(),
            Err(status) => status.into_http(),
        }
    }

    macro_rules! server {
        ($server:ident, $trait:ident, $name:literal, { $($path:literal => $method:ident),* }) => {
            pub struct $server<T>(Arc<T>);
            impl<T> Clone for $server<T> {
                fn clone(&self) -> Self {
                    $server(Arc::clone(&self.0))
                }
            }
            impl<T> $server<T> {
                pub fn new(inner: T) -> Self {
                    $server(Arc::new(inner))
                }
            }
            impl<T> tonic::server::NamedService for $server<T> {
                const NAME: &'static str = $name;
            }
            impl<T: $trait> tower::Service<http::Request<Body>> for $server<T> {
                type Response = http::Response<Body>;
                type Error = Infallible;
                type Future = Call;
                fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
                    Poll::Ready(Ok(()))
                }
                fn call(&mut self, request: http::Request<Body>) -> Call {
                    let inner = Arc::clone(&self.0);
                    Box::pin(async move {
                        // As tonic's generated servers: the exact path.
                        let path = request.uri().path().to_owned();
                        let request = tonic::Request::from_http(request.map(|_| ()));
                        Ok(match path.as_str() {
                            $($path => answer(inner.$method(request).await),)*
                            _ => Status::unimplemented("").into_http(),
                        })
                    })
                }
            }
        };
    }

    server!(GreeterServer, Greeter, "x.Greeter", {
        "/x.Greeter/Health" => health,
        "/x.Greeter/Me" => me,
        "/x.Greeter/Type" => r#type,
        "/x.Greeter/Stats" => stats,
        "/x.Greeter/Whoami" => whoami,
        "/x.Greeter/Secret" => secret,
        "/x.Greeter/Watch" => watch
    });
    server!(AdminServer, Admin, "x.Admin", {
        "/x.Admin/Health" => health,
        "/x.Admin/Wipe" => wipe
    });
}

/// Set when the trait's default `stats` ran.
static DEFAULT_RAN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

use pb::{Admin, AdminServer, Greeter, GreeterServer};

#[derive(Clone, Default)]
struct Svc {
    ran: Ran,
}

#[auth_core::tonic::service]
#[tonic::async_trait]
impl Greeter for Svc {
    #[public]
    async fn health(&self, _request: Request<()>) -> Result<Response<()>, Status> {
        self.ran.push("health");
        Ok(Response::new(()))
    }

    #[requires(role("admin"))]
    async fn me(
        &self,
        _request: Request<()>,
        _user: Authenticated<User>,
    ) -> Result<Response<()>, Status> {
        self.ran.push("me");
        Ok(Response::new(()))
    }

    #[public]
    async fn whoami(
        &self,
        _request: Request<()>,
        user: Option<Authenticated<User>>,
    ) -> Result<Response<()>, Status> {
        self.ran.push(if user.is_some() {
            "whoami user"
        } else {
            "whoami guest"
        });
        Ok(Response::new(()))
    }

    type WatchStream = tonic::codegen::tokio_stream::Empty<Result<(), Status>>;

    #[requires(role("admin"))]
    async fn watch(
        &self,
        _request: Request<()>,
        _user: Authenticated<User>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        self.ran.push("watch");
        Ok(Response::new(tonic::codegen::tokio_stream::empty()))
    }

    // Public only in a build where the `cfg` holds (a feature, as a user
    // would write; `any()` is never on); otherwise the trait's default body
    // serves `Secret`.
    #[cfg(any())]
    #[public]
    async fn secret(&self, _request: Request<()>) -> Result<Response<()>, Status> {
        Ok(Response::new(()))
    }

    #[public]
    async fn r#type(&self, _request: Request<()>) -> Result<Response<()>, Status> {
        self.ran.push("type");
        Ok(Response::new(()))
    }
}

/// The same type also implements another service, without the attribute: the
/// careless user's "one struct, two services".
#[tonic::async_trait]
impl Admin for Svc {
    async fn health(&self, _request: Request<()>) -> Result<Response<()>, Status> {
        self.ran.push("admin.health");
        Ok(Response::new(()))
    }

    async fn wipe(&self, _request: Request<()>) -> Result<Response<()>, Status> {
        self.ran.push("admin.wipe");
        Ok(Response::new(()))
    }
}

fn authenticator() -> SharedAuthenticator<User> {
    SharedAuthenticator::new(TestAuthenticator::default()).with_realm("red")
}

/// Serves `server` on a loopback port; the result of `serve` comes back on
/// the handle.
async fn serve(
    server: SecureServer<User>,
) -> (
    SocketAddr,
    tokio::task::JoinHandle<Result<(), auth_core::tonic::ServeError>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = tokio::spawn(server.serve_with_listener(listener, std::future::pending()));
    (addr, handle)
}

/// A raw gRPC call: `path` (as sent, in `:path`), `payload` framed, extra
/// `headers`. The `grpc-status` and the `www-authenticate` values.
async fn raw(
    addr: SocketAddr,
    path: &str,
    payload: &[u8],
    headers: &[(&str, &[u8])],
) -> (i32, Vec<String>) {
    let mut channel = None;
    for _ in 0..100 {
        if let Ok(c) = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
        {
            channel = Some(c);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let channel = channel.expect("the server answers");
    let mut frame = vec![0u8];
    frame.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(payload);
    let mut request = http::Request::builder()
        .method("POST")
        .uri(format!("http://{addr}{path}"))
        .header("te", "trailers");
    if !headers.iter().any(|(name, _)| *name == "content-type") {
        request = request.header("content-type", "application/grpc");
    }
    for (name, value) in headers {
        request = request.header(*name, http::HeaderValue::from_bytes(value).unwrap());
    }
    let request = request
        .body(Body::new(http_body_util::Full::new(
            tonic::codegen::Bytes::from(frame),
        )))
        .unwrap();
    let response = channel.oneshot(request).await.expect("an answer");
    let (parts, body) = response.into_parts();
    let trailers = body
        .collect()
        .await
        .ok()
        .and_then(|c| c.trailers().cloned());
    let maps = [Some(parts.headers), trailers];
    let status = maps
        .iter()
        .flatten()
        .find_map(|map| map.get("grpc-status"))
        .and_then(|value| value.to_str().ok()?.parse().ok())
        .unwrap_or(-1);
    let challenges = maps
        .iter()
        .flatten()
        .flat_map(|map| map.get_all("www-authenticate"))
        .filter_map(|value| value.to_str().ok().map(str::to_owned))
        .collect();
    (status, challenges)
}

/// Request headers, as sent: name and raw value.
type Headers<'a> = &'a [(&'a str, &'a [u8])];

const ADMIN: &[(&str, &[u8])] = &[("authorization", b"Test 3")];
const CUSTOMER: &[(&str, &[u8])] = &[("authorization", b"Test 1")];

// --- Claim 2: deny by default ------------------------------------------------

/// A type whose `Greeter` impl carries the attribute also implements `Admin`
/// without it; `add_service(svc, AdminServer::new)` type-checks, because
/// `add_service` only asks that `T` be *a* guarded service, not that `S`
/// serve the guarded impl. The server must refuse to serve that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unguarded_second_service_of_a_guarded_type_is_not_served() {
    let svc = Svc::default();
    let ran = svc.ran.clone();
    let server = SecureServer::new(authenticator())
        .add_service(svc.clone(), GreeterServer::new)
        .add_service(svc, AdminServer::new);
    let (addr, handle) = serve(server).await;
    // The server refuses to start: a misconfiguration, named.
    let result = tokio::time::timeout(std::time::Duration::from_secs(5), handle).await;
    if let Ok(Ok(Err(error))) = result {
        let message = error.to_string();
        assert!(message.contains("x.Admin"), "{message}");
    } else {
        // It serves: show what an attacker gets.
        let (status, _) = raw(addr, "/x.Admin/Health", &[], &[]).await;
        let (wipe, _) = raw(addr, "/x.Admin/Wipe", &[], CUSTOMER).await;
        panic!(
            "an unguarded service was served: anonymous /x.Admin/Health -> {status}, customer /x.Admin/Wipe -> {wipe}, bodies run: {:?}",
            ran.take()
        );
    }
}

/// The `wrap` closure may ignore the guarded implementation and serve
/// another service: refused the same way when the services differ.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrap_closure_that_serves_another_service_is_refused() {
    let svc = Svc::default();
    let server =
        SecureServer::new(authenticator()).add_service(svc.clone(), move |_| AdminServer::new(svc));
    let (_, handle) = serve(server).await;
    let result = tokio::time::timeout(std::time::Duration::from_secs(5), handle).await;
    assert!(
        matches!(result, Ok(Ok(Err(_)))),
        "a wrap closure serving x.Admin for a guarded Greeter was accepted"
    );
}

/// The same service added twice (two guarded impls of one trait, the second
/// with laxer access): refused at `serve`, never a panic, never the second
/// served under the first one's table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_service_added_twice_is_refused() {
    let server = SecureServer::new(authenticator())
        .add_service(Svc::default(), GreeterServer::new)
        .add_service(Svc::default(), GreeterServer::new);
    let (_, handle) = serve(server).await;
    let result = tokio::time::timeout(std::time::Duration::from_secs(5), handle).await;
    match result {
        Ok(Ok(Err(error))) => assert!(error.to_string().contains("x.Greeter"), "{error}"),
        other => panic!("served twice: {other:?}"),
    }
}

/// `rpc Type` is `r#type` in Rust: the `#[public]` method is still public
/// (and the guarded one still guarded).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raw_identifier_method_keeps_its_access() {
    let svc = Svc::default();
    let ran = svc.ran.clone();
    let (addr, _handle) =
        serve(SecureServer::new(authenticator()).add_service(svc, GreeterServer::new)).await;
    let (status, _) = raw(addr, "/x.Greeter/Type", &[], &[]).await;
    assert_eq!(status, Code::Ok as i32, "a #[public] `r#type` was refused");
    assert_eq!(ran.take(), ["type"]);
}

/// A trait's default method the guarded `impl` leaves out has no access
/// attribute: anonymous callers get UNAUTHENTICATED (401 first), signed-in
/// ones UNIMPLEMENTED; its body runs for no one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_default_method_the_impl_leaves_out_is_not_served() {
    let (addr, _handle) =
        serve(SecureServer::new(authenticator()).add_service(Svc::default(), GreeterServer::new))
            .await;
    let (status, _) = raw(addr, "/x.Greeter/Stats", &[], &[]).await;
    assert_eq!(status, Code::Unauthenticated as i32);
    for who in [CUSTOMER, ADMIN] {
        let (status, _) = raw(addr, "/x.Greeter/Stats", &[], who).await;
        assert_eq!(status, Code::Unimplemented as i32);
    }
    assert!(
        !DEFAULT_RAN.load(std::sync::atomic::Ordering::SeqCst),
        "the default body ran"
    );
}

/// A server-streaming method (an associated stream type in the `impl`) is
/// guarded like the others: 401 first, then its gates, then the body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_method_is_guarded() {
    let svc = Svc::default();
    let ran = svc.ran.clone();
    let (addr, _handle) =
        serve(SecureServer::new(authenticator()).add_service(svc, GreeterServer::new)).await;
    let (status, _) = raw(addr, "/x.Greeter/Watch", &[], &[]).await;
    assert_eq!(status, Code::Unauthenticated as i32);
    let (status, _) = raw(addr, "/x.Greeter/Watch", &[], CUSTOMER).await;
    assert_eq!(status, Code::PermissionDenied as i32);
    assert!(ran.take().is_empty());
    let (status, _) = raw(addr, "/x.Greeter/Watch", &[], ADMIN).await;
    assert_eq!(status, Code::Ok as i32);
    assert_eq!(ran.take(), ["watch"]);
}

/// Optional sign-in on a `#[public]` method: nothing sent is a guest; a
/// credential that fails (unknown subject, malformed, two of them) is refused,
/// never read as a guest, and the body does not run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_credential_is_never_a_guest() {
    let svc = Svc::default();
    let ran = svc.ran.clone();
    let (addr, _handle) =
        serve(SecureServer::new(authenticator()).add_service(svc, GreeterServer::new)).await;
    let (status, _) = raw(addr, "/x.Greeter/Whoami", &[], &[]).await;
    assert_eq!(status, Code::Ok as i32);
    assert_eq!(ran.take(), ["whoami guest"]);
    let (status, _) = raw(addr, "/x.Greeter/Whoami", &[], CUSTOMER).await;
    assert_eq!(status, Code::Ok as i32);
    assert_eq!(ran.take(), ["whoami user"]);
    let failing: [&[(&str, &[u8])]; 4] = [
        &[("authorization", b"Test 99")],
        &[("authorization", b"Bearer x")],
        &[("authorization", b"Test \xff")],
        &[("authorization", b"Test 1"), ("authorization", b"Test 3")],
    ];
    for headers in failing {
        let (status, challenges) = raw(addr, "/x.Greeter/Whoami", &[], headers).await;
        assert!(
            status == Code::Unauthenticated as i32 || status == Code::InvalidArgument as i32,
            "{headers:?}: {status}"
        );
        assert!(!challenges.is_empty(), "{headers:?}");
        assert!(ran.take().is_empty(), "the body ran for {headers:?}");
    }
}

// --- Claims 1 and 3: the guarded body never runs for a caller who failed ----

/// Paths a guarded method might be reached by: the gate answers
/// UNAUTHENTICATED, or tonic does not route them (UNIMPLEMENTED); the body
/// never runs, and nothing else answers first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_paths_never_reach_a_guarded_body() {
    let svc = Svc::default();
    let ran = svc.ran.clone();
    let (addr, _handle) =
        serve(SecureServer::new(authenticator()).add_service(svc, GreeterServer::new)).await;
    let paths = [
        "/x.Greeter/Me",
        "/x.Greeter/me",
        "/x.Greeter/ME",
        "/x.Greeter/_me",
        "/x.Greeter/Me/",
        "/x.Greeter//Me",
        "//x.Greeter/Me",
        "/x.Greeter/M%65",
        "/x.greeter/Me",
        "/x%2EGreeter/Me",
        "/x.Greeter%2FMe",
        "/x.Greeter/Me?a=b",
        "/x.Greeter/Me#frag",
        "/x.Greeter/./Me",
        "/x.Greeter/../x.Greeter/Me",
        "/./x.Greeter/Me",
        "/x.Greeter/Me%2F",
        "/x.Greeter",
        "/",
    ];
    for path in paths {
        for headers in [
            &[][..],
            &[("authorization", &b"Test 1"[..])][..],
            &[("authorization", &b"Test 99"[..])][..],
        ] {
            let (status, _) = raw(addr, path, &[], headers).await;
            assert_ne!(status, Code::Ok as i32, "{path} {headers:?}");
            assert!(
                ran.take().is_empty(),
                "the guarded body ran for {path} with {headers:?}"
            );
        }
    }
    // The admin gets in by the exact path only.
    let (status, _) = raw(addr, "/x.Greeter/Me", &[], ADMIN).await;
    assert_eq!(status, Code::Ok as i32);
    assert_eq!(ran.take(), ["me"]);
}

/// orders-grpc: an unauthenticated call to `GetOrder` whose message does not
/// decode, however the path is spelled or the message is framed: never
/// `INVALID_ARGUMENT`, never OK.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_comes_before_the_decoder_whatever_the_framing() {
    let service = examples::service::Service::start(&orders_support::config(&[]))
        .await
        .expect("the service starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        examples::orders_grpc::server(&service)
            .serve_with_listener(listener, std::future::pending()),
    );
    let garbage: &[u8] = &[0x08, 0xff];
    let get = "/orders.v1.Orders/GetOrder";
    let cases: &[(&str, Headers<'_>)] = &[
        (get, &[]),
        (get, &[("content-type", b"application/grpc+json")]),
        (get, &[("content-type", b"text/plain")]),
        (get, &[("content-type", b"application/grpc-web")]),
        (get, &[("grpc-encoding", b"gzip")]),
        (get, &[("authorization", b"Bearer ")]),
        (get, &[("authorization", b"Bearer \xff\xfe")]),
        (get, &[("authorization-bin", b"QmVhcmVyIHg=")]),
        ("/orders.v1.Orders/get_order", &[]),
        ("/orders.v1.Orders/GetOrder?x=1", &[]),
        ("/orders.v1.Orders/NoSuchMethod", &[]),
    ];
    for (path, headers) in cases {
        let (status, challenges) = raw(addr, path, garbage, headers).await;
        assert!(
            status == Code::Unauthenticated as i32 || status == Code::Unimplemented as i32,
            "{path} {headers:?}: grpc-status {status}"
        );
        if status == Code::Unauthenticated as i32 {
            assert!(!challenges.is_empty(), "{path} {headers:?}: no challenge");
        }
    }
    // Two credentials: the authenticator's own `invalid_request` (HTTP's 400,
    // INVALID_ARGUMENT) with its challenge, which is the authentication
    // failure itself, not the decoder's answer.
    let two: &[(&str, &[u8])] = &[
        ("authorization", b"Bearer a"),
        ("authorization", b"Bearer b"),
    ];
    let (status, challenges) = raw(addr, get, garbage, two).await;
    assert!(
        status == Code::Unauthenticated as i32
            || (status == Code::InvalidArgument as i32
                && challenges.iter().any(|c| c.contains("invalid_request"))),
        "{status} {challenges:?}"
    );
    // Many authorization headers, and a huge one: an answer, no panic; the
    // server still serves.
    let many: Vec<(&str, &[u8])> = (0..200)
        .map(|_| ("authorization", &b"Bearer x"[..]))
        .collect();
    let (status, challenges) = raw(addr, get, garbage, &many).await;
    assert!(
        status == Code::InvalidArgument as i32
            && challenges.iter().any(|c| c.contains("invalid_request")),
        "{status} {challenges:?}"
    );
    let huge = format!("Bearer {}", "a".repeat(12_000));
    let (status, _) = raw(addr, get, garbage, &[("authorization", huge.as_bytes())]).await;
    assert!(
        status == Code::Unauthenticated as i32 || status == -1,
        "{status}"
    );
    let (status, _) = raw(addr, "/orders.v1.Orders/Health", &[], &[]).await;
    assert_eq!(status, Code::Ok as i32);
}

// --- Claim 4: the status mapping ---------------------------------------------

/// Every error is its documented code; none is OK; an outage is UNAVAILABLE.
#[test]
fn no_error_maps_to_ok_and_an_outage_is_unavailable() {
    let errors = [
        (AuthError::MissingCredentials, Code::Unauthenticated),
        (
            AuthError::InvalidToken(auth_core::TokenError::Expired),
            Code::Unauthenticated,
        ),
        (AuthError::invalid_request("x"), Code::InvalidArgument),
        (AuthError::insufficient_scope("a b"), Code::PermissionDenied),
        (AuthError::forbidden("x"), Code::PermissionDenied),
        (AuthError::not_found("x"), Code::NotFound),
        (
            AuthError::unavailable("store", std::io::Error::other("down")),
            Code::Unavailable,
        ),
        (AuthError::misconfigured("x"), Code::Internal),
    ];
    for (error, code) in errors {
        let status = Status::from(error);
        assert_eq!(status.code(), code, "{status:?}");
        assert_ne!(status.code(), Code::Ok);
    }
}

/// A realm or a scope with quotes, CR or LF cannot add metadata or a second
/// challenge parameter.
#[test]
fn challenges_cannot_be_injected_into() {
    let hostile_realm = "r\", error=\"none\r\nx-injected: 1";
    for error in [
        AuthError::MissingCredentials,
        AuthError::insufficient_scope("a\", realm=\"evil\r\nx-injected: 1"),
    ] {
        let status = auth_core::tonic::status(&error, hostile_realm, &[]);
        assert!(status.metadata().get("x-injected").is_none());
        let http = status.into_http::<Body>();
        assert!(http.headers().get("x-injected").is_none());
        for value in http.headers().get_all("www-authenticate") {
            let value = value.to_str().unwrap();
            assert!(!value.contains('\r') && !value.contains('\n'), "{value}");
            assert!(!value.contains("realm=\"evil\""), "{value}");
            assert!(!value.contains("error=\"none\""), "{value}");
        }
    }
}

// --- Claim 5: the layer in a plain tower stack --------------------------------

/// Refuses every credential: a second authenticator, stacked inside.
struct RefuseAll;

impl auth_core::Authenticator for RefuseAll {
    type User = User;

    async fn authenticate(
        &self,
        _: &http::request::Parts,
    ) -> Result<auth_core::Identity<User>, AuthError> {
        Err(auth_core::TokenError::InvalidSignature.into())
    }
}

/// Two `AuthLayer`s for one principal type, with different authenticators:
/// the consumer reads the innermost one's outcome, and a principal the outer
/// one verified never stands in for the inner one's refusal.
#[test]
fn a_principal_from_an_outer_layer_never_passes_an_inner_refusal() {
    use auth_core::tower::{AuthLayer, authenticated, optional};
    use tower::Layer;

    let consumer = tower::service_fn(|request: http::Request<()>| async move {
        Ok::<_, Infallible>((
            authenticated::<User>(request.extensions()).map(|user| user.subject().to_owned()),
            optional::<User>(request.extensions()).map(|user| user.is_some()),
        ))
    });
    let inner = AuthLayer::new(SharedAuthenticator::new(RefuseAll)).layer(consumer);
    let stack = AuthLayer::new(authenticator()).layer(inner);
    let request = http::Request::builder()
        .header("authorization", "Test 3")
        .body(())
        .unwrap();
    let (required, optional) = auth_tests::block_on(stack.oneshot(request)).unwrap();
    let refused = required.expect_err("the inner authenticator refused");
    assert_eq!(refused.error().status(), 401);
    // Optional sign-in reads the same refusal: not a guest, not the outer principal.
    assert_eq!(optional.expect_err("refused").error().status(), 401);
}

/// An outcome for another principal type is never read as this one's.
#[test]
fn an_outcome_for_another_principal_type_is_not_read() {
    use auth_core::tower::{AuthLayer, authenticated};
    use tower::Layer;

    #[derive(Clone)]
    struct Other;
    struct OtherAuth;
    impl auth_core::Authenticator for OtherAuth {
        type User = Other;
        async fn authenticate(
            &self,
            _: &http::request::Parts,
        ) -> Result<auth_core::Identity<Other>, AuthError> {
            Ok(auth_core::Identity::new(
                Other,
                "3",
                auth_core::Mechanism::Test,
            ))
        }
    }
    let consumer = tower::service_fn(|request: http::Request<()>| async move {
        Ok::<_, Infallible>(authenticated::<User>(request.extensions()).is_ok())
    });
    let stack = AuthLayer::new(SharedAuthenticator::new(OtherAuth)).layer(consumer);
    let request = http::Request::builder()
        .header("authorization", "Test 3")
        .body(())
        .unwrap();
    assert!(!auth_tests::block_on(stack.oneshot(request)).unwrap());
}

/// HTTP/1.1 (a server built with `accept_http1`, as gRPC-web needs): the same
/// gate, the same 401 first; the guarded body does not run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_calls_meet_the_same_gate() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let svc = Svc::default();
    let ran = svc.ran.clone();
    let server = SecureServer::new(authenticator())
        .with_server(tonic::transport::Server::builder().accept_http1(true))
        .add_service(svc, GreeterServer::new);
    let (addr, _handle) = serve(server).await;
    for content_type in [
        "application/grpc",
        "application/grpc-web",
        "application/grpc-web-text",
        "text/plain",
    ] {
        let mut stream = None;
        for _ in 0..100 {
            if let Ok(s) = tokio::net::TcpStream::connect(addr).await {
                stream = Some(s);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let mut stream = stream.expect("connects");
        let request = format!(
            "POST /x.Greeter/Me HTTP/1.1\r\nhost: x\r\ncontent-type: {content_type}\r\ncontent-length: 7\r\nconnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        // A message that does not decode.
        stream
            .write_all(&[0, 0, 0, 0, 2, 0x08, 0xff])
            .await
            .unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            stream.read_to_end(&mut answer),
        )
        .await;
        let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
        assert!(
            answer.contains("grpc-status: 16"),
            "{content_type}: {answer}"
        );
        assert!(
            answer.contains("www-authenticate: bearer")
                || answer.contains("www-authenticate: test"),
            "{content_type}: {answer}"
        );
        assert!(ran.take().is_empty());
    }
}
