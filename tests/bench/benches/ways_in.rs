//! Item 9 of BENCHMARKS.md: the other ways in, beside a bearer JWT, each with its
//! floor, measured in one run so that the ratios compare like with like.
//!
//! - `ways_in/session_memory`: `SessionAuthenticator` over `MemorySessionStore`, a
//!   `GET` with a valid `__Host-` cookie; the floor pieces: the cookie parse
//!   (`SessionCookie::id_in`: find, base64url, SHA-256), a bare SHA-256 of 32
//!   bytes, the store's `load` and `touch`, the user loader.
//! - `ways_in/session_redis`: the same over `RedisSessionStore` on a `redis-server`
//!   on loopback (started here; the group is skipped, with the reason printed,
//!   when there is none), beside bare round trips: `PING`, the `HMGET` of the
//!   record, that `HMGET` then the touch script (what the store sends today), and
//!   a single script doing both (a prototype of one round trip, not library code).
//!   Before the group, the round trips per authentication are counted with
//!   `INFO commandstats` and printed.
//! - `ways_in/api_key_memory`: `ApiKeyAuthenticator` over `MemoryApiKeyStore`; the
//!   parse and checksum alone (`api_key::key_id`), a mistyped key (refused by the
//!   checksum, no store lookup), and the floor pieces.
//! - `ways_in/totp`: `Totp::verify` over `MemoryTotpStore` with an injected clock
//!   moved one step (30 s) before each accepted code, outside the timing; a
//!   replayed code (refused); `TotpSecret::code_at` as the floor.
//! - `ways_in/jwt_hs256`: the reference, a bearer HS256 token through
//!   `JwtAuthenticator` as an `Authenticator` (a cache hit, the default, and a full
//!   verification).
//!
//! `cargo bench -p auth-bench --bench ways_in`. Every authenticator is called
//! through `Authenticator::authenticate` on a request built once.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::api_key::{
    ApiKeyAuthenticator, ApiKeyStore, ApiKeys, KeyFormatError, MemoryApiKeyStore, SecretHash,
    key_id,
};
use auth_core::mfa::{AttemptLimit, MemoryTotpStore, Totp, TotpError};
use auth_core::revocation::{RedisConnection, RedisOptions};
use auth_core::session::{
    MemorySessionStore, RedisSessionStore, SessionAuthenticator, SessionStore, Sessions,
};
use auth_core::{AuthError, Authenticator, LoadUser, Scopes};
use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, criterion_group, criterion_main};
use http::request::Parts;
use sha2::{Digest as _, Sha256};

#[path = "../src/poll.rs"]
mod poll;
// The integration tests' harness: a `redis-server` on a free loopback port.
#[path = "../../integration/src/redis_server.rs"]
#[allow(dead_code)] // kill/signal are for the failure tests
mod redis_server;
#[path = "../src/tokens.rs"]
#[allow(dead_code)] // the `jsonwebtoken` validation is for the jwt bench
mod tokens;

use poll::poll_once;

/// Sessions and API keys of other users in the stores while one is checked.
const OTHER_SESSIONS: usize = 10_000;
const OTHER_KEYS: usize = 1_000;
/// Authentications over which Redis commands are counted.
const COUNTED: u64 = 1_000;

/// A small principal, as a service would keep it.
#[derive(Debug, Clone)]
#[allow(dead_code, reason = "cloned to be measured, never read")]
struct User {
    name: String,
    admin: bool,
}

/// The trivial loader: a clone out of a `HashMap`.
struct Users(HashMap<String, User>);

impl Users {
    fn new() -> Self {
        let mut users = HashMap::new();
        for i in 0..100 {
            users.insert(
                format!("user-{i}"),
                User {
                    name: format!("User {i}"),
                    admin: i == 0,
                },
            );
        }
        Users(users)
    }
}

impl LoadUser for Users {
    type User = User;

    async fn load(&self, subject: &str) -> Result<Option<User>, AuthError> {
        Ok(self.0.get(subject).cloned())
    }
}

/// A request built once.
fn get(header: &str, value: &str) -> Parts {
    http::Request::get("/orders/17")
        .header(header, value)
        .body(())
        .expect("request")
        .into_parts()
        .0
}

fn session_memory(c: &mut Criterion) {
    let sessions = Sessions::builder(Arc::new(MemorySessionStore::new()))
        .build()
        .expect("sessions");
    for i in 0..OTHER_SESSIONS {
        let _ = poll_once(sessions.login(&format!("other-{i}"), &["pwd"], None)).expect("login");
    }
    let login = poll_once(sessions.login("user-42", &["pwd"], None)).expect("login");
    let cookie = format!(
        "{}={}",
        sessions.cookie().name(),
        login.id().expose_secret()
    );
    let request = get("cookie", &cookie);
    let users = Users::new();
    let authenticator = SessionAuthenticator::builder(sessions.clone(), Users::new())
        .build()
        .expect("authenticator");
    let user = poll_once(authenticator.authenticate(&request)).expect("authenticated");
    assert_eq!(user.info().subject(), "user-42");

    let mut group = c.benchmark_group("ways_in/session_memory");
    group.bench_function("authenticate", |b| {
        b.iter(|| poll_once(authenticator.authenticate(black_box(&request))));
    });
    group.bench_function("floor/id_in", |b| {
        b.iter(|| sessions.cookie().id_in(black_box(&request.headers)));
    });
    let bytes = [0x5a_u8; 32];
    group.bench_function("floor/sha256_32_bytes", |b| {
        b.iter(|| Sha256::digest(black_box(&bytes)));
    });
    let key = *login.id().key();
    let store = sessions.store();
    group.bench_function("floor/store_load", |b| {
        b.iter(|| poll_once(store.load(black_box(&key))));
    });
    let now = SystemTime::now();
    let expires = now + Duration::from_secs(1800);
    group.bench_function("floor/store_touch", |b| {
        b.iter(|| poll_once(store.touch(black_box(&key), now, expires)));
    });
    group.bench_function("floor/load_user", |b| {
        b.iter(|| poll_once(users.load(black_box("user-42"))));
    });
    group.finish();
}

/// What `RedisSessionStore` files a record under, and its touch script (a copy).
const RECORD_FIELDS: [&str; 8] = [
    "m:sub",
    "m:created",
    "m:seen",
    "m:abs",
    "m:csrf",
    "m:amr",
    "m:acr",
    "m:auth",
];
const TOUCH: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'm:seen', ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1
";
/// The proposal: read the record, check both timeouts, touch, in one script.
/// KEYS[1] the session; ARGV[1] now, ARGV[2] the idle timeout (Unix ms, ms).
/// The record's fields (in `RECORD_FIELDS` order), or an empty reply when there
/// is none or it expired (then it is deleted).
const OPEN_AND_TOUCH: &str = r"
local v = redis.call('HMGET', KEYS[1], 'm:sub', 'm:created', 'm:seen', 'm:abs', 'm:csrf', 'm:amr', 'm:acr', 'm:auth')
if not v[1] or not v[3] or not v[4] then
  return {}
end
local now, idle, absolute = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(v[4])
if now >= absolute or now - tonumber(v[3]) >= idle then
  redis.call('DEL', KEYS[1])
  return {}
end
redis.call('HSET', KEYS[1], 'm:seen', ARGV[1])
redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', math.min(now + idle, absolute)))
return v
";

fn unix_millis(at: SystemTime) -> u64 {
    u64::try_from(
        at.duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_millis(),
    )
    .expect("milliseconds fit")
}

/// Calls per command (`INFO commandstats`), inner calls of scripts included.
async fn command_calls(raw: &mut redis::aio::MultiplexedConnection) -> HashMap<String, u64> {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(raw)
        .await
        .expect("INFO commandstats");
    info.lines()
        .filter_map(|line| {
            let (name, stats) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = stats
                .split(',')
                .find_map(|stat| stat.strip_prefix("calls="))?;
            Some((name.to_owned(), calls.parse().ok()?))
        })
        .collect()
}

/// Prints the round trips per authentication: the commands Redis served for
/// `COUNTED` of them (the scripts' inner calls listed apart).
async fn print_round_trips(
    authenticator: &impl Authenticator,
    request: &Parts,
    raw: &mut redis::aio::MultiplexedConnection,
) {
    let before = command_calls(raw).await;
    for _ in 0..COUNTED {
        let _ = authenticator
            .authenticate(request)
            .await
            .expect("authenticated");
    }
    let after = command_calls(raw).await;
    let mut deltas: Vec<(String, u64)> = after
        .into_iter()
        .map(|(name, calls)| {
            let delta = calls - before.get(&name).copied().unwrap_or(0);
            (name, delta)
        })
        .filter(|(name, delta)| *delta > 0 && name != "info")
        .collect();
    deltas.sort();
    // Inner calls of scripts count too: the store's open script runs one `HMGET`,
    // its touch script one `EXISTS`. So the round trips are the script calls plus
    // the `HMGET`s no open script made.
    let of = |command: &str| {
        deltas
            .iter()
            .find(|(name, _)| name == command)
            .map_or(0, |(_, delta)| *delta)
    };
    let scripts = of("evalsha") + of("eval");
    let open_scripts = scripts.saturating_sub(of("exists"));
    let sent = scripts + of("hmget").saturating_sub(open_scripts);
    #[allow(clippy::cast_precision_loss)]
    let per = |calls: u64| calls as f64 / COUNTED as f64;
    println!(
        "ways_in/session_redis: {:.2} round trips per authentication (script calls, and HMGETs outside a script)",
        per(sent)
    );
    for (name, delta) in &deltas {
        println!("  {name}: {:.2} per authentication", per(*delta));
    }
}

/// The floor: bare round trips on a connection of the same kind, the session
/// store's two (`HMGET`, then the touch script) and the proposed single script.
fn raw_round_trips(
    group: &mut BenchmarkGroup<'_, WallTime>,
    runtime: &tokio::runtime::Runtime,
    raw: &mut redis::aio::MultiplexedConnection,
    key: &str,
    idle_ms: u64,
) {
    let touch = redis::Script::new(TOUCH);
    let open_and_touch = redis::Script::new(OPEN_AND_TOUCH);
    group.bench_function("raw_ping", |b| {
        b.iter(|| {
            runtime.block_on(async {
                redis::cmd("PING")
                    .query_async::<String>(&mut *raw)
                    .await
                    .expect("PING")
            })
        });
    });
    group.bench_function("raw_hmget", |b| {
        b.iter(|| {
            runtime.block_on(async {
                redis::cmd("HMGET")
                    .arg(key)
                    .arg(&RECORD_FIELDS)
                    .query_async::<Vec<Option<String>>>(&mut *raw)
                    .await
                    .expect("HMGET")
            })
        });
    });
    group.bench_function("raw_hmget_then_touch", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let record = redis::cmd("HMGET")
                    .arg(key)
                    .arg(&RECORD_FIELDS)
                    .query_async::<Vec<Option<String>>>(&mut *raw)
                    .await
                    .expect("HMGET");
                let now = unix_millis(SystemTime::now());
                let touched = touch
                    .key(key)
                    .arg(now)
                    .arg(now + idle_ms)
                    .invoke_async::<i64>(&mut *raw)
                    .await
                    .expect("touch");
                (record, touched)
            })
        });
    });
    group.bench_function("raw_one_script", |b| {
        b.iter(|| {
            runtime.block_on(async {
                open_and_touch
                    .key(key)
                    .arg(unix_millis(SystemTime::now()))
                    .arg(idle_ms)
                    .invoke_async::<Vec<Option<String>>>(&mut *raw)
                    .await
                    .expect("open and touch")
            })
        });
    });
}

fn session_redis(c: &mut Criterion) {
    // Without `redis-server` this prints why and the Redis group is skipped.
    let Some(server) = redis_server::RedisServer::start() else {
        println!("ways_in/session_redis: skipped, no `redis-server` on PATH");
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (sessions, login) = runtime.block_on(async {
        let redis = RedisConnection::connect(RedisOptions::new(server.url()).prefix("bench:"))
            .await
            .expect("connect to redis");
        let sessions = Sessions::builder(RedisSessionStore::new(redis))
            .build()
            .expect("sessions");
        let login = sessions
            .login("user-42", &["pwd"], None)
            .await
            .expect("login");
        (sessions, login)
    });
    let cookie = format!(
        "{}={}",
        sessions.cookie().name(),
        login.id().expose_secret()
    );
    let request = get("cookie", &cookie);
    let authenticator = SessionAuthenticator::builder(sessions.clone(), Users::new())
        .build()
        .expect("authenticator");
    let user = runtime
        .block_on(authenticator.authenticate(&request))
        .expect("authenticated");
    assert_eq!(user.info().subject(), "user-42");

    let mut raw = runtime.block_on(async {
        redis::Client::open(server.url())
            .expect("redis url")
            .get_multiplexed_async_connection()
            .await
            .expect("raw connection")
    });

    runtime.block_on(print_round_trips(&authenticator, &request, &mut raw));

    let key = format!("bench:session:{}", login.id().key().to_hex());
    let open_and_touch = redis::Script::new(OPEN_AND_TOUCH);
    let idle_ms = u64::try_from(sessions.idle_timeout().as_millis()).expect("idle fits");
    // The prototype answers the record while the session lives.
    let record: Vec<Option<String>> = runtime.block_on(async {
        open_and_touch
            .key(&key)
            .arg(unix_millis(SystemTime::now()))
            .arg(idle_ms)
            .invoke_async(&mut raw)
            .await
            .expect("open and touch")
    });
    assert_eq!(record.len(), RECORD_FIELDS.len());
    assert_eq!(record[0].as_deref(), Some("user-42"));

    let mut group = c.benchmark_group("ways_in/session_redis");
    group.bench_function("authenticate", |b| {
        b.iter(|| runtime.block_on(authenticator.authenticate(black_box(&request))));
    });
    raw_round_trips(&mut group, &runtime, &mut raw, &key, idle_ms);
    group.finish();
    drop(server);
}

fn api_key_memory(c: &mut Criterion) {
    let store = Arc::new(MemoryApiKeyStore::new());
    let keys = ApiKeys::new(Arc::clone(&store));
    let granted = Scopes::from_space_separated("orders:read orders:write");
    for i in 0..OTHER_KEYS {
        poll_once(keys.create(&format!("other-{i}"), &granted, "ci", ["orders:read"], None))
            .expect("key");
    }
    let (key, _) =
        poll_once(keys.create("user-42", &granted, "ci", ["orders:read"], None)).expect("key");
    let key = key.into_exposed();
    // One character of the secret mistyped: the checksum refuses it.
    let mut typo = key.clone().into_bytes();
    typo[40] = if typo[40] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).expect("ASCII");
    assert_eq!(key_id(&typo), Err(KeyFormatError::Checksum));

    let authenticator = ApiKeyAuthenticator::new(Arc::clone(&store), Users::new());
    let request = get("x-api-key", &key);
    let mistyped = get("x-api-key", &typo);
    // The first use records it; the next ones, within the minute, do not write.
    let user = poll_once(authenticator.authenticate(&request)).expect("authenticated");
    assert_eq!(user.info().subject(), "user-42");
    assert!(poll_once(authenticator.authenticate(&mistyped)).is_err());

    let mut group = c.benchmark_group("ways_in/api_key_memory");
    group.bench_function("authenticate", |b| {
        b.iter(|| poll_once(authenticator.authenticate(black_box(&request))));
    });
    group.bench_function("rejected_typo", |b| {
        b.iter(|| poll_once(authenticator.authenticate(black_box(&mistyped))));
    });
    group.bench_function("floor/key_id", |b| {
        b.iter(|| key_id(black_box(&key)));
    });
    let secret = &key.as_bytes()[21..73];
    group.bench_function("floor/sha256_secret", |b| {
        b.iter(|| Sha256::digest(black_box(secret)));
    });
    let id = key_id(&key).expect("id").to_owned();
    group.bench_function("floor/store_find", |b| {
        b.iter(|| poll_once(store.find(black_box(&id))));
    });
    let stored = SecretHash::from_bytes(Sha256::digest(secret).into());
    let presented = SecretHash::from_bytes(Sha256::digest(secret).into());
    group.bench_function("floor/ct_compare", |b| {
        b.iter(|| black_box(&stored).matches(black_box(&presented)));
    });
    group.finish();
}

fn totp(c: &mut Criterion) {
    let seconds = Arc::new(AtomicU64::new(1_700_000_000));
    let clock = Arc::clone(&seconds);
    let at = |seconds: u64| UNIX_EPOCH + Duration::from_secs(seconds);
    let totp = Totp::builder("Bench", Arc::new(MemoryTotpStore::new()))
        .now(move || UNIX_EPOCH + Duration::from_secs(clock.load(Ordering::Relaxed)))
        // Refused replays count as attempts: enough of them for the whole run.
        .attempt_limit(AttemptLimit::new(u32::MAX, Duration::from_secs(300)).expect("limit"))
        .build()
        .expect("totp");
    let enrollment = poll_once(totp.enroll("user-42", "alice")).expect("enrol");
    let secret = enrollment.secret().clone();
    let now = at(seconds.load(Ordering::Relaxed));
    poll_once(totp.confirm("user-42", &secret.code_at(now))).expect("confirm");

    let mut group = c.benchmark_group("ways_in/totp");
    // Each accepted code uses its step up, so each call is at a later step. The
    // setups of a batch all run before its routines: each setup picks the step
    // its routine will be at and computes its code (outside the timing); each
    // routine sets the clock to that step (an atomic store, timed) and verifies.
    // A step whose code is also the next step's is skipped: verify takes the
    // latest step of its window that matches, so that code would use up the next
    // step too (a one-in-a-million coincidence, certain over a run of millions).
    let coded = AtomicU64::new(seconds.load(Ordering::Relaxed));
    group.bench_function("verify_accepted", |b| {
        b.iter_batched(
            || {
                let mut next = coded.fetch_add(30, Ordering::Relaxed) + 30;
                while secret.code_at(at(next)) == secret.code_at(at(next + 30)) {
                    next = coded.fetch_add(30, Ordering::Relaxed) + 30;
                }
                (next, secret.code_at(at(next)))
            },
            |(next, code)| {
                seconds.store(next, Ordering::Relaxed);
                poll_once(totp.verify("user-42", black_box(&code), &["pwd"])).expect("accepted")
            },
            BatchSize::SmallInput,
        );
    });
    // The clock stands still now: the current step's code was accepted last.
    let code = secret.code_at(at(seconds.load(Ordering::Relaxed)));
    assert!(matches!(
        poll_once(totp.verify("user-42", &code, &["pwd"])),
        Err(TotpError::ReusedCode)
    ));
    group.bench_function("verify_replay_refused", |b| {
        b.iter(|| poll_once(totp.verify("user-42", black_box(&code), &["pwd"])));
    });
    let now = at(seconds.load(Ordering::Relaxed));
    group.bench_function("floor/code_at", |b| {
        b.iter(|| secret.code_at(black_box(now)));
    });
    group.finish();
}

fn jwt_hs256(c: &mut Criterion) {
    tokens::install_crypto_provider();
    let case = tokens::cases()
        .into_iter()
        .find(|case| case.alg == jsonwebtoken::Algorithm::HS256)
        .expect("HS256");
    let token = tokens::token(&case);
    let request = get("authorization", &format!("Bearer {token}"));
    let cached = tokens::authenticator(case.verifying.clone(), true);
    let uncached = tokens::authenticator(case.verifying.clone(), false);
    assert!(poll_once(cached.authenticate(&request)).is_ok());
    assert!(poll_once(uncached.authenticate(&request)).is_ok());

    let mut group = c.benchmark_group("ways_in/jwt_hs256");
    group.bench_function("authenticate_cache_hit", |b| {
        b.iter(|| poll_once(cached.authenticate(black_box(&request))));
    });
    group.bench_function("authenticate_verified", |b| {
        b.iter(|| poll_once(uncached.authenticate(black_box(&request))));
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = jwt_hs256, session_memory, api_key_memory, totp, session_redis
}
criterion_main!(benches);
