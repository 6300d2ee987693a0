//! Configuration from the environment. A bad value stops the start with a
//! message naming the variable.

use std::net::SocketAddr;
use std::time::Duration;

use crate::limits::Limits;

/// A configuration error: which variable, and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    /// The environment variable.
    pub variable: &'static str,
    /// What is wrong.
    pub problem: String,
}

/// The HS256 signing secret.
#[derive(Clone)]
pub enum Secret {
    /// From `ORDERS_API_JWT_SECRET`.
    Configured(Vec<u8>),
    /// Generated at start: tokens do not survive a restart, and instances do not
    /// accept each other's tokens.
    Generated(Vec<u8>),
}

impl Secret {
    /// The key bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Secret::Configured(bytes) | Secret::Generated(bytes) => bytes,
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Secret::Configured(_) => "Secret::Configured(..)",
            Secret::Generated(_) => "Secret::Generated(..)",
        })
    }
}

/// Everything the service is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    /// `ORDERS_API_ADDR`, default `127.0.0.1:8080`.
    pub addr: SocketAddr,
    /// `DATABASE_URL`: a `SQLite` file; in memory when unset.
    pub database_url: Option<String>,
    /// `REDIS_URL`: shared revocation and refresh stores; in memory when unset.
    pub redis_url: Option<String>,
    /// `ORDERS_API_JWT_SECRET`: at least 32 bytes; generated when unset.
    pub secret: Secret,
    /// `ORDERS_API_ISSUER`, default `orders-api`.
    pub issuer: String,
    /// `ORDERS_API_AUDIENCE`, default `orders-api`.
    pub audience: String,
    /// `ORDERS_API_ACCESS_TTL` in seconds, default 900.
    pub access_ttl: Duration,
    /// Body size, page size and orders per user ([`Limits`]).
    pub limits: Limits,
}

/// The shortest HS256 secret accepted: the hash output size.
pub const MIN_SECRET_BYTES: usize = 32;

impl Config {
    /// Reads the configuration from the process environment.
    ///
    /// # Errors
    /// The first variable with a bad value.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (tests pass a map).
    ///
    /// # Errors
    /// The first variable with a bad value.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let addr = match lookup("ORDERS_API_ADDR") {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(text) => text.parse().map_err(|_| ConfigError {
                variable: "ORDERS_API_ADDR",
                problem: format!("expected an address such as 127.0.0.1:8080, found {text:?}"),
            })?,
        };
        let secret = match lookup("ORDERS_API_JWT_SECRET") {
            Some(text) if text.len() >= MIN_SECRET_BYTES => Secret::Configured(text.into_bytes()),
            Some(text) => {
                return Err(ConfigError {
                    variable: "ORDERS_API_JWT_SECRET",
                    problem: format!(
                        "an HS256 secret needs at least {MIN_SECRET_BYTES} bytes, this one has {}",
                        text.len()
                    ),
                });
            }
            None => Secret::Generated(random_secret()?),
        };
        let access_ttl = match lookup("ORDERS_API_ACCESS_TTL") {
            None => Duration::from_secs(900),
            Some(text) => match text.parse::<u64>() {
                Ok(seconds @ 1..=86_400) => Duration::from_secs(seconds),
                _ => {
                    return Err(ConfigError {
                        variable: "ORDERS_API_ACCESS_TTL",
                        problem: format!("expected seconds between 1 and 86400, found {text:?}"),
                    });
                }
            },
        };
        let non_empty = |variable: &'static str, default: &str| match lookup(variable) {
            None => Ok(default.to_owned()),
            Some(text) if text.trim().is_empty() => Err(ConfigError {
                variable,
                problem: "must not be empty".to_owned(),
            }),
            Some(text) => Ok(text),
        };
        Ok(Config {
            addr,
            database_url: lookup("DATABASE_URL").filter(|s| !s.is_empty()),
            redis_url: lookup("REDIS_URL").filter(|s| !s.is_empty()),
            secret,
            issuer: non_empty("ORDERS_API_ISSUER", "orders-api")?,
            audience: non_empty("ORDERS_API_AUDIENCE", "orders-api")?,
            access_ttl,
            limits: Limits::from_lookup(&lookup)?,
        })
    }
}

fn random_secret() -> Result<Vec<u8>, ConfigError> {
    let mut bytes = vec![0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| ConfigError {
        variable: "ORDERS_API_JWT_SECRET",
        problem: format!("unset, and no random key could be generated: {error}"),
    })?;
    Ok(bytes)
}
