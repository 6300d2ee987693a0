// An attribute macro below `#[requires]` wraps the guarded function: its fields
// would be evaluated for every caller, before the gates.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::User;

fn owner_of(id: u64) -> u64 {
    id
}

#[requires(role("admin"))]
#[tracing::instrument(skip_all, fields(owner = owner_of(id)))]
async fn purge(user: Authenticated<User>, id: u64) -> u64 {
    id
}

fn main() {}
