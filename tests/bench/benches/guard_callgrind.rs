//! Item 1 of BENCHMARKS.md: the handlers of the `guard` bench, looped for
//! `valgrind --tool=callgrind`.
//!
//! `guard_callgrind <gates>/<variant> <calls>` calls one handler `<calls>` times;
//! `callgrind.sh` runs it twice with different counts and divides the difference in
//! instructions by the difference in calls, which cancels start-up and setup.
//! Without arguments (as `cargo bench` runs it) it does nothing.

use std::hint::black_box;
use std::process::ExitCode;

#[path = "../src/handlers.rs"]
mod handlers;
#[path = "../src/poll.rs"]
mod poll;

use auth_core::Authenticated;
use handlers::{Order, User, own_order, principal};
use poll::poll_once;

/// One handler call, through a function pointer so that every variant pays the same
/// for the call.
type Call = fn(&Authenticated<User>, Order, &str) -> Option<u64>;

/// Every `<gates>/<variant>` this binary knows.
const VARIANTS: [(&str, Call); 15] = [
    ("authenticated/macro", |u, _, _| {
        poll_once(handlers::macro_authenticated(u))
            .into_result()
            .ok()
    }),
    ("authenticated/by_hand", |u, _, _| {
        poll_once(handlers::by_hand_authenticated(u))
            .into_result()
            .ok()
    }),
    ("authenticated/plain", |u, _, _| {
        poll_once(handlers::plain_authenticated(u)).ok()
    }),
    ("role/macro", |u, _, _| {
        poll_once(handlers::macro_role(u)).into_result().ok()
    }),
    ("role/by_hand", |u, _, _| {
        poll_once(handlers::by_hand_role(u)).into_result().ok()
    }),
    ("role/plain", |u, _, _| {
        poll_once(handlers::plain_role(u)).ok()
    }),
    ("not_role/macro", |u, _, _| {
        poll_once(handlers::macro_not_role(u)).into_result().ok()
    }),
    ("not_role/by_hand", |u, _, _| {
        poll_once(handlers::by_hand_not_role(u)).into_result().ok()
    }),
    ("not_role/plain", |u, _, _| {
        poll_once(handlers::plain_not_role(u)).ok()
    }),
    ("resource/macro", |u, o, _| {
        poll_once(handlers::macro_resource(u, o)).into_result().ok()
    }),
    ("resource/by_hand", |u, o, _| {
        poll_once(handlers::by_hand_resource(u, o))
            .into_result()
            .ok()
    }),
    ("resource/plain", |u, o, _| {
        poll_once(handlers::plain_resource(u, o)).ok()
    }),
    ("three_gates/macro", |u, o, _| {
        poll_once(handlers::macro_three(u, o)).into_result().ok()
    }),
    ("three_gates/by_hand", |u, o, _| {
        poll_once(handlers::by_hand_three(u, o)).into_result().ok()
    }),
    ("three_gates/plain", |u, o, s| {
        poll_once(handlers::plain_three(u, s, o)).ok()
    }),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (variant, calls) = match args.as_slice() {
        [variant, calls] if !variant.starts_with('-') => match calls.parse::<u64>() {
            Ok(calls) => (variant.as_str(), calls),
            Err(error) => {
                eprintln!("guard_callgrind: <calls>: {error}");
                return ExitCode::from(2);
            }
        },
        // `cargo bench` passes `--bench`: nothing to measure without a variant.
        _ => {
            println!("usage: guard_callgrind <gates>/<variant> <calls>; variants:");
            for (variant, _) in VARIANTS {
                println!("  {variant}");
            }
            return ExitCode::SUCCESS;
        }
    };
    let Some(&(_, call)) = VARIANTS.iter().find(|(name, _)| *name == variant) else {
        eprintln!("guard_callgrind: unknown variant `{variant}`");
        return ExitCode::from(2);
    };
    let user = principal();
    let scopes = user.scopes().as_str().to_owned();
    let call = black_box(call);
    let mut sum = 0_u64;
    for _ in 0..calls {
        let value = call(black_box(&user), black_box(own_order()), black_box(&scopes));
        sum = sum.wrapping_add(black_box(value).unwrap_or(u64::MAX));
    }
    println!("{variant}: {calls} calls, checksum {sum}");
    ExitCode::SUCCESS
}
