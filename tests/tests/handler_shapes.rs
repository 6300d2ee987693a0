//! Every supported handler shape, run for an allowed and a denied caller.
//!
//! This file is also the proof that the expansion is lint-clean: CI compiles it
//! with clippy under the `deny` below.
#![deny(warnings, clippy::pedantic)]
#![forbid(unsafe_code)]
#![allow(clippy::unused_async)] // handlers are async because frameworks call them so

use std::fmt::Display;

use auth_core::{AuthError, Authenticated, Decision, Guarded, Permit, public, requires};
use auth_tests::{Counter, Delete, Invoice, Limits, Order, Read, Update, User, block_on, sign_in};

const ALICE: u64 = 1;
const BOB: u64 = 2;
const ADMIN: u64 = 3;

fn alice_order() -> Order {
    Order {
        id: 10,
        owner_id: ALICE,
    }
}

// --- free functions -------------------------------------------------------

#[requires(authenticated)]
fn sync_free(user: Authenticated<User>) -> u64 {
    user.id
}

#[requires(role("admin"))]
async fn async_free(user: Authenticated<User>) -> String {
    format!("admin {}", user.id)
}

#[requires(Update(order))]
async fn async_resource(_user: Authenticated<User>, order: Order) -> u64 {
    let permit: &Permit<'_, Update, Order> = &order;
    permit.id
}

#[requires(Read(order))]
fn sync_resource(user: Authenticated<User>, order: Order) -> (u64, u64) {
    (user.id, order.owner_id)
}

#[requires(Approve(invoice), state = limits)]
async fn async_policy_with_state(
    _user: Authenticated<User>,
    limits: &Limits,
    invoice: Invoice,
) -> u64 {
    let _ = limits;
    invoice.id
}
use auth_tests::Approve;

#[requires(authenticated)]
fn unit_return(_user: Authenticated<User>) {}

#[requires(authenticated)]
fn underscore_principal(_: Authenticated<User>) -> &'static str {
    "ok"
}

#[requires(role("customer"))]
fn principal_by_reference(user: &Authenticated<User>) -> u64 {
    user.id
}

#[requires(authenticated)]
fn impl_trait_return(user: Authenticated<User>) -> impl Display {
    user.id
}

#[requires(authenticated)]
async fn async_impl_trait_return(user: Authenticated<User>) -> impl Display + Send {
    user.id
}

#[derive(Debug, PartialEq)]
enum AppError {
    Parse,
    Denied(u16),
}

impl From<AuthError> for AppError {
    fn from(error: AuthError) -> Self {
        AppError::Denied(error.status().as_u16())
    }
}

#[requires(authenticated)]
fn result_with_question_mark(_user: Authenticated<User>, input: &str) -> Result<u64, AppError> {
    let n: u64 = input.parse().map_err(|_| AppError::Parse)?;
    Ok(n * 2)
}

#[requires(authenticated)]
async fn async_result_with_question_mark(
    _user: Authenticated<User>,
    input: String,
) -> Result<u64, AppError> {
    let n: u64 = input.parse().map_err(|_| AppError::Parse)?;
    if n == 0 {
        return Err(AppError::Parse);
    }
    Ok(n)
}

#[requires(authenticated)]
fn generic_with_where<T>(_user: Authenticated<User>, value: T) -> String
where
    T: Display + Send,
{
    value.to_string()
}

#[requires(authenticated)]
fn generic_principal<U: Clone>(user: Authenticated<U>) -> U {
    user.user().clone()
}

#[requires(any(role("admin"), all(role("customer"), not(check(auth_tests::even_id)))))]
fn nested_combinators(user: Authenticated<User>) -> u64 {
    user.id
}

#[requires(check(auth_tests::is_approver), state = limits)]
async fn async_predicate_with_state(user: Authenticated<User>, limits: &Limits) -> u64 {
    let _ = limits;
    user.id
}

#[requires(crate = ::auth_core, authenticated)]
fn crate_override(user: Authenticated<User>) -> u64 {
    user.id
}

#[requires(authenticated)]
fn early_return(user: Authenticated<User>, short: bool) -> &'static str {
    if short {
        return "early";
    }
    let _ = user;
    "late"
}

struct Wrapper(u64);

#[requires(authenticated)]
fn pattern_params(_user: Authenticated<User>, Wrapper(inner): Wrapper, mut extra: u64) -> u64 {
    extra += inner;
    extra
}

#[tracing::instrument(skip_all)]
#[requires(role("admin"))]
async fn under_instrument(user: Authenticated<User>) -> u64 {
    user.id
}

#[public]
fn public_sync() -> &'static str {
    "anyone"
}

#[public]
async fn public_async(guest: Option<Authenticated<User>>) -> String {
    guest.map_or_else(|| "guest".to_owned(), |user| user.subject().to_owned())
}

// --- methods ----------------------------------------------------------------

struct Service {
    deleted: Counter,
    limits: Limits,
}

impl Service {
    #[requires(Delete(order))]
    fn delete(&self, _user: Authenticated<User>, order: Order) -> Result<u64, AppError> {
        self.deleted.hit();
        Ok(order.id)
    }

    #[requires(role("admin"))]
    async fn async_mut(&mut self, user: Authenticated<User>) -> Result<u64, AuthError> {
        self.deleted.hit();
        Ok(user.id)
    }

    #[requires(Approve(invoice), state = self.limits)]
    async fn approve(
        &self,
        _user: &Authenticated<User>,
        invoice: Invoice,
    ) -> Result<u64, AuthError> {
        Ok(invoice.id)
    }

    #[public]
    fn public_method(&self) -> usize {
        self.deleted.get()
    }
}

trait OrderService {
    async fn read(&self, user: Authenticated<User>, order: Order) -> Result<u64, AuthError>;
}

impl OrderService for Service {
    #[requires(Read(order))]
    async fn read(&self, _user: Authenticated<User>, order: Order) -> Result<u64, AuthError> {
        Ok(order.id)
    }
}

#[async_trait::async_trait]
trait DynOrderService: Send + Sync {
    async fn update(&self, user: Authenticated<User>, order: Order) -> Result<u64, AuthError>;
}

#[async_trait::async_trait]
impl DynOrderService for Service {
    #[requires(Update(order))]
    async fn update(&self, _user: Authenticated<User>, order: Order) -> Result<u64, AuthError> {
        self.deleted.hit();
        Ok(order.id)
    }
}

fn service() -> Service {
    Service {
        deleted: Counter::new(),
        limits: Limits::default(),
    }
}

// --- the checks -------------------------------------------------------------

fn status<T, C>(guarded: Guarded<T, C>) -> u16 {
    guarded
        .into_result()
        .err()
        .map_or(200, |e| e.status().as_u16())
}

#[test]
fn free_functions_allow_and_deny() {
    assert_eq!(
        sync_free(sign_in(ALICE, "")).into_result().ok(),
        Some(ALICE)
    );
    assert_eq!(status(block_on(async_free(sign_in(ALICE, "")))), 403);
    assert_eq!(
        block_on(async_free(sign_in(ADMIN, ""))).into_result().ok(),
        Some("admin 3".to_owned())
    );
    assert_eq!(
        block_on(async_resource(sign_in(ALICE, ""), alice_order()))
            .into_result()
            .ok(),
        Some(10)
    );
    assert_eq!(
        status(block_on(async_resource(sign_in(BOB, ""), alice_order()))),
        403
    );
    assert_eq!(status(sync_resource(sign_in(BOB, ""), alice_order())), 404);
    assert_eq!(
        sync_resource(sign_in(ADMIN, ""), alice_order())
            .into_result()
            .ok(),
        Some((ADMIN, ALICE))
    );
    assert!(unit_return(sign_in(BOB, "")).into_result().is_ok());
    assert_eq!(
        underscore_principal(sign_in(BOB, "")).into_result().ok(),
        Some("ok")
    );
    assert_eq!(
        principal_by_reference(&sign_in(BOB, "")).into_result().ok(),
        Some(BOB)
    );
    assert_eq!(status(principal_by_reference(&sign_in(ADMIN, ""))), 403);
    assert_eq!(
        impl_trait_return(sign_in(BOB, ""))
            .into_result()
            .map(|d| d.to_string())
            .ok(),
        Some("2".into())
    );
    assert_eq!(
        block_on(async_impl_trait_return(sign_in(BOB, "")))
            .into_result()
            .map(|d| d.to_string())
            .ok(),
        Some("2".into())
    );
    assert_eq!(
        generic_with_where(sign_in(ALICE, ""), 5u8)
            .into_result()
            .ok(),
        Some("5".into())
    );
    assert_eq!(
        generic_principal(sign_in(ALICE, ""))
            .into_result()
            .ok()
            .map(|u| u.id),
        Some(ALICE)
    );
    assert_eq!(
        crate_override(sign_in(ALICE, "")).into_result().ok(),
        Some(ALICE)
    );
    assert_eq!(
        early_return(sign_in(ALICE, ""), true).into_result().ok(),
        Some("early")
    );
    assert_eq!(
        early_return(sign_in(ALICE, ""), false).into_result().ok(),
        Some("late")
    );
    assert_eq!(
        pattern_params(sign_in(ALICE, ""), Wrapper(4), 1)
            .into_result()
            .ok(),
        Some(5)
    );
    assert_eq!(
        block_on(under_instrument(sign_in(ADMIN, "")))
            .into_result()
            .ok(),
        Some(ADMIN)
    );
}

#[test]
fn question_mark_keeps_its_type_and_denials_flatten() {
    assert_eq!(
        result_with_question_mark(sign_in(ALICE, ""), "21").flatten(),
        Ok(42)
    );
    assert_eq!(
        result_with_question_mark(sign_in(ALICE, ""), "x").flatten(),
        Err(AppError::Parse)
    );
    assert_eq!(
        block_on(async_result_with_question_mark(
            sign_in(ALICE, ""),
            "0".into()
        ))
        .flatten(),
        Err(AppError::Parse)
    );
    assert_eq!(
        block_on(async_result_with_question_mark(
            sign_in(ALICE, ""),
            "7".into()
        ))
        .flatten(),
        Ok(7)
    );
}

#[test]
fn combinators_and_predicates() {
    // admin: any() allows on the first gate
    assert_eq!(
        nested_combinators(sign_in(ADMIN, "")).into_result().ok(),
        Some(ADMIN)
    );
    // alice (odd id, customer): all(customer, not(even)) allows
    assert_eq!(
        nested_combinators(sign_in(ALICE, "")).into_result().ok(),
        Some(ALICE)
    );
    // bob (even id, customer): not(even) denies, so all() denies, so any() denies
    assert_eq!(status(nested_combinators(sign_in(BOB, ""))), 403);

    let limits = Limits::default();
    assert_eq!(
        status(block_on(async_predicate_with_state(
            sign_in(BOB, ""),
            &limits
        ))),
        403
    );
    limits
        .approvers
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(BOB);
    assert_eq!(
        block_on(async_predicate_with_state(sign_in(BOB, ""), &limits))
            .into_result()
            .ok(),
        Some(BOB)
    );
    let invoice = Invoice {
        id: 5,
        owner_id: ALICE,
    };
    assert_eq!(
        block_on(async_policy_with_state(
            sign_in(BOB, ""),
            &limits,
            invoice.clone()
        ))
        .into_result()
        .ok(),
        Some(5)
    );
    assert_eq!(
        status(block_on(async_policy_with_state(
            sign_in(ALICE, ""),
            &limits,
            invoice
        ))),
        403
    );
}

#[test]
fn public_handlers_need_nobody() {
    assert_eq!(public_sync().into_result().ok(), Some("anyone"));
    assert_eq!(
        block_on(public_async(None)).into_result().ok(),
        Some("guest".to_owned())
    );
    assert_eq!(
        block_on(public_async(Some(sign_in(BOB, ""))))
            .into_result()
            .ok(),
        Some("2".to_owned())
    );
}

#[test]
fn methods_keep_their_signature() {
    let mut svc = service();
    assert_eq!(
        svc.delete(sign_in(BOB, ""), alice_order()),
        Err(AppError::Denied(403))
    );
    assert_eq!(svc.deleted.get(), 0);
    assert_eq!(svc.delete(sign_in(ALICE, ""), alice_order()), Ok(10));
    assert_eq!(svc.deleted.get(), 1);

    assert!(matches!(
        block_on(svc.async_mut(sign_in(ALICE, ""))),
        Err(AuthError::Forbidden { .. })
    ));
    assert_eq!(svc.deleted.get(), 1);
    assert_eq!(
        block_on(svc.async_mut(sign_in(ADMIN, ""))).ok(),
        Some(ADMIN)
    );

    let invoice = Invoice {
        id: 8,
        owner_id: ALICE,
    };
    assert!(block_on(svc.approve(&sign_in(ALICE, ""), invoice.clone())).is_err());
    svc.limits
        .approvers
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(ALICE);
    assert_eq!(
        block_on(svc.approve(&sign_in(ALICE, ""), invoice)).ok(),
        Some(8)
    );

    assert_eq!(svc.public_method(), 2);

    assert_eq!(
        block_on(svc.read(sign_in(ALICE, ""), alice_order())).ok(),
        Some(10)
    );
    assert!(matches!(
        block_on(svc.read(sign_in(BOB, ""), alice_order())),
        Err(AuthError::NotFound { .. })
    ));

    let dyn_svc: &dyn DynOrderService = &svc;
    assert!(matches!(
        block_on(dyn_svc.update(sign_in(BOB, ""), alice_order())),
        Err(AuthError::Forbidden { .. })
    ));
    assert_eq!(svc.deleted.get(), 2);
    assert_eq!(
        block_on(dyn_svc.update(sign_in(ALICE, ""), alice_order())).ok(),
        Some(10)
    );
    assert_eq!(svc.deleted.get(), 3);
}

#[test]
fn decisions_are_public_api() {
    // What the macro does is also available by hand.
    let alice = sign_in(ALICE, "");
    let permit: Result<Permit<'_, Delete, Order>, AuthError> = alice.authorize(alice_order());
    assert!(permit.is_ok());
    assert!(Decision::deny("x").into_result().is_err());
}
