//! Tenants: a resource that declares its tenant (`Resource::TENANT`) is never
//! reachable from another tenant, and the handler cannot forget it.
//!
//! Every policy below allows *everyone*: the handlers and policies never
//! mention tenants. Still, a principal of another tenant (or of none) gets a
//! 404 on every way to a permit: a resource gate in a sync and an async
//! handler, `authorize`, `authorize_async`, `filter_authorized`, through `&R`
//! and `Box<R>`, and a list is narrowed to the caller's tenant in its query,
//! with a stray row of another tenant refused at `admit`.

use auth_core::filter::{Field, Filter, SqlDialect};
use auth_core::testing::PolicyTable;
use auth_core::{
    Action, AsyncPolicy, AuthError, Authenticated, Authenticator, Decision, FilterPolicy, Guarded,
    Identity, Mechanism, Outcome, Policy, Resource, authenticate, requires,
};
use auth_tests::block_on;
use http::request::Parts;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Invoice {
    id: i64,
    tenant: String,
}

impl Resource for Invoice {
    const KIND: &'static str = "invoice";
    const TENANT: Option<Field<Self, str>> = Some(Field::text("tenant_id", |i| &i.tenant));
    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

#[derive(Debug, Clone)]
struct Member;

/// Read an invoice: anyone (the rule forgets tenants on purpose).
#[derive(Action)]
struct Read;
/// Pay an invoice: anyone, after an await.
#[derive(Action)]
struct Pay;
/// List invoices: every invoice (the rule forgets tenants on purpose).
#[derive(Action)]
struct Browse;

impl Policy<Invoice> for Read {
    type Principal = Member;
    type State = ();
    fn decide(_: &Authenticated<Member>, _: &Invoice, (): &()) -> Decision {
        Decision::allow("anyone")
    }
}

impl Policy<&Invoice> for Read {
    type Principal = Member;
    type State = ();
    fn decide(_: &Authenticated<Member>, _: &&Invoice, (): &()) -> Decision {
        Decision::allow("anyone")
    }
}

impl Policy<Box<Invoice>> for Read {
    type Principal = Member;
    type State = ();
    fn decide(_: &Authenticated<Member>, _: &Box<Invoice>, (): &()) -> Decision {
        Decision::allow("anyone")
    }
}

impl AsyncPolicy<Invoice> for Pay {
    type Principal = Member;
    type State = ();
    async fn decide(_: &Authenticated<Member>, _: &Invoice, (): &()) -> Decision {
        tokio::task::yield_now().await;
        Decision::allow("anyone")
    }
}

impl FilterPolicy<Invoice> for Browse {
    type Principal = Member;
    type State = ();
    fn filter(_: &Authenticated<Member>, (): &()) -> Filter<Invoice> {
        Filter::all()
    }
}

struct In(Option<&'static str>);

impl Authenticator for In {
    type User = Member;
    async fn authenticate(&self, _: &Parts) -> Result<Identity<Member>, AuthError> {
        let identity = Identity::new(Member, "m", Mechanism::Test);
        Ok(match self.0 {
            Some(tenant) => identity.tenant(tenant),
            None => identity,
        })
    }
}

fn member_of(tenant: Option<&'static str>) -> Authenticated<Member> {
    let parts = http::Request::new(()).into_parts().0;
    block_on(authenticate(&In(tenant), &parts)).expect("authenticated")
}

fn invoice(id: i64, tenant: &str) -> Invoice {
    Invoice {
        id,
        tenant: tenant.to_owned(),
    }
}

#[requires(Read(invoice))]
fn read(_member: Authenticated<Member>, invoice: Invoice) -> i64 {
    invoice.id
}

#[requires(Pay(invoice))]
async fn pay(_member: Authenticated<Member>, invoice: Invoice) -> i64 {
    invoice.id
}

fn is_not_found<T: std::fmt::Debug>(result: &Result<T, AuthError>) -> bool {
    matches!(result, Err(AuthError::NotFound { .. }))
}

#[test]
fn a_resource_gate_never_crosses_tenants() {
    let acme = member_of(Some("acme"));
    let globex = member_of(Some("globex"));
    let nobody = member_of(None);
    let (body, events) = auth_tests::audit::capture(|| {
        let mine: Guarded<i64, _> = read(acme.clone(), invoice(1, "acme"));
        assert_eq!(mine.into_result().ok(), Some(1));
        read(globex.clone(), invoice(1, "acme")).into_result()
    });
    assert!(is_not_found(&body), "{body:?}");
    let denial = events.last().expect("an event");
    assert_eq!(denial["decision"], "not_found");
    assert_eq!(denial["reason"], "the resource belongs to another tenant");
    assert!(is_not_found(
        &read(nobody, invoice(1, "acme")).into_result()
    ));
    // A tenant's name is compared exactly.
    assert!(is_not_found(
        &read(acme.clone(), invoice(2, "ACME")).into_result()
    ));
    assert!(is_not_found(&read(acme, invoice(3, "")).into_result()));
}

#[test]
fn an_async_gate_never_crosses_tenants() {
    let acme = member_of(Some("acme"));
    let globex = member_of(Some("globex"));
    assert_eq!(
        block_on(pay(acme.clone(), invoice(1, "acme")))
            .into_result()
            .ok(),
        Some(1)
    );
    assert!(is_not_found(
        &block_on(pay(globex.clone(), invoice(1, "acme"))).into_result()
    ));
    assert!(is_not_found(
        &block_on(globex.authorize_async::<Pay, _>(invoice(1, "acme"), &())).map(|p| p.id)
    ));
}

#[test]
fn body_calls_and_wrappers_never_cross_tenants() {
    let globex = member_of(Some("globex"));
    let theirs = invoice(1, "acme");
    assert!(is_not_found(
        &globex.authorize::<Read, _>(theirs.clone()).map(|p| p.id)
    ));
    assert!(is_not_found(
        &globex.authorize::<Read, _>(&theirs).map(|p| p.id)
    ));
    assert!(is_not_found(
        &globex
            .authorize::<Read, _>(Box::new(theirs.clone()))
            .map(|p| p.id)
    ));
    let listed = globex
        .filter_authorized::<Read, _>([theirs, invoice(2, "globex")], &())
        .expect("a list");
    assert_eq!(listed.iter().map(|p| p.id).collect::<Vec<_>>(), [2]);

    let mut table = PolicyTable::new();
    table
        .expect::<Read, _>(&globex, invoice(2, "globex"), Outcome::Allow)
        .expect::<Read, _>(&globex, invoice(1, "acme"), Outcome::NotFound);
    table.assert();
}

#[test]
fn a_list_is_narrowed_to_the_callers_tenant() {
    let acme = member_of(Some("acme"));
    let list = acme
        .authorize_list::<Browse, Invoice>(&())
        .expect("a list permit");
    let sql = list.filter().to_sql(SqlDialect::Sqlite);
    assert_eq!(sql.clause(), "`tenant_id` = ?");
    assert_eq!(
        sql.params(),
        [auth_core::filter::Value::Text("acme".into())]
    );
    assert!(list.admit(invoice(1, "acme")).is_ok());
    assert!(matches!(
        list.admit(invoice(2, "globex")).map(|p| p.id),
        Err(AuthError::Misconfigured { .. })
    ));

    // No tenant: no list at all.
    let nobody = member_of(None);
    let list = nobody
        .authorize_list::<Browse, Invoice>(&())
        .expect("a list permit");
    assert!(list.filter().is_none());
}
