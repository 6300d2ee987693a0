//! Configuration from the environment. A bad value stops the start with a
//! message naming the variable (exit code 2).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `ORDERS_API_ADDR` | `127.0.0.1:8080` | where to listen |
//! | `DATABASE_URL` | in memory | a `SQLite` file, as a path or `sqlite://path` |
//! | `REDIS_URL` | unset: in memory | `redis://` URL of the shared revocation and refresh stores |
//! | `ORDERS_API_JWT_SECRET` | random | HS256 key, at least 32 bytes |
//! | `ORDERS_API_ISSUER`, `ORDERS_API_AUDIENCE` | `orders-api` | `iss` and `aud` |
//! | `ORDERS_API_ACCESS_TTL` | `900` | access-token lifetime, seconds |
//! | `ORDERS_API_HEADER_TIMEOUT` | `10` | seconds to receive a request head ([`ConnectionLimits`]) |
//! | `ORDERS_API_IDLE_TIMEOUT` | `5` | seconds a connection may stay silent between requests |
//! | `ORDERS_API_BODY_TIMEOUT` | `10` | seconds to receive a whole request body |
//! | `ORDERS_API_MAX_CONNECTIONS` | `512` | open connections at once; more wait in the listen backlog |
//! | `ORDERS_API_LOGIN_LIMIT_IP` | `20/60` | login attempts per client address per window ([`LoginLimits`]) |
//! | `ORDERS_API_LOGIN_LIMIT_EMAIL` | `5/60` | login attempts per email per window |
//! | `ORDERS_API_SESSION_IDLE_TIMEOUT` | `1800` | seconds a session may go unused ([`SessionLimits`]) |
//! | `ORDERS_API_SESSION_ABSOLUTE_TIMEOUT` | `43200` | seconds a session lives at most, however busy |
//! | `ORDERS_API_ROLES_FILE` | `examples/roles.toml`, built in | the roles file ([`crate::access`]); a bad one stops the start naming its line (exit code 2) |
//! | `ORDERS_API_PLAN_FREE` | `600/min` | requests to `GET /orders` a `free` user may make ([`PlanQuotas`]): `N/s`, `N/min`, `N/h` or `N/day`; past it 429 with `Retry-After` |
//! | `ORDERS_API_PLAN_PRO` | `6000/min` | the same for a `pro` user |
//! | `ORDERS_API_POLICY_ENGINE` | `rust` | which engine decides the order rules ([`crate::policy::OrderRules`]): `rust` (the rules of [`crate::policy`]) or `cedar` (the policy set of [`crate::cedar_orders`]); the same answers either way |
//! | `ORDERS_API_CEDAR_POLICIES`, `ORDERS_API_CEDAR_SCHEMA` | `examples/cedar/orders.cedar` and `.cedarschema`, built in | with `ORDERS_API_POLICY_ENGINE=cedar`, your own policy set and schema (both or neither); one that fails validation, or cannot answer the service's questions, stops the start naming its file and line (exit code 2) |
//! | `ORDERS_API_TRUSTED_ORIGINS` | none | space-separated origins (`https://app.example`) whose pages may send unsafe requests with the session cookie; the service's own pages always may |
//!
//! An unreachable database or Redis is not a configuration error but a start
//! error: the message names the variable, and the exit code is 1, since a retry
//! may succeed once the store is up.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use auth_core::limit::Quota;

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
    /// How long slow or idle clients may hold a connection, and how many may.
    pub connections: ConnectionLimits,
    /// How many login attempts a client address and an email get.
    pub login_limits: LoginLimits,
    /// How long sessions live, and which other origins may use them.
    pub sessions: SessionLimits,
    /// `ORDERS_API_ROLES_FILE`: the roles file; the one built into the binary
    /// (`examples/roles.toml`) when unset.
    pub roles_file: Option<PathBuf>,
    /// The quota of each plan tier on `GET /orders`.
    pub plans: PlanQuotas,
    /// `ORDERS_API_POLICY_ENGINE` (and the Cedar files): which engine decides
    /// the order rules.
    pub policy_engine: PolicyEngine,
}

/// Which engine decides the order rules ([`crate::policy::OrderRules`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PolicyEngine {
    /// `rust`: the rules of [`crate::policy`].
    #[default]
    Rust,
    /// `cedar`: a Cedar policy set and its schema.
    Cedar {
        /// `ORDERS_API_CEDAR_POLICIES` and `ORDERS_API_CEDAR_SCHEMA`; the
        /// built-in files of [`crate::cedar_orders`] when unset.
        files: Option<(PathBuf, PathBuf)>,
    },
}

/// What each plan tier may make of `GET /orders`, per user: counted in memory,
/// or in Redis with `REDIS_URL` (every instance together). Past it: 429 with
/// `Retry-After`, `RateLimit-Policy` and `RateLimit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanQuotas {
    /// `ORDERS_API_PLAN_FREE`, default `600/min`.
    pub free: Quota,
    /// `ORDERS_API_PLAN_PRO`, default `6000/min`.
    pub pro: Quota,
}

impl PlanQuotas {
    /// `ORDERS_API_PLAN_FREE`'s default: well above what a person clicking
    /// through the orders makes, and what any test makes unless it sets less.
    pub const DEFAULT_FREE: &str = "600/min";
    /// `ORDERS_API_PLAN_PRO`'s default.
    pub const DEFAULT_PRO: &str = "6000/min";
}

/// Server-side sessions: their timeouts and the front ends trusted with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLimits {
    /// `ORDERS_API_SESSION_IDLE_TIMEOUT`, default 30 minutes.
    pub idle_timeout: Duration,
    /// `ORDERS_API_SESSION_ABSOLUTE_TIMEOUT`, default 12 hours.
    pub absolute_timeout: Duration,
    /// `ORDERS_API_TRUSTED_ORIGINS`: origins besides the service's own.
    pub trusted_origins: Vec<String>,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(12 * 60 * 60),
            trusted_origins: Vec::new(),
        }
    }
}

/// What a client may hold of the server: time and connections. Every default is
/// small enough that a client who sends nothing, or a byte at a time, is gone in
/// seconds, and large enough for a slow mobile client sending a small JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// `ORDERS_API_HEADER_TIMEOUT`, default 10 s: the time to receive a complete
    /// request head, counted from the moment the server waits for one (the
    /// connection opened, or the previous response was sent). A client that
    /// sends its headers a byte at a time is cut off when it runs out.
    pub header_timeout: Duration,
    /// `ORDERS_API_IDLE_TIMEOUT`, default 5 s (Node.js's keep-alive default): a
    /// connection on which nothing is received or sent, and no request is being
    /// answered, is closed after this. On axum the wait for the next request
    /// also counts against `header_timeout`, so the smaller of the two applies
    /// to an idle keep-alive connection.
    pub idle_timeout: Duration,
    /// `ORDERS_API_BODY_TIMEOUT`, default 10 s: the time to receive a whole
    /// request body once its head has arrived, in total (not per chunk, so a
    /// trickle does not extend it). Too slow: `408`, and the connection closes.
    pub body_timeout: Duration,
    /// `ORDERS_API_MAX_CONNECTIONS`, default 512: connections served at once.
    /// Beyond it the server stops accepting, and new clients wait in the
    /// kernel's listen backlog until a connection closes (the timeouts above make
    /// sure one does). Keep it well below the process's open-file limit
    /// (`ulimit -n`).
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(10),
            max_connections: 512,
        }
    }
}

/// A rate: at most `attempts` per `window` (in memory refilled evenly over the
/// window, in Redis counted in fixed windows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// The burst: attempts allowed at once.
    pub attempts: u32,
    /// The time over which `attempts` are refilled.
    pub window: Duration,
}

/// Login throttling: in Redis with `REDIS_URL` (every instance counts together),
/// else in memory (each instance on its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// `ORDERS_API_LOGIN_LIMIT_IP`, default `20/60`: attempts per client address
    /// (an IPv6 client per /64) per 60 seconds.
    pub per_ip: Rate,
    /// `ORDERS_API_LOGIN_LIMIT_EMAIL`, default `5/60`: attempts per email, known
    /// or not, per 60 seconds. A successful login gives its attempt back.
    pub per_email: Rate,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            per_ip: Rate {
                attempts: 20,
                window: Duration::from_secs(60),
            },
            per_email: Rate {
                attempts: 5,
                window: Duration::from_secs(60),
            },
        }
    }
}

/// Every variable the service reads.
pub const VARIABLES: [&str; 25] = [
    "ORDERS_API_ADDR",
    "DATABASE_URL",
    "REDIS_URL",
    "ORDERS_API_JWT_SECRET",
    "ORDERS_API_ISSUER",
    "ORDERS_API_AUDIENCE",
    "ORDERS_API_ACCESS_TTL",
    "ORDERS_API_HEADER_TIMEOUT",
    "ORDERS_API_IDLE_TIMEOUT",
    "ORDERS_API_BODY_TIMEOUT",
    "ORDERS_API_MAX_CONNECTIONS",
    "ORDERS_API_LOGIN_LIMIT_IP",
    "ORDERS_API_LOGIN_LIMIT_EMAIL",
    "ORDERS_API_MAX_BODY_BYTES",
    "ORDERS_API_MAX_PAGE_SIZE",
    "ORDERS_API_MAX_ORDERS_PER_USER",
    "ORDERS_API_SESSION_IDLE_TIMEOUT",
    "ORDERS_API_SESSION_ABSOLUTE_TIMEOUT",
    "ORDERS_API_TRUSTED_ORIGINS",
    "ORDERS_API_ROLES_FILE",
    "ORDERS_API_PLAN_FREE",
    "ORDERS_API_PLAN_PRO",
    "ORDERS_API_POLICY_ENGINE",
    "ORDERS_API_CEDAR_POLICIES",
    "ORDERS_API_CEDAR_SCHEMA",
];

/// The shortest HS256 secret accepted: the hash output size.
pub const MIN_SECRET_BYTES: usize = 32;

impl Config {
    /// Reads the configuration from the process environment.
    ///
    /// # Errors
    /// The first variable with a bad value.
    pub fn from_env() -> Result<Config, ConfigError> {
        // A value that is not UTF-8 is an error, not "unset": an unreadable
        // `REDIS_URL` must not quietly become in-memory stores.
        for variable in VARIABLES {
            if let Err(std::env::VarError::NotUnicode(_)) = std::env::var(variable) {
                return Err(ConfigError {
                    variable,
                    problem: "the value is not valid UTF-8".to_owned(),
                });
            }
        }
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
        // Empty is an error like everywhere else, not "in memory": a template's
        // `REDIS_URL=${REDIS_URL}` with nothing behind it must not quietly give
        // up shared revocation. Unset means in memory.
        let database_url = lookup("DATABASE_URL");
        if let Some(url) = &database_url {
            if url.trim().is_empty() {
                return Err(ConfigError {
                    variable: "DATABASE_URL",
                    problem: "must not be empty (unset it for an in-memory database)".to_owned(),
                });
            }
            check_database_url(url)?;
        }
        let redis_url = lookup("REDIS_URL");
        if let Some(url) = &redis_url {
            if url.trim().is_empty() {
                return Err(ConfigError {
                    variable: "REDIS_URL",
                    problem: "must not be empty (unset it for in-memory stores)".to_owned(),
                });
            }
            check_redis_url(url)?;
        }
        let roles_file = match lookup("ORDERS_API_ROLES_FILE") {
            None => None,
            Some(path) if path.trim().is_empty() => {
                return Err(ConfigError {
                    variable: "ORDERS_API_ROLES_FILE",
                    problem: "must not be empty (unset it for the built-in roles file)".to_owned(),
                });
            }
            Some(path) => Some(PathBuf::from(path)),
        };
        let policy_engine = policy_engine(&lookup)?;
        Ok(Config {
            policy_engine,
            roles_file,
            addr,
            database_url,
            redis_url,
            secret,
            issuer: non_empty("ORDERS_API_ISSUER", "orders-api")?,
            audience: non_empty("ORDERS_API_AUDIENCE", "orders-api")?,
            access_ttl,
            limits: Limits::from_lookup(&lookup)?,
            connections: connection_limits(&lookup)?,
            login_limits: login_limits(&lookup)?,
            sessions: session_limits(&lookup)?,
            plans: plan_quotas(&lookup)?,
        })
    }
}

/// `ORDERS_API_SESSION_{IDLE,ABSOLUTE}_TIMEOUT` and `ORDERS_API_TRUSTED_ORIGINS`.
fn session_limits(lookup: &impl Fn(&str) -> Option<String>) -> Result<SessionLimits, ConfigError> {
    let defaults = SessionLimits::default();
    let seconds = |variable: &'static str, default: Duration| match lookup(variable) {
        None => Ok(default),
        Some(text) => match text.trim().parse::<u64>() {
            Ok(seconds @ 1..=2_592_000) => Ok(Duration::from_secs(seconds)),
            _ => Err(ConfigError {
                variable,
                problem: format!("expected seconds between 1 and 2592000, found {text:?}"),
            }),
        },
    };
    let idle_timeout = seconds("ORDERS_API_SESSION_IDLE_TIMEOUT", defaults.idle_timeout)?;
    let absolute_timeout = seconds(
        "ORDERS_API_SESSION_ABSOLUTE_TIMEOUT",
        defaults.absolute_timeout,
    )?;
    if idle_timeout > absolute_timeout {
        return Err(ConfigError {
            variable: "ORDERS_API_SESSION_IDLE_TIMEOUT",
            problem: "must not be longer than ORDERS_API_SESSION_ABSOLUTE_TIMEOUT".to_owned(),
        });
    }
    let trusted_origins = lookup("ORDERS_API_TRUSTED_ORIGINS")
        .map(|text| text.split_ascii_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    Ok(SessionLimits {
        idle_timeout,
        absolute_timeout,
        trusted_origins,
    })
}

/// `ORDERS_API_PLAN_FREE` and `ORDERS_API_PLAN_PRO`, through [`Quota`]'s parser.
fn plan_quotas(lookup: &impl Fn(&str) -> Option<String>) -> Result<PlanQuotas, ConfigError> {
    let quota = |variable: &'static str, default: &str| {
        let text = lookup(variable).unwrap_or_else(|| default.to_owned());
        text.parse::<Quota>().map_err(|error| ConfigError {
            variable,
            problem: format!(
                "expected requests per period such as 60/min (`N/s`, `N/min`, `N/h` or \
                 `N/day`), found {text:?}: {error}"
            ),
        })
    };
    Ok(PlanQuotas {
        free: quota("ORDERS_API_PLAN_FREE", PlanQuotas::DEFAULT_FREE)?,
        pro: quota("ORDERS_API_PLAN_PRO", PlanQuotas::DEFAULT_PRO)?,
    })
}

/// `ORDERS_API_{HEADER,IDLE,BODY}_TIMEOUT` and `ORDERS_API_MAX_CONNECTIONS`.
fn connection_limits(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<ConnectionLimits, ConfigError> {
    let defaults = ConnectionLimits::default();
    let seconds = |variable: &'static str, default: Duration| match lookup(variable) {
        None => Ok(default),
        Some(text) => match text.trim().parse::<u64>() {
            Ok(seconds @ 1..=3600) => Ok(Duration::from_secs(seconds)),
            _ => Err(ConfigError {
                variable,
                problem: format!("expected seconds between 1 and 3600, found {text:?}"),
            }),
        },
    };
    Ok(ConnectionLimits {
        header_timeout: seconds("ORDERS_API_HEADER_TIMEOUT", defaults.header_timeout)?,
        idle_timeout: seconds("ORDERS_API_IDLE_TIMEOUT", defaults.idle_timeout)?,
        body_timeout: seconds("ORDERS_API_BODY_TIMEOUT", defaults.body_timeout)?,
        max_connections: match lookup("ORDERS_API_MAX_CONNECTIONS") {
            None => defaults.max_connections,
            Some(text) => match text.trim().parse::<usize>() {
                Ok(count @ 1..=1_000_000) => count,
                _ => {
                    return Err(ConfigError {
                        variable: "ORDERS_API_MAX_CONNECTIONS",
                        problem: format!(
                            "expected a number of connections between 1 and 1000000, found {text:?}"
                        ),
                    });
                }
            },
        },
    })
}

/// `ORDERS_API_LOGIN_LIMIT_IP` and `ORDERS_API_LOGIN_LIMIT_EMAIL`.
fn login_limits(lookup: &impl Fn(&str) -> Option<String>) -> Result<LoginLimits, ConfigError> {
    let defaults = LoginLimits::default();
    let rate = |variable: &'static str, default: Rate| match lookup(variable) {
        None => Ok(default),
        Some(text) => parse_rate(&text).ok_or_else(|| ConfigError {
            variable,
            problem: format!(
                "expected attempts/seconds such as 5/60 (1 to 100000 attempts, \
                 1 to 86400 seconds), found {text:?}"
            ),
        }),
    };
    Ok(LoginLimits {
        per_ip: rate("ORDERS_API_LOGIN_LIMIT_IP", defaults.per_ip)?,
        per_email: rate("ORDERS_API_LOGIN_LIMIT_EMAIL", defaults.per_email)?,
    })
}

/// `attempts/seconds`, such as `5/60`.
fn parse_rate(text: &str) -> Option<Rate> {
    let (attempts, seconds) = text.trim().split_once('/')?;
    let attempts = attempts.trim().parse::<u32>().ok()?;
    let seconds = seconds.trim().parse::<u64>().ok()?;
    ((1..=100_000).contains(&attempts) && (1..=86_400).contains(&seconds)).then(|| Rate {
        attempts,
        window: Duration::from_secs(seconds),
    })
}

/// A `SQLite` path, or a `sqlite:` URL: another scheme (`postgres://..`) would
/// otherwise be taken for a file name.
fn check_database_url(url: &str) -> Result<(), ConfigError> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if path.contains("://") || path.trim().is_empty() {
        return Err(ConfigError {
            variable: "DATABASE_URL",
            problem: format!(
                "expected a SQLite file path or a sqlite:// URL, found {:?}",
                redact(url)
            ),
        });
    }
    Ok(())
}

/// A URL the `redis` crate accepts, parsed without connecting. Whether the
/// server answers is checked at start.
fn check_redis_url(url: &str) -> Result<(), ConfigError> {
    redis::Client::open(url)
        .map(drop)
        .map_err(|error| ConfigError {
            variable: "REDIS_URL",
            problem: format!(
                "expected a URL such as redis://127.0.0.1:6379/, found {:?}: {error}",
                redact(url)
            ),
        })
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
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

/// `ORDERS_API_POLICY_ENGINE`, and the Cedar files with `cedar`.
fn policy_engine(lookup: &impl Fn(&str) -> Option<String>) -> Result<PolicyEngine, ConfigError> {
    let path = |variable: &'static str| -> Result<Option<PathBuf>, ConfigError> {
        match lookup(variable) {
            None => Ok(None),
            Some(path) if path.trim().is_empty() => Err(ConfigError {
                variable,
                problem: "must not be empty (unset it for the built-in file)".to_owned(),
            }),
            Some(path) => Ok(Some(PathBuf::from(path))),
        }
    };
    let policies = path("ORDERS_API_CEDAR_POLICIES")?;
    let schema = path("ORDERS_API_CEDAR_SCHEMA")?;
    match lookup("ORDERS_API_POLICY_ENGINE").as_deref() {
        None | Some("rust") => match (&policies, &schema) {
            (None, None) => Ok(PolicyEngine::Rust),
            (Some(_), _) => Err(ConfigError {
                variable: "ORDERS_API_CEDAR_POLICIES",
                problem: "is set, but ORDERS_API_POLICY_ENGINE is not `cedar`: the file would \
                          not be used"
                    .to_owned(),
            }),
            (None, Some(_)) => Err(ConfigError {
                variable: "ORDERS_API_CEDAR_SCHEMA",
                problem: "is set, but ORDERS_API_POLICY_ENGINE is not `cedar`: the file would \
                          not be used"
                    .to_owned(),
            }),
        },
        Some("cedar") => match (policies, schema) {
            (None, None) => Ok(PolicyEngine::Cedar { files: None }),
            (Some(policies), Some(schema)) => Ok(PolicyEngine::Cedar {
                files: Some((policies, schema)),
            }),
            (Some(_), None) => Err(ConfigError {
                variable: "ORDERS_API_CEDAR_SCHEMA",
                problem: "must be set with ORDERS_API_CEDAR_POLICIES: policies are validated \
                          against their own schema"
                    .to_owned(),
            }),
            (None, Some(_)) => Err(ConfigError {
                variable: "ORDERS_API_CEDAR_POLICIES",
                problem: "must be set with ORDERS_API_CEDAR_SCHEMA".to_owned(),
            }),
        },
        Some(other) => Err(ConfigError {
            variable: "ORDERS_API_POLICY_ENGINE",
            problem: format!("`{other}` is not an engine: `rust` or `cedar`"),
        }),
    }
}
