// The step-up gates, the mechanism gate and `guests = true`, alone and combined.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::User;

#[requires(mfa)]
fn with_mfa(user: Authenticated<User>) {}

#[requires(amr("otp"), acr("urn:auth-core:acr:mfa"))]
fn with_otp_and_class(user: Authenticated<User>) {}

#[requires(role("admin"), fresh(max_age = 300))]
async fn recent_admin(user: Authenticated<User>) {}

#[requires(any(mfa, fresh(max_age = 60)), not(mechanism("api_key")))]
fn strong_or_recent_not_a_key(user: Authenticated<User>) {}

#[requires(mechanism("session"))]
fn sessions_only(user: &Authenticated<User>) {}

#[requires(authenticated, guests = true)]
fn guests_welcome(user: Authenticated<User>) {}

#[requires(authenticated, guests = false)]
fn guests_refused_explicitly(user: Authenticated<User>) {}

fn main() {}
