//! `orders-grpc`: the orders service on tonic, with the same policies
//! ([`crate::policy`]), data ([`crate::domain`], [`crate::db`], `SQLite`) and
//! authenticators ([`Service::authenticator`]) as the HTTP services.
//!
//! The service's `impl` carries `#[auth_core::tonic::service]`, so every method
//! says who may call it (a method with neither attribute does not compile), and
//! only [`SecureServer`] serves it: authentication runs in its layer, and an
//! unauthenticated call to a guarded method is `UNAUTHENTICATED` before its
//! message is decoded. The proto is `examples/proto/orders.proto`.

use std::sync::Arc;

use auth_core::limit::{HasPlanLimits, PlanLimits};
use auth_core::tonic::SecureServer;
use auth_core::{Authenticated, Permit};
use tonic::{Request, Response, Status};

use crate::domain::{Delete, NewOrder, Order, Read, User};
use crate::error::ApiError;
use crate::page::PageQuery;
use crate::service::Service;
use crate::stores::PlanLimitStores;

/// The messages and service trait generated from `proto/orders.proto`
/// (`build.rs`), and the client the tests use.
#[allow(
    missing_docs,
    unreachable_pub,
    clippy::pedantic,
    clippy::default_trait_access,
    reason = "generated code"
)]
pub mod pb {
    tonic::include_proto!("orders.v1");
}

use pb::orders_server::{Orders, OrdersServer};

/// The orders service's gRPC face.
#[derive(Debug, Clone)]
pub struct OrdersGrpc {
    service: Arc<Service>,
}

impl OrdersGrpc {
    /// Serves `service`.
    pub fn new(service: Arc<Service>) -> Self {
        OrdersGrpc { service }
    }
}

/// The plan limits `check(within_plan)` reads (`state = self`).
impl HasPlanLimits for OrdersGrpc {
    type Store = PlanLimitStores;

    fn plan_limits(&self) -> &PlanLimits<PlanLimitStores> {
        &self.service.plan_limits
    }
}

/// An [`ApiError`] as a gRPC status: auth failures through auth-core's mapping
/// (with their challenges), the rest by their HTTP status.
fn status(error: ApiError) -> Status {
    match error {
        ApiError::Auth(error) => Status::from(error),
        // The database failed: as the HTTP services' loaders answer it, 503.
        ApiError::Internal(error) => {
            tracing::error!(%error, "the orders database failed");
            Status::unavailable("the service cannot answer right now")
        }
        other => {
            let (code, _, description, _) = other.parts();
            let code =
                http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            Status::new(auth_core::tonic::code_of(code), description)
        }
    }
}

fn order_reply(order: Order) -> pb::Order {
    pb::Order {
        id: order.id,
        owner_id: order.owner_id,
        item: order.item,
        amount: order.amount,
        region: order.region,
    }
}

impl OrdersGrpc {
    /// Loads one order: no such order is `NOT_FOUND`, a database failure
    /// `UNAVAILABLE`. Called after the method's gates allowed.
    fn load(&self, id: i64) -> Result<Order, Status> {
        self.service
            .db
            .order(id)
            .map_err(|error| status(ApiError::Internal(error)))?
            .ok_or_else(|| Status::not_found("the resource was not found"))
    }
}

#[auth_core::tonic::service]
#[tonic::async_trait]
impl Orders for OrdersGrpc {
    #[public]
    async fn health(
        &self,
        _request: Request<pb::HealthRequest>,
    ) -> Result<Response<pb::HealthReply>, Status> {
        Ok(Response::new(pb::HealthReply {
            status: "ok".to_owned(),
        }))
    }

    #[public]
    async fn list_products(
        &self,
        _request: Request<pb::ListProductsRequest>,
    ) -> Result<Response<pb::ListProductsReply>, Status> {
        let products = self
            .service
            .db
            .products()
            .map_err(|error| status(ApiError::Internal(error)))?
            .into_iter()
            .map(|product| pb::Product {
                id: product.id,
                name: product.name,
                price: product.price,
            })
            .collect();
        Ok(Response::new(pb::ListProductsReply { products }))
    }

    /// The scope first (`PERMISSION_DENIED` with `insufficient_scope`), then the
    /// order is loaded (`NOT_FOUND`) and the Read policy decides on it
    /// (`PERMISSION_DENIED` for another customer's order, as over HTTP).
    #[requires(scope("orders:read"))]
    async fn get_order(
        &self,
        request: Request<pb::GetOrderRequest>,
        user: Authenticated<User>,
    ) -> Result<Response<pb::Order>, Status> {
        let order = self.load(request.into_inner().id)?;
        let permit: Permit<'_, Read, Order> = user.authorize_with(order, &self.service.rules)?;
        Ok(Response::new(order_reply(permit.into_resource())))
    }

    /// The caller's orders (an admin's: all), the Read filter as the query's
    /// `WHERE`; past the plan's quota `RESOURCE_EXHAUSTED` with `retry-after`.
    #[requires(scope("orders:read"), check(auth_core::limit::within_plan), state = self)]
    async fn list_my_orders(
        &self,
        request: Request<pb::ListMyOrdersRequest>,
        user: Authenticated<User>,
    ) -> Result<Response<pb::ListMyOrdersReply>, Status> {
        let request = request.into_inner();
        let query = PageQuery {
            limit: (request.limit != 0).then_some(request.limit),
            after: (request.after != 0).then_some(request.after),
        };
        let page = self.service.orders(&user, query).map_err(status)?;
        Ok(Response::new(pb::ListMyOrdersReply {
            orders: page.items.into_iter().map(order_reply).collect(),
            next: page.next.unwrap_or(0),
        }))
    }

    #[requires(scope("orders:write"))]
    async fn create_order(
        &self,
        request: Request<pb::CreateOrderRequest>,
        user: Authenticated<User>,
    ) -> Result<Response<pb::Order>, Status> {
        let request = request.into_inner();
        let new = NewOrder {
            item: request.item,
            amount: request.amount,
        };
        crate::validate::Validate::validate(&new).map_err(status)?;
        let order = self.service.create_order(&user, &new).map_err(status)?;
        Ok(Response::new(order_reply(order)))
    }

    /// The scope, then the Delete policy on the loaded order.
    #[requires(scope("orders:write"))]
    async fn delete_order(
        &self,
        request: Request<pb::DeleteOrderRequest>,
        user: Authenticated<User>,
    ) -> Result<Response<pb::DeleteOrderReply>, Status> {
        let order = self.load(request.into_inner().id)?;
        let permit: Permit<'_, Delete, Order> = user.authorize_with(order, &self.service.rules)?;
        self.service
            .db
            .delete_order(&permit)
            .map_err(|error| status(ApiError::Internal(error)))?;
        Ok(Response::new(pb::DeleteOrderReply {}))
    }
}

/// The secure server for `service`: only guarded services, behind the
/// authentication layer, with the service's own authenticators (bearer JWT,
/// session cookie, API key).
pub fn server(service: &Arc<Service>) -> SecureServer<User> {
    SecureServer::new(service.authenticator.clone())
        .add_service(OrdersGrpc::new(Arc::clone(service)), OrdersServer::new)
}
