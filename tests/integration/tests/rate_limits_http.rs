//! The plan gate over real HTTP, on axum and on actix-web: a plan within its
//! quota is served, the next request is a 429 with `Retry-After` and the
//! `RateLimit-Policy` and `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers-11), a plan without
//! access is a 403, another principal keeps its own quota, and a request
//! refused by an earlier gate is not counted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use auth_core::limit::{
    HasPlan, HasPlanLimits, MemoryRateLimits, PlanLimits, Plans, Quota, within_plan,
};
use auth_core::{
    AuthError, Authenticated, Authenticator, Identity, Mechanism, Scopes, SharedAuthenticator,
    TokenError, public, requires,
};
use auth_integration::client::{Response, get};
use http::request::Parts;

/// `Authorization: Bearer <subject>:<plan>[:<scope>]`.
struct PlanAuthenticator;

#[derive(Clone)]
struct Customer {
    plan: String,
}

impl HasPlan for Customer {
    fn plan(&self) -> &str {
        &self.plan
    }
}

impl Authenticator for PlanAuthenticator {
    type User = Customer;

    async fn authenticate(&self, request: &Parts) -> Result<Identity<Customer>, AuthError> {
        let value = request
            .headers
            .get(http::header::AUTHORIZATION)
            .ok_or(AuthError::MissingCredentials)?
            .to_str()
            .map_err(|_| AuthError::InvalidToken(TokenError::Malformed))?;
        let credential = value
            .strip_prefix("Bearer ")
            .ok_or(AuthError::InvalidToken(TokenError::Malformed))?;
        let mut parts = credential.split(':');
        let (Some(subject), Some(plan)) = (parts.next(), parts.next()) else {
            return Err(AuthError::InvalidToken(TokenError::Malformed));
        };
        let scopes = Scopes::from_space_separated(parts.next().unwrap_or("orders:read"));
        Ok(Identity::new(
            Customer {
                plan: plan.to_owned(),
            },
            subject,
            Mechanism::BearerToken,
        )
        .scopes(scopes))
    }
}

type Limits = PlanLimits<MemoryRateLimits>;

fn limits() -> Arc<Limits> {
    let plans = Plans::new()
        .with("free", Quota::per_hour(3).unwrap())
        .unwrap()
        .with("pro", Quota::per_hour(100).unwrap())
        .unwrap()
        .without_access("suspended")
        .unwrap();
    Arc::new(PlanLimits::new(plans, MemoryRateLimits::default()))
}

/// The limits, as a handler parameter (`state = limits` reads it).
struct LimitsParam(Arc<Limits>);

impl HasPlanLimits for LimitsParam {
    type Store = MemoryRateLimits;
    fn plan_limits(&self) -> &Limits {
        &self.0
    }
}

mod on_axum {
    use super::*;
    use auth_core::axum::{SecureRouter, get};
    use axum::extract::{FromRef, FromRequestParts};

    #[derive(Clone)]
    pub(crate) struct App {
        auth: SharedAuthenticator<Customer>,
        limits: Arc<Limits>,
    }

    impl FromRef<App> for SharedAuthenticator<Customer> {
        fn from_ref(app: &App) -> Self {
            app.auth.clone()
        }
    }

    impl FromRequestParts<App> for LimitsParam {
        type Rejection = std::convert::Infallible;
        async fn from_request_parts(_: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
            Ok(LimitsParam(Arc::clone(&app.limits)))
        }
    }

    #[public]
    async fn health() -> &'static str {
        "ok"
    }

    #[requires(scope("orders:read"), check(within_plan), state = limits)]
    async fn orders(user: Authenticated<Customer>, limits: LimitsParam) -> String {
        format!("orders of {}", user.subject())
    }

    pub(crate) async fn start() -> SocketAddr {
        let app = App {
            auth: SharedAuthenticator::new(PlanAuthenticator).with_realm("shop"),
            limits: limits(),
        };
        let router: axum::Router = SecureRouter::new()
            .route("/health", get(health))
            .route("/orders", get(orders))
            .with_state(app);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        addr
    }
}

mod on_actix {
    use super::*;
    use actix_web::{App, FromRequest, HttpRequest, HttpServer, web};
    use auth_core::actix::{SecureScope, get};

    impl FromRequest for LimitsParam {
        type Error = actix_web::Error;
        type Future = std::future::Ready<Result<Self, Self::Error>>;
        fn from_request(request: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
            let limits = request
                .app_data::<web::Data<Limits>>()
                .map(|data| LimitsParam(data.clone().into_inner()))
                .ok_or_else(|| actix_web::error::ErrorInternalServerError("no limits"));
            std::future::ready(limits)
        }
    }

    #[public]
    async fn health() -> &'static str {
        "ok"
    }

    #[requires(scope("orders:read"), check(within_plan), state = limits)]
    async fn orders(user: Authenticated<Customer>, limits: LimitsParam) -> String {
        format!("orders of {}", user.subject())
    }

    pub(crate) fn start() -> SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let auth = SharedAuthenticator::new(PlanAuthenticator).with_realm("shop");
                let limits = web::Data::from(limits());
                HttpServer::new(move || {
                    App::new()
                        .app_data(web::Data::new(auth.clone()))
                        .app_data(limits.clone())
                        .service(
                            SecureScope::new("")
                                .route("/health", get(health))
                                .route("/orders", get(orders)),
                        )
                })
                .workers(1)
                .listen(listener)
                .unwrap()
                .run()
                .await
            })
        });
        addr
    }
}

async fn wait_until_up(addr: SocketAddr) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the server did not start");
}

fn assert_rate_limited(response: &Response) {
    assert_eq!(response.status, 429, "{response:?}");
    // 3 an hour: one every 20 minutes, the first of which has just begun.
    let retry_after: u64 = response.header("retry-after").unwrap().parse().unwrap();
    assert!((1190..=1200).contains(&retry_after), "{retry_after}");
    assert_eq!(
        response.header("ratelimit-policy"),
        Some(r#""free";q=3;w=3600"#)
    );
    assert_eq!(
        response.header("ratelimit"),
        Some(format!(r#""free";r=0;t={retry_after}"#).as_str())
    );
    assert_eq!(response.json()["error"], "rate_limited");
    assert!(response.header("www-authenticate").is_none());
}

async fn the_plan_gate_answers(addr: SocketAddr) {
    wait_until_up(addr).await;
    // A request refused by the scope gate before it is not counted.
    for _ in 0..5 {
        let refused = get(addr, "/orders", Some("1:free:profile")).await;
        assert_eq!(refused.status, 403, "{refused:?}");
    }
    for _ in 0..3 {
        let served = get(addr, "/orders", Some("1:free")).await;
        assert_eq!(served.status, 200, "{served:?}");
        assert_eq!(served.body, "orders of 1");
    }
    let refused = get(addr, "/orders", Some("1:free")).await;
    assert_rate_limited(&refused);
    // `not(..)`-proof all the way to the wire: still refused.
    assert_rate_limited(&get(addr, "/orders", Some("1:free")).await);

    // Another principal, and a bigger plan, count on their own.
    assert_eq!(get(addr, "/orders", Some("2:free")).await.status, 200);
    for _ in 0..10 {
        assert_eq!(get(addr, "/orders", Some("3:pro")).await.status, 200);
    }
    // No access, or a plan nobody listed: 403, without rate-limit headers.
    for plan in ["4:suspended", "5:gold"] {
        let refused = get(addr, "/orders", Some(plan)).await;
        assert_eq!(refused.status, 403, "{refused:?}");
        assert!(refused.header("ratelimit").is_none());
    }
    // Authentication still comes first.
    assert_eq!(get(addr, "/orders", None).await.status, 401);
}

#[tokio::test]
async fn on_axum_a_plan_over_its_quota_gets_a_429_with_ratelimit_headers() {
    the_plan_gate_answers(on_axum::start().await).await;
}

#[tokio::test]
async fn on_actix_a_plan_over_its_quota_gets_a_429_with_ratelimit_headers() {
    the_plan_gate_answers(on_actix::start()).await;
}
