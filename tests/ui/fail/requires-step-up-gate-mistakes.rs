// Each misuse of the step-up gates is its own error, reported together.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::User;

#[requires(mfa("otp"))]
fn mfa_with_an_argument(user: Authenticated<User>) {}

#[requires(fresh)]
fn fresh_without_age(user: Authenticated<User>) {}

#[requires(fresh(300))]
fn fresh_with_a_bare_number(user: Authenticated<User>) {}

#[requires(fresh(max_age = 0))]
fn fresh_that_refuses_everyone(user: Authenticated<User>) {}

#[requires(fresh(max_age = 300s))]
fn fresh_with_a_suffix(user: Authenticated<User>) {}

#[requires(fresh(max_age = 99999999999))]
fn fresh_too_old(user: Authenticated<User>) {}

#[requires(amr("pwd otp"))]
fn amr_with_two_methods(user: Authenticated<User>) {}

#[requires(acr(""))]
fn acr_empty(user: Authenticated<User>) {}

fn main() {}
