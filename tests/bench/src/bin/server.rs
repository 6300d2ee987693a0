//! The end-to-end bench server (item 6 of BENCHMARKS.md): three routes that return
//! the same static body and differ only in what guards them.
//!
//! - `GET /public`: `#[public]`, no check;
//! - `GET /guarded`: `#[requires(authenticated)]`, the library's axum extractor over
//!   a `JwtAuthenticator` (HS256, `iss`, `aud`, in-memory revocation);
//! - `GET /baseline`: a plain axum handler behind a hand-written middleware that
//!   calls `jsonwebtoken::decode` with the same validation: what a user writes
//!   without the library.
//!
//! Configuration, by environment:
//! - `AUTH_BENCH_ADDR`: where to listen, default `127.0.0.1:8090`;
//! - `AUTH_BENCH_CACHE`: capacity of the verified-token cache; unset or `default`
//!   for the library's default (4 096), `0` for none.
//!
//! At start it prints one line `token <jwt>`: a token valid for an hour that every
//! route accepts. `load.sh` drives it with `wrk`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::axum::{SecureRouter, get};
use auth_core::jwt::{HmacAlgorithm, JwtAuthenticator, KeySet, PrincipalMapper, VerifyingKey};
use auth_core::revocation::MemoryRevocationStore;
use auth_core::{Authenticated, SharedAuthenticator, public, requires};
use axum::extract::{FromRef, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::AUTHORIZATION;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

const SECRET: &[u8] = b"auth-bench: a 32-byte HS256 key.";
const ISSUER: &str = "auth-bench";
const AUDIENCE: &str = "auth-bench";
const BODY: &str = "hello, world";

#[derive(Clone)]
struct AppState {
    auth: SharedAuthenticator<auth_core::jwt::Principal>,
}

impl FromRef<AppState> for SharedAuthenticator<auth_core::jwt::Principal> {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

#[public]
async fn public_route() -> &'static str {
    BODY
}

#[requires(authenticated)]
async fn guarded_route(_user: Authenticated<auth_core::jwt::Principal>) -> &'static str {
    BODY
}

async fn baseline_route() -> &'static str {
    BODY
}

/// The claims a hand-written middleware would read.
#[derive(Debug, Serialize, Deserialize)]
struct TokenClaims {
    sub: String,
    iss: String,
    aud: String,
    exp: u64,
    nbf: u64,
    iat: u64,
    jti: String,
    scope: String,
    roles: Vec<String>,
}

/// What a hand-written `jsonwebtoken` middleware keeps: the key and the validation.
#[derive(Clone)]
struct Baseline {
    key: Arc<DecodingKey>,
    validation: Arc<Validation>,
}

/// The hand-written middleware: `Bearer` header, `jsonwebtoken::decode`, claims into
/// the request extensions, 401 otherwise.
async fn baseline_auth(
    State(baseline): State<Baseline>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let Some(token) = token else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match jsonwebtoken::decode::<TokenClaims>(token, &baseline.key, &baseline.validation) {
        Ok(data) => {
            request.extensions_mut().insert(Arc::new(data.claims));
            next.run(request).await
        }
        Err(_) => StatusCode::UNAUTHORIZED.into_response(),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

fn mint_token() -> Result<String, jsonwebtoken::errors::Error> {
    let now = unix_now();
    let claims = TokenClaims {
        sub: "user-42".to_owned(),
        iss: ISSUER.to_owned(),
        aud: AUDIENCE.to_owned(),
        exp: now + 3600,
        nbf: now,
        iat: now,
        jti: "3f1c9b2e-bench".to_owned(),
        scope: "orders:read orders:write".to_owned(),
        roles: vec!["customer".to_owned()],
    };
    jsonwebtoken::encode(
        &Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET),
    )
}

fn router(cache: Option<usize>) -> Result<axum::Router, Box<dyn std::error::Error>> {
    let keys = KeySet::single(VerifyingKey::hmac(HmacAlgorithm::HS256, SECRET)?);
    let builder = JwtAuthenticator::builder(keys, PrincipalMapper::new())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .revocation(Arc::new(MemoryRevocationStore::new()));
    let builder = match cache {
        None => builder,
        Some(0) => builder.without_verified_token_cache(),
        Some(capacity) => builder.verified_token_cache(capacity),
    };
    let state = AppState {
        auth: SharedAuthenticator::new(builder.build()?).with_realm("auth-bench"),
    };

    let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.validate_nbf = true;
    validation.leeway = 30;
    let baseline = Baseline {
        key: Arc::new(DecodingKey::from_secret(SECRET)),
        validation: Arc::new(validation),
    };
    let hand_written = axum::Router::new()
        .route("/baseline", axum::routing::get(baseline_route))
        .layer(middleware::from_fn_with_state(baseline, baseline_auth));

    Ok(SecureRouter::new()
        .route("/public", get(public_route))
        .route("/guarded", get(guarded_route))
        .with_state(state)
        .merge(hand_written))
}

#[tokio::main]
async fn main() -> ExitCode {
    install_crypto_provider();
    let addr: SocketAddr = match std::env::var("AUTH_BENCH_ADDR")
        .as_deref()
        .unwrap_or("127.0.0.1:8090")
        .parse()
    {
        Ok(addr) => addr,
        Err(error) => {
            eprintln!("auth-bench-server: AUTH_BENCH_ADDR: {error}");
            return ExitCode::from(2);
        }
    };
    let cache = match std::env::var("AUTH_BENCH_CACHE").as_deref() {
        Err(_) | Ok("default") => Ok(None),
        Ok(capacity) => capacity.parse().map(Some),
    };
    let cache = match cache {
        Ok(cache) => cache,
        Err(error) => {
            eprintln!("auth-bench-server: AUTH_BENCH_CACHE: {error}");
            return ExitCode::from(2);
        }
    };
    let (app, token) = match router(cache).and_then(|app| Ok((app, mint_token()?))) {
        Ok(ready) => ready,
        Err(error) => {
            eprintln!("auth-bench-server: {error}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("auth-bench-server: cannot listen on {addr}: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("token {token}");
    println!("listening on http://{addr} (token cache: {cache:?}, None = the default)");
    match axum::serve(listener, app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("auth-bench-server: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Raw `jsonwebtoken` uses its process-wide provider; name it, so a build with both
/// backends (`--all-features`) still runs, on the backend auth-core uses.
fn install_crypto_provider() {
    #[cfg(feature = "aws_lc_rs")]
    let provider = &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
    #[cfg(all(feature = "rust_crypto", not(feature = "aws_lc_rs")))]
    let provider = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
    #[cfg(any(feature = "aws_lc_rs", feature = "rust_crypto"))]
    let _ = provider.install_default();
}
