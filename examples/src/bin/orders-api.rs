//! `cargo run -p examples --bin orders-api`: the reference service on axum.
//!
//! Configuration by environment variable (see `examples::config`); a bad value
//! stops the start with a message naming the variable (exit code 2). A database
//! or Redis that cannot be reached at start is exit code 1, with a message naming
//! its variable: the configuration may be right and a retry succeed.
//!
//! `SIGINT` or `SIGTERM` stops accepting and lets open requests finish.
//!
//! `orders-api --authorization-matrix` prints every handler with its gates (from
//! the link-time inventory of `#[requires]` and `#[public]`) and the authenticators
//! the configured service uses, and exits. `orders-api --roles-matrix` prints, for
//! each role of the roles file (`ORDERS_API_ROLES_FILE`), every handler it reaches
//! and the gates that still apply, and exits. `orders-api --openapi` prints the
//! OpenAPI document `GET /openapi.json` serves, and exits; a document that does
//! not match the router (a route without an operation) stops the start (exit 1).

use std::process::ExitCode;

use examples::config::Config;
use examples::orders_api;
use examples::service::{Service, StartError};

#[tokio::main]
async fn main() -> ExitCode {
    let matrix = std::env::args().any(|arg| arg == "--authorization-matrix");
    let roles_matrix = std::env::args().any(|arg| arg == "--roles-matrix");
    let openapi = std::env::args().any(|arg| arg == "--openapi");
    if !matrix && !roles_matrix && !openapi {
        tracing_subscriber::fmt()
            .with_env_filter(examples::logging::filter("info,auth_core::audit=info"))
            .init();
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("orders-api: bad configuration: {error}");
            return ExitCode::from(2);
        }
    };
    let service = match Service::start(&config).await {
        Ok(service) => service,
        // A roles file or a policy set that is refused will be refused again:
        // fix it first.
        Err(error @ (StartError::Roles(_) | StartError::Rules(_))) => {
            eprintln!("orders-api: bad configuration: {error}");
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("orders-api: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    if roles_matrix {
        print!(
            "{}",
            auth_core::inventory::Matrix::collect()
                .within("examples::orders_api")
                .per_role(&service.roles)
        );
        drop(service);
        return ExitCode::SUCCESS;
    }
    if matrix {
        // After the start: the authenticators are the configured service's.
        print!(
            "{}",
            auth_core::inventory::Matrix::collect().within("examples::orders_api")
        );
        drop(service);
        return ExitCode::SUCCESS;
    }
    // The document is written from the gates: a route without an operation, or
    // an operation without a route, stops the start rather than serve a
    // document that says less than the router does.
    let document = match orders_api::openapi(&service).map(|doc| doc.to_pretty_json()) {
        Ok(Ok(json)) => json,
        Ok(Err(error)) => {
            eprintln!("orders-api: cannot start: the OpenAPI document: {error}");
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("orders-api: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    if openapi {
        println!("{document}");
        drop(service);
        return ExitCode::SUCCESS;
    }
    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "orders-api: cannot listen on {} (ORDERS_API_ADDR): {error}",
                config.addr
            );
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(addr = %config.addr, "orders-api listening");
    println!("orders-api listening on http://{}", config.addr);
    match orders_api::serve_until(listener, service, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("orders-api: server error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on `SIGINT` (Ctrl-C) or, on Unix, `SIGTERM` (what orchestrators send).
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: no new connections, finishing open requests");
}
