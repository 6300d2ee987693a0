//! `cargo run -p examples --bin orders-actix`: the orders service on actix-web,
//! with the same policies as `orders-api`. Listens on `ORDERS_API_ADDR` too, and
//! takes the same configuration and exit codes (2: a bad variable, named; 1: a
//! start error, naming the variable when one is at fault).

use std::process::ExitCode;

use examples::config::Config;
use examples::orders_actix;
use examples::service::{Service, StartError};

#[actix_web::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(examples::logging::filter("info"))
        .init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("orders-actix: bad configuration: {error}");
            return ExitCode::from(2);
        }
    };
    let service = match Service::start(&config).await {
        Ok(service) => service,
        // A roles file or a policy set that is refused will be refused again:
        // fix it first.
        Err(error @ (StartError::Roles(_) | StartError::Rules(_))) => {
            eprintln!("orders-actix: bad configuration: {error}");
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("orders-actix: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match std::net::TcpListener::bind(config.addr) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "orders-actix: cannot listen on {} (ORDERS_API_ADDR): {error}",
                config.addr
            );
            return ExitCode::FAILURE;
        }
    };
    println!("orders-actix listening on http://{}", config.addr);
    match orders_actix::serve(listener, service).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("orders-actix: server error: {error}");
            ExitCode::FAILURE
        }
    }
}
