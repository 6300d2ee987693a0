// A `role` gate needs a principal type that has roles.
#![allow(unused)]
use auth_core::{requires, Authenticated};

struct Robot;

#[requires(role("admin"))]
fn purge(robot: Authenticated<Robot>) {}

fn main() {}
