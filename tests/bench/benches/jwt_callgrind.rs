//! Items 2 and 3 of BENCHMARKS.md under `valgrind --tool=callgrind`: token
//! verification by auth-core (with and without its cache) and by raw
//! `jsonwebtoken::decode`, in instructions, which a busy machine does not blur.
//!
//! `jwt_callgrind <alg>/<contender> <calls>` verifies one token `<calls>` times;
//! `callgrind.sh jwt` runs every pair twice and prints instructions per call.
//! Without arguments (as `cargo bench` runs it) it lists the variants.

use std::hint::black_box;
use std::process::ExitCode;

#[path = "../src/poll.rs"]
mod poll;
#[path = "../src/tokens.rs"]
mod tokens;

use poll::poll_once;
use tokens::{TokenClaims, authenticator, cases, install_crypto_provider, validation};

const CONTENDERS: [&str; 3] = ["auth_core", "auth_core_cache_hit", "jsonwebtoken_decode"];

fn main() -> ExitCode {
    install_crypto_provider();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (variant, calls) = match args.as_slice() {
        [variant, calls] if !variant.starts_with('-') => match calls.parse::<u64>() {
            Ok(calls) => (variant.clone(), calls),
            Err(error) => {
                eprintln!("jwt_callgrind: <calls>: {error}");
                return ExitCode::from(2);
            }
        },
        _ => {
            println!("usage: jwt_callgrind <alg>/<contender> <calls>; variants:");
            for case in cases() {
                for contender in CONTENDERS {
                    println!("  {:?}/{contender}", case.alg);
                }
            }
            return ExitCode::SUCCESS;
        }
    };
    let Some((alg, contender)) = variant.split_once('/') else {
        eprintln!("jwt_callgrind: expected <alg>/<contender>, found `{variant}`");
        return ExitCode::from(2);
    };
    let Some(case) = cases()
        .into_iter()
        .find(|case| format!("{:?}", case.alg) == alg)
    else {
        eprintln!("jwt_callgrind: unknown algorithm `{alg}`");
        return ExitCode::from(2);
    };
    let token = tokens::token(&case);
    let mut ok = 0_u64;
    match contender {
        "auth_core" | "auth_core_cache_hit" => {
            let authenticator = authenticator(case.verifying, contender == "auth_core_cache_hit");
            for _ in 0..calls {
                ok += u64::from(poll_once(authenticator.verify(black_box(&token))).is_ok());
            }
        }
        "jsonwebtoken_decode" => {
            let validation = validation(case.alg);
            for _ in 0..calls {
                let decoded = jsonwebtoken::decode::<TokenClaims>(
                    black_box(&token),
                    black_box(&case.decoding),
                    &validation,
                );
                ok += u64::from(decoded.is_ok());
            }
        }
        _ => {
            eprintln!("jwt_callgrind: unknown contender `{contender}`");
            return ExitCode::from(2);
        }
    }
    println!("{variant}: {ok} of {calls} verified");
    if ok == calls {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
