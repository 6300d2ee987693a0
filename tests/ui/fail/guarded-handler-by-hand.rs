// The secure router's marker is sealed: a type of one's own cannot claim to be a
// guarded handler.
#![allow(unused)]
use auth_core::axum::GuardedHandler;

struct Everything;

impl GuardedHandler<((),)> for Everything {
    type Caller = ();
}

fn main() {}
