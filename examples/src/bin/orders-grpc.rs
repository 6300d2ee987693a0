//! `cargo run -p examples --bin orders-grpc`: the orders service on tonic (gRPC),
//! with the same policies, database and authenticators as `orders-api`. Listens
//! on `ORDERS_GRPC_ADDR` (default `127.0.0.1:50051`) and takes the rest of the
//! same configuration (`ORDERS_API_*`) and exit codes (2: a bad variable, named;
//! 1: a start error). The proto is `examples/proto/orders.proto`.

use std::net::SocketAddr;
use std::process::ExitCode;

use examples::config::Config;
use examples::orders_grpc;
use examples::service::{Service, StartError};

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(examples::logging::filter("info"))
        .init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("orders-grpc: bad configuration: {error}");
            return ExitCode::from(2);
        }
    };
    let addr: SocketAddr = match std::env::var("ORDERS_GRPC_ADDR") {
        Err(_) => SocketAddr::from(([127, 0, 0, 1], 50051)),
        Ok(text) => {
            let Ok(addr) = text.parse() else {
                eprintln!(
                    "orders-grpc: bad configuration: ORDERS_GRPC_ADDR must be an address and port, e.g. 127.0.0.1:50051"
                );
                return ExitCode::from(2);
            };
            addr
        }
    };
    let service = match Service::start(&config).await {
        Ok(service) => service,
        Err(error @ (StartError::Roles(_) | StartError::Rules(_))) => {
            eprintln!("orders-grpc: bad configuration: {error}");
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("orders-grpc: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("orders-grpc: cannot listen on {addr} (ORDERS_GRPC_ADDR): {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("orders-grpc listening on http://{addr}");
    let shutdown = async {
        // Ctrl-C: stop accepting, finish the calls in flight.
        let _ = tokio::signal::ctrl_c().await;
    };
    match orders_grpc::server(&service)
        .serve_with_listener(listener, shutdown)
        .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("orders-grpc: server error: {error}");
            ExitCode::FAILURE
        }
    }
}
