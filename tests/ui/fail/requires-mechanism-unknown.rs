// `mechanism(..)` names one of `auth_core::Mechanism`'s variants: a typo would
// otherwise be a gate that never allows (or, under `not(..)`, always does).
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::User;

#[requires(not(mechanism("apikey")))]
fn keys_refused(user: Authenticated<User>) {}

#[requires(mechanism(session))]
fn unquoted(user: Authenticated<User>) {}

fn main() {}
