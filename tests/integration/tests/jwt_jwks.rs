//! Remote JWK Sets (feature `jwks`), against a JWKS server on loopback that each
//! test starts: the real HTTP client, no mocks. Every wait is bounded; the server
//! counts the requests it gets, so "at most one fetch" is measured, not assumed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod jwt_support;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use auth_core::jwt::{
    Algorithm, ConfigError, JwksError, JwtAuthenticator, KeyError, NoRevocation, PrincipalMapper,
    RemoteKeySet, RemoteKeySetBuilder,
};
use auth_core::{AuthError, TokenError};
use jsonwebtoken::jwk::EllipticCurve;
use jsonwebtoken::{Algorithm as JwtAlgorithm, EncodingKey};
use jwt_support::*;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

type Auth = JwtAuthenticator<PrincipalMapper, NoRevocation>;

/// The longest any one test may take.
const TEST_LIMIT: Duration = Duration::from_secs(15);

/// The smallest minimum fetch interval the builder accepts.
const INTERVAL: Duration = Duration::from_secs(1);

// ---------------------------------------------------------------------------------
// The JWKS server

#[derive(Clone)]
enum Reply {
    /// 200 with this body and extra headers.
    Ok(String, Vec<(&'static str, String)>),
    /// This status, empty body.
    Status(u16),
    /// 302 to this location.
    Redirect(String),
    /// Nothing for this long, then 200 with this body.
    Slow(Duration, String),
    /// 200 without `Content-Length`: this many bytes, then the connection closes.
    Unsized(usize),
}

fn ok(body: impl Into<String>) -> Reply {
    Reply::Ok(body.into(), Vec::new())
}

#[derive(Default)]
struct Routes {
    replies: HashMap<String, Reply>,
    hits: HashMap<String, usize>,
}

/// A tiny HTTP/1.1 server on 127.0.0.1: one response per connection, then close.
struct JwksServer {
    addr: SocketAddr,
    routes: Arc<Mutex<Routes>>,
    accept: JoinHandle<()>,
}

impl JwksServer {
    async fn start() -> Self {
        Self::start_with(None).await
    }

    /// The same server over TLS, with the certificate of `fixtures/jwks/`.
    async fn start_tls() -> Self {
        Self::start_with(Some(tls_acceptor())).await
    }

    async fn start_with(tls: Option<TlsAcceptor>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let routes = Arc::new(Mutex::new(Routes::default()));
        let shared = Arc::clone(&routes);
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let routes = Arc::clone(&shared);
                match tls.clone() {
                    None => drop(tokio::spawn(serve(stream, routes))),
                    Some(tls) => drop(tokio::spawn(async move {
                        let handshake =
                            tokio::time::timeout(Duration::from_secs(5), tls.accept(stream));
                        // A client that refuses the certificate ends here.
                        if let Ok(Ok(stream)) = handshake.await {
                            serve(stream, routes).await;
                        }
                    })),
                }
            }
        });
        JwksServer {
            addr,
            routes,
            accept,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn set(&self, path: &str, reply: Reply) {
        self.routes
            .lock()
            .unwrap()
            .replies
            .insert(path.to_owned(), reply);
    }

    fn hits(&self, path: &str) -> usize {
        self.routes
            .lock()
            .unwrap()
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Stops accepting: the port then refuses connections.
    async fn stop(&mut self) {
        self.accept.abort();
        let _ = (&mut self.accept).await;
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, routes: Arc<Mutex<Routes>>) {
    let mut head = Vec::new();
    let mut buf = [0_u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        Ok::<_, std::io::Error>(())
    })
    .await;
    if !matches!(read, Ok(Ok(()))) {
        return;
    }
    let head = String::from_utf8_lossy(&head);
    let path = head
        .lines()
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .unwrap_or("")
        .to_owned();
    let reply = {
        let mut routes = routes.lock().unwrap();
        *routes.hits.entry(path.clone()).or_default() += 1;
        routes.replies.get(&path).cloned()
    };
    let response: Vec<u8> = match reply {
        None => response(404, "", &[]),
        Some(Reply::Ok(body, headers)) => response(200, &body, &headers),
        Some(Reply::Status(status)) => response(status, "", &[]),
        Some(Reply::Redirect(location)) => response(302, "", &[("location", location)]),
        Some(Reply::Slow(delay, body)) => {
            tokio::time::sleep(delay).await;
            response(200, &body, &[])
        }
        Some(Reply::Unsized(size)) => {
            let mut bytes =
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n"
                    .to_vec();
            bytes.resize(bytes.len() + size, b' ');
            bytes
        }
    };
    let _ = stream.write_all(&response).await;
    let _ = stream.shutdown().await;
}

fn jwks_fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/jwks/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

fn tls_acceptor() -> TlsAcceptor {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let chain = CertificateDer::pem_slice_iter(&jwks_fixture("jwks-server.pem"))
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(&jwks_fixture("jwks-server.key.pem")).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

fn response(status: u16, body: &str, headers: &[(&str, String)]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        let _ = write!(out, "{name}: {value}\r\n");
    }
    out.push_str("\r\n");
    out.push_str(body);
    out.into_bytes()
}

// ---------------------------------------------------------------------------------
// Keys, documents and tokens

const UTILS: &jsonwebtoken::crypto::KeyUtils =
    &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.key_utils;

fn rsa_jwk(kid: &str) -> String {
    let (n, e) = (UTILS.rsa_pub_components_from_private_key)(rsa_key().as_bytes()).unwrap();
    format!(
        r#"{{"kty":"RSA","kid":"{kid}","use":"sig","alg":"RS256","n":"{}","e":"{}"}}"#,
        b64(n),
        b64(e)
    )
}

fn ec_jwk(kid: &str, key: &EncodingKey) -> String {
    let (_, x, y) =
        (UTILS.ec_pub_components_from_private_key)(key.as_bytes(), JwtAlgorithm::ES256).unwrap();
    format!(
        r#"{{"kty":"EC","kid":"{kid}","use":"sig","alg":"ES256","crv":"P-256","x":"{}","y":"{}"}}"#,
        b64(x),
        b64(y)
    )
}

fn ed_jwk(kid: &str) -> String {
    let x = (UTILS.ed_pub_components_from_private_key)(
        ed25519_key().as_bytes(),
        &EllipticCurve::Ed25519,
    )
    .unwrap();
    format!(
        r#"{{"kty":"OKP","kid":"{kid}","use":"sig","alg":"EdDSA","crv":"Ed25519","x":"{}"}}"#,
        b64(x)
    )
}

fn jwks(keys: &[String]) -> String {
    format!(r#"{{"keys":[{}]}}"#, keys.join(","))
}

fn attacker_ec_key() -> EncodingKey {
    EncodingKey::from_ec_pem(&fixture("attacker-ec256.pem")).unwrap()
}

fn token(alg: JwtAlgorithm, key: &EncodingKey, kid: &str) -> String {
    sign(
        alg,
        key,
        &format!(r#"{{"alg":"{alg:?}","kid":"{kid}"}}"#),
        &json(&good_claims()),
    )
}

fn rs256(kid: &str) -> String {
    token(JwtAlgorithm::RS256, &rsa_key(), kid)
}

/// An RS256 token whose `iss` is `issuer`.
fn rs256_from_issuer(kid: &str, issuer: &str) -> String {
    let mut claims = good_claims();
    claims.insert("iss".into(), issuer.into());
    sign(
        JwtAlgorithm::RS256,
        &rsa_key(),
        &format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#),
        &json(&claims),
    )
}

fn es256(kid: &str) -> String {
    token(JwtAlgorithm::ES256, &ec256_key(), kid)
}

fn eddsa(kid: &str) -> String {
    token(JwtAlgorithm::EdDSA, &ed25519_key(), kid)
}

fn authenticator(keys: &RemoteKeySet) -> Auth {
    JwtAuthenticator::builder(keys.clone(), PrincipalMapper::new())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .verified_token_cache(64)
        .dangerous_without_revocation()
        .build()
        .unwrap()
}

/// An authenticator for a key set found through discovery, with nothing said about
/// the issuer: what the key set knows is all there is.
fn discovered_authenticator(keys: &RemoteKeySet) -> Auth {
    JwtAuthenticator::builder(keys.clone(), PrincipalMapper::new())
        .audience(AUDIENCE)
        .dangerous_without_revocation()
        .build()
        .unwrap()
}

/// Serves a discovery document for the issuer `server.url("/realms/shop")` that
/// names `named` as its issuer and `/jwks` (one RS256 key, `rsa-1`) as its keys.
/// Returns the issuer URL.
fn serve_discovery(server: &JwksServer, named: Option<&str>) -> String {
    let issuer = server.url("/realms/shop");
    server.set("/jwks", ok(jwks(&[rsa_jwk("rsa-1")])));
    server.set(
        "/realms/shop/.well-known/openid-configuration",
        ok(format!(
            r#"{{"issuer":"{}","jwks_uri":"{}"}}"#,
            named.unwrap_or(&issuer),
            server.url("/jwks")
        )),
    );
    issuer
}

/// A builder for `server`'s `/jwks` with test-sized intervals and timeouts.
fn remote(server: &JwksServer) -> RemoteKeySetBuilder {
    RemoteKeySet::from_url(server.url("/jwks"))
        .dangerous_allow_http()
        .min_fetch_interval(INTERVAL)
        .timeout(Duration::from_secs(1))
}

/// Runs `test` on a fresh current-thread runtime, failing it after [`TEST_LIMIT`].
fn run<F: Future<Output = ()>>(test: F) {
    install_warning_capture();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            tokio::time::timeout(TEST_LIMIT, test)
                .await
                .expect("the test took too long");
        });
}

/// Asserts the token was accepted.
#[track_caller]
fn accepted<T>(result: Result<T, AuthError>) {
    if let Err(error) = result {
        panic!("refused: {error:?}");
    }
}

#[track_caller]
fn assert_unavailable<T: std::fmt::Debug>(result: Result<T, AuthError>) {
    match result {
        Err(error @ AuthError::Unavailable { component, .. }) => {
            assert_eq!(component, "key set");
            assert_eq!(error.status().as_u16(), 503);
        }
        other => panic!("expected 503 key set unavailable, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------
// Captured warnings: one global subscriber; each test finds its own by its port.

static WARNINGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn install_warning_capture() {
    use tracing_subscriber::layer::SubscriberExt as _;

    struct Capture;
    struct Text<'a>(&'a mut String);
    impl tracing::field::Visit for Text<'_> {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            let _ = write!(self.0, "{}={value:?} ", field.name());
        }
    }
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            if *event.metadata().level() == tracing::Level::WARN {
                let mut text = String::new();
                event.record(&mut Text(&mut text));
                WARNINGS.lock().unwrap().push(text);
            }
        }
    }
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = tracing::subscriber::set_global_default(
            tracing_subscriber::registry::Registry::default().with(Capture),
        );
    });
}

fn warnings_about(server: &JwksServer) -> Vec<String> {
    let port = format!("127.0.0.1:{}", server.addr.port());
    WARNINGS
        .lock()
        .unwrap()
        .iter()
        .filter(|w| w.contains(&port))
        .cloned()
        .collect()
}

// ---------------------------------------------------------------------------------
// Tests

#[test]
fn the_first_fetch_verifies_rs256_es256_and_eddsa_then_serves_from_cache() {
    run(async {
        let server = JwksServer::start().await;
        let encryption_key =
            r#"{"kty":"RSA","kid":"enc","use":"enc","alg":"RSA-OAEP","n":"AQAB","e":"AQAB"}"#;
        server.set(
            "/jwks",
            ok(jwks(&[
                rsa_jwk("rsa-1"),
                ec_jwk("ec-1", &ec256_key()),
                ed_jwk("ed-1"),
                encryption_key.to_owned(),
            ])),
        );
        let keys = remote(&server).fetch().await.unwrap();
        let set = keys.keys().unwrap();
        assert_eq!(set.len(), 3);
        assert_eq!(set.skipped().len(), 1, "the encryption key is set aside");
        assert_eq!(set.algorithm_of(Some("rsa-1")), Some(Algorithm::RS256));

        let auth = authenticator(&keys);
        for token in [rs256("rsa-1"), es256("ec-1"), eddsa("ed-1")] {
            let identity = auth.verify(&token).await.unwrap();
            assert_eq!(identity.info().subject(), "user-1");
        }
        // The key is pinned by the JWK: an ES256 token under the RSA key's `kid` fails.
        assert_invalid(
            auth.verify(&token(JwtAlgorithm::ES256, &ec256_key(), "rsa-1"))
                .await,
            TokenError::AlgorithmMismatch,
        );
        assert_eq!(server.hits("/jwks"), 1, "requests never fetch known keys");
    });
}

#[test]
fn a_pinned_algorithm_takes_keys_without_alg_and_skips_the_others() {
    run(async {
        let server = JwksServer::start().await;
        let rsa_without_alg = rsa_jwk("rsa-1").replace(r#""alg":"RS256","#, "");
        server.set(
            "/jwks",
            ok(jwks(&[rsa_without_alg, ec_jwk("ec-1", &ec256_key())])),
        );
        let keys = remote(&server)
            .pin_algorithm(Algorithm::RS256)
            .fetch()
            .await
            .unwrap();
        let auth = authenticator(&keys);
        accepted(auth.verify(&rs256("rsa-1")).await);
        assert_eq!(keys.keys().unwrap().skipped().len(), 1);
        assert_invalid(auth.verify(&es256("ec-1")).await, TokenError::UnknownKey);
    });
}

/// Which key error a refused document must report.
type Expected = fn(&KeyError) -> bool;

#[test]
fn the_jwk_set_loader_rules_apply_to_fetched_sets() {
    run(async {
        let server = JwksServer::start().await;
        let rsa1024 = {
            let pem = fixture("rsa1024.pub.pem");
            let pem = String::from_utf8(pem).unwrap();
            let der: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            let der =
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, der).unwrap();
            let (n, e) = (UTILS.rsa_pub_components_from_public_key)(&der).unwrap();
            format!(
                r#"{{"kty":"RSA","kid":"weak","alg":"RS256","n":"{}","e":"{}"}}"#,
                b64(n),
                b64(e)
            )
        };
        let cases: [(String, Expected); 4] = [
            (jwks(&[rsa_jwk("a"), rsa1024]), |e| {
                matches!(e, KeyError::RsaModulusSize { .. })
            }),
            (
                jwks(&[ed_jwk("a").replace(r#""crv":"Ed25519""#, r#""crv":"X25519""#)]),
                |e| matches!(e, KeyError::CurveMismatch { .. }),
            ),
            (jwks(&[rsa_jwk("a"), rsa_jwk("a")]), |e| {
                matches!(e, KeyError::DuplicateKid(_))
            }),
            (
                jwks(&[rsa_jwk("a").replace(r#""use":"sig""#, r#""use":"enc""#)]),
                |e| matches!(e, KeyError::EmptyKeySet),
            ),
        ];
        for (document, expected) in cases {
            server.set("/jwks", ok(document));
            match remote(&server).fetch().await {
                Err(JwksError::InvalidKeySet { source, .. }) => {
                    assert!(expected(&source), "{source:?}");
                }
                other => panic!("expected a refused key set, got {other:?}"),
            }
        }
    });
}

#[test]
fn discovery_finds_the_jwks_uri_of_the_exact_issuer() {
    run(async {
        let server = JwksServer::start().await;
        let issuer = server.url("/realms/shop");
        server.set("/jwks", ok(jwks(&[rsa_jwk("rsa-1")])));
        server.set(
            "/realms/shop/.well-known/openid-configuration",
            ok(format!(
                r#"{{"issuer":"{issuer}","jwks_uri":"{}","id_token_signing_alg_values_supported":["RS256"]}}"#,
                server.url("/jwks")
            )),
        );
        let keys = RemoteKeySet::from_issuer(&issuer)
            .dangerous_allow_http()
            .min_fetch_interval(INTERVAL)
            .fetch()
            .await
            .unwrap();
        assert_eq!(keys.issuer(), Some(issuer.as_str()));
        accepted(
            discovered_authenticator(&keys)
                .verify(&rs256_from_issuer("rsa-1", &issuer))
                .await,
        );
        assert_eq!(
            server.hits("/realms/shop/.well-known/openid-configuration"),
            1
        );
        assert_eq!(server.hits("/jwks"), 1);

        // A trailing slash is not the same issuer (OIDC Discovery §4.3).
        let other = format!("{issuer}/");
        match RemoteKeySet::from_issuer(&other)
            .dangerous_allow_http()
            .fetch()
            .await
        {
            Err(JwksError::IssuerMismatch { expected, found }) => {
                assert_eq!(expected, other);
                assert_eq!(found, issuer);
            }
            other => panic!("expected an issuer mismatch, got {other:?}"),
        }
        assert_eq!(
            server.hits("/jwks"),
            1,
            "a mismatched issuer's keys are not fetched"
        );

        // A broken discovery document is refused with a typed error.
        server.set(
            "/realms/shop/.well-known/openid-configuration",
            ok(r#"{"issuer":"#),
        );
        assert!(matches!(
            RemoteKeySet::from_issuer(&issuer)
                .dangerous_allow_http()
                .fetch()
                .await,
            Err(JwksError::InvalidDiscovery { .. })
        ));
    });
}

#[test]
fn a_token_from_another_issuer_signed_with_a_discovered_key_is_refused() {
    run(async {
        let server = JwksServer::start().await;
        let issuer = serve_discovery(&server, None);
        let keys = RemoteKeySet::from_issuer(&issuer)
            .dangerous_allow_http()
            .min_fetch_interval(INTERVAL)
            .fetch()
            .await
            .unwrap();
        let other = "https://tenant-b.example";
        let forged = rs256_from_issuer("rsa-1", other);
        let mut no_iss = good_claims();
        no_iss.remove("iss");
        let no_iss = sign(
            JwtAlgorithm::RS256,
            &rsa_key(),
            r#"{"alg":"RS256","kid":"rsa-1"}"#,
            &json(&no_iss),
        );

        // No `issuer(..)` call: `iss` is pinned to the discovered issuer anyway.
        let auth = discovered_authenticator(&keys);
        accepted(auth.verify(&rs256_from_issuer("rsa-1", &issuer)).await);
        assert_invalid(auth.verify(&forged).await, TokenError::InvalidIssuer);
        assert_invalid(auth.verify(&no_iss).await, TokenError::InvalidIssuer);

        // Naming the same issuer again is fine; naming another is no override.
        let builder = || {
            JwtAuthenticator::builder(keys.clone(), PrincipalMapper::new())
                .audience(AUDIENCE)
                .dangerous_without_revocation()
        };
        assert!(builder().issuer(issuer.as_str()).build().is_ok());
        match builder().issuer(other).build() {
            Err(error @ ConfigError::IssuerMismatch { .. }) => {
                assert_eq!(
                    error,
                    ConfigError::IssuerMismatch {
                        pinned: issuer.clone(),
                        pinned_by: "OIDC discovery",
                        configured: other.to_owned(),
                    }
                );
                assert!(
                    error.to_string().contains("dangerous_accept_any_issuer"),
                    "{error}"
                );
            }
            result => panic!("expected an issuer mismatch, got {result:?}"),
        }

        // The explicit opt-out, and only that, accepts any issuer.
        let any = builder().dangerous_accept_any_issuer().build().unwrap();
        accepted(any.verify(&forged).await);
        assert_eq!(
            builder()
                .issuer(issuer.as_str())
                .dangerous_accept_any_issuer()
                .build()
                .unwrap_err(),
            ConfigError::AnyIssuerConflict
        );

        // A key set that starts empty is pinned just the same.
        let empty = RemoteKeySet::from_issuer(&issuer)
            .dangerous_allow_http()
            .min_fetch_interval(INTERVAL)
            .start_empty()
            .unwrap();
        let auth = discovered_authenticator(&empty);
        accepted(auth.verify(&rs256_from_issuer("rsa-1", &issuer)).await);
        assert_invalid(auth.verify(&forged).await, TokenError::InvalidIssuer);
    });
}

#[test]
fn discovery_naming_another_issuer_fails_configuration() {
    run(async {
        let server = JwksServer::start().await;
        let attacker = "https://attacker.example";
        let issuer = serve_discovery(&server, Some(attacker));
        match RemoteKeySet::from_issuer(&issuer)
            .dangerous_allow_http()
            .fetch()
            .await
        {
            Err(JwksError::IssuerMismatch { expected, found }) => {
                assert_eq!(
                    (expected.as_str(), found.as_str()),
                    (issuer.as_str(), attacker)
                );
            }
            other => panic!("expected an issuer mismatch, got {other:?}"),
        }
        assert_eq!(
            server.hits("/jwks"),
            0,
            "the other issuer's keys are not fetched"
        );

        // Started without keys, it never gets any: every request fails closed.
        let empty = RemoteKeySet::from_issuer(&issuer)
            .dangerous_allow_http()
            .min_fetch_interval(INTERVAL)
            .start_empty()
            .unwrap();
        let auth = discovered_authenticator(&empty);
        for token in [
            rs256_from_issuer("rsa-1", attacker),
            rs256_from_issuer("rsa-1", &issuer),
        ] {
            assert_unavailable(auth.verify(&token).await);
        }
        assert_eq!(server.hits("/jwks"), 0);
        assert!(
            warnings_about(&server)
                .iter()
                .any(|warning| warning.contains(attacker)),
            "{:?}",
            warnings_about(&server)
        );
    });
}

#[test]
fn rotation_a_new_kid_fetches_once_and_the_removed_key_stops_verifying() {
    run(async {
        let server = JwksServer::start().await;
        server.set("/jwks", ok(jwks(&[rsa_jwk("rsa-1")])));
        let keys = remote(&server).fetch().await.unwrap();
        let auth = authenticator(&keys);
        let old = rs256("rsa-1");
        accepted(auth.verify(&old).await);
        accepted(auth.verify(&old).await); // now served by the verified-token cache

        // The provider rotates: a new key, the old one removed.
        server.set("/jwks", ok(jwks(&[ed_jwk("ed-2")])));
        tokio::time::sleep(INTERVAL + Duration::from_millis(50)).await;
        accepted(auth.verify(&eddsa("ed-2")).await);
        assert_eq!(server.hits("/jwks"), 2, "one fetch for the unknown kid");

        // The cached verification of the old token is not served: its key is gone.
        assert_invalid(auth.verify(&old).await, TokenError::UnknownKey);
        assert_eq!(server.hits("/jwks"), 2, "within the interval: no fetch");
    });
}

#[test]
fn the_background_refresh_replaces_the_keys() {
    run(async {
        let server = JwksServer::start().await;
        server.set("/jwks", ok(jwks(&[rsa_jwk("rsa-1")])));
        let keys = remote(&server)
            .refresh_interval(INTERVAL)
            .fetch()
            .await
            .unwrap();
        let auth = authenticator(&keys);
        let old = rs256("rsa-1");
        accepted(auth.verify(&old).await);

        server.set("/jwks", ok(jwks(&[ed_jwk("ed-2")])));
        let started = Instant::now();
        while keys.keys().unwrap().algorithm_of(Some("ed-2")).is_none() {
            assert!(started.elapsed() < Duration::from_secs(5), "no refresh");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Without any request having asked: the old key is gone, the new one works.
        assert_invalid(auth.verify(&old).await, TokenError::UnknownKey);
        accepted(auth.verify(&eddsa("ed-2")).await);
    });
}

#[test]
fn cache_control_max_age_brings_the_refresh_forward_within_bounds() {
    run(async {
        let server = JwksServer::start().await;
        server.set(
            "/jwks",
            Reply::Ok(
                jwks(&[rsa_jwk("rsa-1")]),
                vec![("cache-control", "public, max-age=0".to_owned())],
            ),
        );
        // Refresh every 10 minutes, but the response says it may change at once:
        // the next fetch comes after the minimum interval, not before.
        let _keys = remote(&server)
            .refresh_interval(Duration::from_secs(600))
            .fetch()
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(server.hits("/jwks"), 1, "never below the minimum interval");
        let started = Instant::now();
        while server.hits("/jwks") < 2 {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "max-age ignored"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
}

#[test]
fn a_storm_of_unknown_kids_fetches_at_most_once_per_interval() {
    install_warning_capture();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            tokio::time::timeout(TEST_LIMIT, async {
                let server = JwksServer::start().await;
                server.set("/jwks", ok(jwks(&[rsa_jwk("rsa-1")])));
                let keys = remote(&server)
                    .min_fetch_interval(Duration::from_secs(2))
                    .refresh_interval(Duration::from_secs(600))
                    .fetch()
                    .await
                    .unwrap();
                let auth = Arc::new(authenticator(&keys));
                let sprayed: Vec<String> = (0..50).map(|i| rs256(&format!("spray-{i}"))).collect();

                let burst = |round: usize| {
                    let tasks: Vec<_> = sprayed
                        .iter()
                        .map(|token| {
                            let auth = Arc::clone(&auth);
                            let token = token.clone();
                            tokio::spawn(async move { auth.verify(&token).await.map(|_| ()) })
                        })
                        .collect();
                    async move {
                        for task in tasks {
                            assert_invalid(task.await.unwrap(), TokenError::UnknownKey);
                        }
                        round
                    }
                };
                // Within the interval of the startup fetch: refused at once, no fetch.
                let started = Instant::now();
                burst(1).await;
                assert!(started.elapsed() < Duration::from_secs(1));
                assert_eq!(server.hits("/jwks"), 1);

                // After it: 50 concurrent requests share one fetch.
                tokio::time::sleep(Duration::from_millis(2_100)).await;
                burst(2).await;
                assert_eq!(server.hits("/jwks"), 2);
                burst(3).await;
                assert_eq!(server.hits("/jwks"), 2);
                // And the real key still works throughout.
                accepted(auth.verify(&rs256("rsa-1")).await);
            })
            .await
            .expect("the test took too long");
        });
}

#[test]
fn a_server_that_is_down_leaves_the_cached_keys_working() {
    run(async {
        let mut server = JwksServer::start().await;
        server.set("/jwks", ok(jwks(&[rsa_jwk("rsa-1")])));
        let keys = remote(&server)
            .refresh_interval(INTERVAL)
            .fetch()
            .await
            .unwrap();
        let auth = authenticator(&keys);
        server.stop().await;

        // Background refreshes fail, and a request's fetch for an unknown kid fails.
        tokio::time::sleep(INTERVAL + Duration::from_millis(300)).await;
        let started = Instant::now();
        assert_invalid(auth.verify(&rs256("rotated")).await, TokenError::UnknownKey);
        assert!(started.elapsed() < Duration::from_secs(2));
        accepted(auth.verify(&rs256("rsa-1")).await);
        let warnings = warnings_about(&server);
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("cannot fetch") && w.contains("cached keys stay in use")),
            "{warnings:?}"
        );
    });
}

#[test]
fn a_slow_server_is_cut_off_at_the_timeout_and_requests_do_not_wait_for_it() {
    run(async {
        let server = JwksServer::start().await;
        server.set("/jwks", ok(jwks(&[rsa_jwk("rsa-1")])));
        let keys = remote(&server).fetch().await.unwrap();
        let auth = Arc::new(authenticator(&keys));
        server.set(
            "/jwks",
            Reply::Slow(Duration::from_secs(30), jwks(&[ed_jwk("ed-2")])),
        );
        tokio::time::sleep(INTERVAL + Duration::from_millis(50)).await;

        // An unknown kid waits for the fetch, and no longer than the timeout (1 s).
        let waiting = tokio::spawn({
            let auth = Arc::clone(&auth);
            async move {
                let started = Instant::now();
                let result = auth.verify(&eddsa("ed-2")).await.map(|_| ());
                (result, started.elapsed())
            }
        });
        // Meanwhile, with the slow fetch in flight, known keys verify at once.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let started = Instant::now();
        accepted(auth.verify(&rs256("rsa-1")).await);
        assert!(started.elapsed() < Duration::from_millis(500));

        let (result, waited) = waiting.await.unwrap();
        assert_invalid(result, TokenError::UnknownKey);
        assert!(
            waited >= Duration::from_millis(900) && waited < Duration::from_secs(3),
            "{waited:?}"
        );
        accepted(auth.verify(&rs256("rsa-1")).await);
        let warnings = warnings_about(&server);
        assert!(
            warnings.iter().any(|w| w.contains("took longer than")),
            "{warnings:?}"
        );
    });
}

#[test]
fn garbage_oversized_failed_and_redirected_responses_keep_the_keys() {
    run(async {
        let server = JwksServer::start().await;
        server.set("/jwks", ok(jwks(&[rsa_jwk("rsa-1")])));
        server.set("/elsewhere", ok(jwks(&[ed_jwk("ed-2")])));
        let keys = remote(&server)
            .max_response_bytes(4096)
            .fetch()
            .await
            .unwrap();
        let auth = authenticator(&keys);
        let cases = [
            (ok("this is not json"), "not JSON"),
            (ok(r#"{"keys":"#), "not JSON"),
            (
                ok(format!(r#"{{"keys":[],"pad":"{}"}}"#, "x".repeat(5000))),
                "larger than 4096 bytes",
            ),
            (Reply::Unsized(10_000), "larger than 4096 bytes"),
            (Reply::Status(500), "status 500"),
            (
                Reply::Redirect(server.url("/elsewhere")),
                "redirects are not followed",
            ),
        ];
        let mut fetches = 1;
        for (reply, warning) in cases {
            server.set("/jwks", reply);
            tokio::time::sleep(INTERVAL + Duration::from_millis(20)).await;
            // The unknown kid causes a fetch, which fails: the token is refused...
            assert_invalid(auth.verify(&eddsa("ed-2")).await, TokenError::UnknownKey);
            fetches += 1;
            assert_eq!(server.hits("/jwks"), fetches, "{warning}");
            // ...and the cached keys still verify.
            accepted(auth.verify(&rs256("rsa-1")).await);
            let warnings = warnings_about(&server);
            assert!(
                warnings.iter().any(|w| w.contains(warning)),
                "no warning with {warning:?}: {warnings:?}"
            );
        }
        assert_eq!(
            server.hits("/elsewhere"),
            0,
            "the redirect was not followed"
        );
    });
}

#[test]
fn never_fetched_and_the_server_down_fails_closed_with_503() {
    run(async {
        // A port that refuses connections.
        let closed = {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            listener.local_addr().unwrap()
        };
        let url = format!("http://{closed}/jwks");
        let builder = || {
            RemoteKeySet::from_url(&url)
                .dangerous_allow_http()
                .min_fetch_interval(INTERVAL)
                .timeout(Duration::from_secs(1))
        };

        // At startup, `fetch` says why it cannot start.
        assert!(matches!(
            builder().fetch().await,
            Err(JwksError::Connect { .. })
        ));

        // Started empty, every request fails closed.
        let keys = builder().start_empty().unwrap();
        assert!(keys.keys().is_none());
        let auth = authenticator(&keys);
        let started = Instant::now();
        for _ in 0..3 {
            assert_unavailable(auth.verify(&rs256("rsa-1")).await);
        }
        assert!(started.elapsed() < Duration::from_secs(3));
        let response = auth
            .verify(&rs256("rsa-1"))
            .await
            .unwrap_err()
            .response(REALM);
        assert_eq!(response.status.as_u16(), 503);
        assert_eq!(response.error, "temporarily_unavailable");
    });
}

#[test]
fn started_empty_the_keys_arrive_when_the_server_recovers() {
    run(async {
        let server = JwksServer::start().await;
        server.set("/jwks", Reply::Status(503));
        let keys = remote(&server).start_empty().unwrap();
        let auth = authenticator(&keys);
        assert_unavailable(auth.verify(&rs256("rsa-1")).await);

        server.set("/jwks", ok(jwks(&[rsa_jwk("rsa-1")])));
        tokio::time::sleep(INTERVAL + Duration::from_millis(50)).await;
        // The retry (background, or this request's own) finds the keys.
        accepted(auth.verify(&rs256("rsa-1")).await);
        assert!(server.hits("/jwks") <= 3, "{}", server.hits("/jwks"));
    });
}

#[test]
fn http_is_refused_without_the_dangerous_opt_in() {
    run(async {
        let server = JwksServer::start().await;
        server.set("/jwks", ok(jwks(&[rsa_jwk("rsa-1")])));
        assert!(matches!(
            RemoteKeySet::from_url(server.url("/jwks")).fetch().await,
            Err(JwksError::InsecureUrl { .. })
        ));
        assert!(matches!(
            RemoteKeySet::from_url(server.url("/jwks")).start_empty(),
            Err(JwksError::InsecureUrl { .. })
        ));
        assert!(matches!(
            RemoteKeySet::from_issuer(server.url("")).fetch().await,
            Err(JwksError::InsecureUrl { .. })
        ));
        let message = RemoteKeySet::from_url(server.url("/jwks"))
            .fetch()
            .await
            .unwrap_err()
            .to_string();
        assert!(message.contains("dangerous_allow_http"), "{message}");
        assert_eq!(server.hits("/jwks"), 0, "nothing was fetched");
    });
}

#[test]
fn settings_out_of_bounds_are_refused_at_startup() {
    run(async {
        let builder = || RemoteKeySet::from_url("https://idp.example/jwks");
        for (builder, setting) in [
            (
                builder().min_fetch_interval(Duration::from_millis(10)),
                "min_fetch_interval",
            ),
            (
                builder()
                    .min_fetch_interval(Duration::from_secs(60))
                    .refresh_interval(Duration::from_secs(30)),
                "refresh_interval",
            ),
            (
                builder().refresh_interval(Duration::MAX),
                "refresh_interval",
            ),
            (builder().timeout(Duration::ZERO), "timeout"),
            (builder().connect_timeout(Duration::ZERO), "connect_timeout"),
        ] {
            match builder.start_empty() {
                Err(JwksError::InvalidSetting {
                    setting: actual, ..
                }) => {
                    assert_eq!(actual, setting);
                }
                other => panic!("expected {setting} refused, got {other:?}"),
            }
        }
        assert!(matches!(
            builder().max_response_bytes(0).start_empty(),
            Err(JwksError::ZeroResponseLimit)
        ));
        assert!(matches!(
            RemoteKeySet::from_url("https://idp.example/jwks#frag").start_empty(),
            Err(JwksError::InvalidUrl { .. })
        ));
        assert!(matches!(
            builder()
                .add_root_certificate_pem("not a certificate")
                .start_empty(),
            Err(JwksError::InvalidRootCertificate { .. })
        ));
    });
    // Outside a Tokio runtime there is nothing to run the refresh on.
    assert!(matches!(
        RemoteKeySet::from_url("https://idp.example/jwks").start_empty(),
        Err(JwksError::NoRuntime)
    ));
}

#[test]
fn dropping_the_key_set_stops_the_background_refresh() {
    run(async {
        let server = JwksServer::start().await;
        server.set("/jwks", ok(jwks(&[rsa_jwk("rsa-1")])));
        let keys = remote(&server)
            .refresh_interval(INTERVAL)
            .fetch()
            .await
            .unwrap();
        let auth = authenticator(&keys);
        drop((keys, auth));
        tokio::time::sleep(INTERVAL * 2 + Duration::from_millis(200)).await;
        assert_eq!(server.hits("/jwks"), 1);
    });
}

#[test]
fn the_attackers_key_is_never_fetched_through_the_token() {
    // A token cannot bring its own key set: `jku` pointing at the attacker's JWKS
    // server is not fetched, and an unknown kid only ever re-fetches the configured URL.
    run(async {
        let server = JwksServer::start().await;
        let attacker = JwksServer::start().await;
        server.set("/jwks", ok(jwks(&[rsa_jwk("rsa-1")])));
        attacker.set("/jwks", ok(jwks(&[ec_jwk("evil", &attacker_ec_key())])));
        let keys = remote(&server).fetch().await.unwrap();
        let auth = authenticator(&keys);
        tokio::time::sleep(INTERVAL + Duration::from_millis(20)).await;
        let forged = sign(
            JwtAlgorithm::ES256,
            &attacker_ec_key(),
            &format!(
                r#"{{"alg":"ES256","kid":"evil","jku":"{}"}}"#,
                attacker.url("/jwks")
            ),
            &json(&good_claims()),
        );
        assert_invalid(auth.verify(&forged).await, TokenError::UnknownKey);
        assert_eq!(attacker.hits("/jwks"), 0);
        assert_eq!(server.hits("/jwks"), 2);
    });
}

#[test]
fn https_checks_the_server_certificate_and_needs_no_opt_in() {
    run(async {
        let server = JwksServer::start_tls().await;
        server.set("/jwks", ok(jwks(&[rsa_jwk("rsa-1")])));
        let url = format!("https://127.0.0.1:{}/jwks", server.addr.port());

        // Signed by a CA the system does not trust: the handshake fails.
        match RemoteKeySet::from_url(&url)
            .timeout(Duration::from_secs(2))
            .fetch()
            .await
        {
            Err(JwksError::Connect { reason, .. }) => {
                assert!(reason.contains("certificate"), "{reason}");
            }
            other => panic!("expected an untrusted certificate, got {other:?}"),
        }
        assert_eq!(server.hits("/jwks"), 0, "no request was sent");

        // With the test CA added, the same server is trusted.
        let keys = RemoteKeySet::from_url(&url)
            .add_root_certificate_pem(jwks_fixture("jwks-ca.pem"))
            .timeout(Duration::from_secs(2))
            .fetch()
            .await
            .unwrap();
        accepted(authenticator(&keys).verify(&rs256("rsa-1")).await);
        assert_eq!(server.hits("/jwks"), 1);

        // The client speaks TLS only: the TLS port does not answer plain HTTP.
        let plain = format!("http://127.0.0.1:{}/jwks", server.addr.port());
        assert!(
            RemoteKeySet::from_url(plain)
                .dangerous_allow_http()
                .timeout(Duration::from_secs(2))
                .fetch()
                .await
                .is_err()
        );
    });
}
