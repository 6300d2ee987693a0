// RED TEAM FINDING (compiles, should not): a `#[public]` handler admits a
// principal under another name. The `PublicParam` probe catches
// `Authenticated<_>`, `Option<..>` and `Result<..>` of one, spelled out or behind
// a type alias, but not a newtype extractor, a tuple, or a type parameter
// instantiated at the mount. Each handler below returns `Guarded<_, ()>`, so the
// secure routers authenticate nothing first and the matrix lists it `PUBLIC`; on
// actix-web, `Option<..>` of any of them turns a forged token or an outage into a
// guest (`tests/adversarial/tests/red_team.rs`, finding 1). Move to `ui/fail/`
// once the macro refuses them.
use std::future::Future;
use std::pin::Pin;

use auth_core::{public, Authenticated, Guarded};
use auth_tests::User;

/// "The current user", as services wrap it.
struct Viewer(Authenticated<User>);

impl actix_web::FromRequest for Viewer {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(
        request: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let principal = Authenticated::<User>::from_request(request, payload);
        Box::pin(async move { principal.await.map(Viewer).map_err(Into::into) })
    }
}

#[public]
async fn through_a_newtype(viewer: Option<Viewer>) -> String {
    viewer.map_or_else(String::new, |Viewer(user)| user.id.to_string())
}

#[public]
async fn through_a_tuple(visitor: Option<(Authenticated<User>,)>) -> String {
    visitor.map_or_else(String::new, |(user,)| user.id.to_string())
}

#[public]
async fn through_a_type_parameter<V: Send + 'static>(visitor: V) -> String {
    let _ = visitor;
    String::new()
}

fn main() {
    // Who each handler admits, as the mounts read it: nobody.
    let _newtype: fn(Option<Viewer>) -> _ = |viewer| async move {
        let out: Guarded<String, ()> = through_a_newtype(viewer).await;
        out
    };
    let _actix = auth_core::actix::SecureScope::new("")
        .route("/newtype", auth_core::actix::get(through_a_newtype))
        .route("/tuple", auth_core::actix::get(through_a_tuple))
        .route(
            "/generic",
            auth_core::actix::get(through_a_type_parameter::<Option<Authenticated<User>>>),
        );
}
