//! Item 5 of BENCHMARKS.md: the library's compiled gates vs casbin-rs `enforce`
//! (plain and cached) and cedar-policy `is_authorized`, the same rules on the
//! same data.
//!
//! `cargo bench -p auth-bench --bench policies`
//!
//! | scenario | rule |
//! |---|---|
//! | `role` | the caller holds `admin` |
//! | `ownership` | the caller owns the order |
//! | `five_rules` | role `customer`, scope `orders:read`, not role `suspended`, permission `orders.read`, owner |
//! | `rbac_hierarchy` | `admin` ⊃ `manager` ⊃ `staff` ⊃ `viewer`; reading needs `viewer` |
//! | `scaling/N` | N roles, each granted one permission; the caller holds the last one |
//!
//! Each contender evaluates per request what it would in a service: auth-core runs
//! the `#[requires]` handler (gates, audit call, permit); casbin converts the
//! request arguments and runs its matcher; cedar builds the `Request` (principal,
//! action, resource, context) and authorizes against entities prepared once (and,
//! for `ownership`, also against entities built per request, since the order is
//! loaded per request). `hand_written` is an `if` with no library.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::hint::black_box;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use auth_core::inventory::HandlerInfo;
use auth_core::{
    Action, AuthError, Authenticated, Authenticator, Decision, Gatekeeper, Guarded, HasPermissions,
    HasRoles, Identity, Mechanism, Policy, Resource, Scopes, gate, requires,
};
use casbin::{
    CachedEnforcer, CoreApi, DefaultModel, EnforceArgs, Enforcer, MemoryAdapter, MgmtApi,
};
use cedar_policy::{
    Authorizer, Context, Entities, Entity, EntityUid, PolicySet, Request, RestrictedExpression,
};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, criterion_group, criterion_main};
use serde::Serialize;

#[path = "../src/poll.rs"]
mod poll;

use poll::poll_once;

// --- the library's side ------------------------------------------------------

/// Roles and what each implies (its transitive closure), and what each grants;
/// loaded once at start, shared by every principal, as a service would.
#[derive(Debug, Default)]
struct RoleTable {
    implied: HashMap<String, HashSet<String>>,
    permissions: HashMap<String, HashSet<String>>,
}

impl RoleTable {
    /// `parents[i] = (role, parent)`: `role` inherits everything `parent` may do.
    fn new(parents: &[(&str, &str)], grants: &[(String, String)]) -> Self {
        let mut implied: HashMap<String, HashSet<String>> = HashMap::new();
        let roles: HashSet<&str> = parents.iter().flat_map(|(r, p)| [*r, *p]).collect();
        for role in roles {
            let mut closure = HashSet::from([role.to_owned()]);
            let mut frontier = vec![role];
            while let Some(current) = frontier.pop() {
                for (child, parent) in parents {
                    if *child == current && closure.insert((*parent).to_owned()) {
                        frontier.push(parent);
                    }
                }
            }
            implied.insert(role.to_owned(), closure);
        }
        let mut permissions: HashMap<String, HashSet<String>> = HashMap::new();
        for (role, permission) in grants {
            permissions
                .entry(role.clone())
                .or_default()
                .insert(permission.clone());
        }
        RoleTable {
            implied,
            permissions,
        }
    }
}

#[derive(Debug, Clone)]
struct Member {
    id: u64,
    roles: Vec<String>,
    permissions: Vec<&'static str>,
    table: Arc<RoleTable>,
}

impl HasRoles for Member {
    fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|held| {
            held == role
                || self
                    .table
                    .implied
                    .get(held)
                    .is_some_and(|implied| implied.contains(role))
        })
    }
}

impl HasPermissions for Member {
    fn has_permission(&self, permission: &str) -> bool {
        self.permissions.contains(&permission)
            || self.roles.iter().any(|held| {
                self.table
                    .permissions
                    .get(held)
                    .is_some_and(|granted| granted.contains(permission))
            })
    }
}

#[derive(Debug, Clone, Copy)]
struct Order {
    id: u64,
    owner_id: u64,
}

impl Resource for Order {
    const KIND: &'static str = "order";

    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

#[derive(Action)]
struct Read;

impl Policy<Order> for Read {
    type Principal = Member;
    type State = ();

    fn decide(user: &Authenticated<Member>, order: &Order, (): &()) -> Decision {
        Decision::allow_if(order.owner_id == user.id, "owner", "not the owner")
    }
}

struct Fixed(Member);

impl Authenticator for Fixed {
    type User = Member;

    async fn authenticate(&self, _: &http::request::Parts) -> Result<Identity<Member>, AuthError> {
        Ok(Identity::new(self.0.clone(), "42", Mechanism::Test)
            .scopes(Scopes::from_space_separated("orders:read")))
    }
}

fn principal(roles: &[&str], table: Arc<RoleTable>) -> Authenticated<Member> {
    let member = Member {
        id: 42,
        roles: roles.iter().map(|&r| r.to_owned()).collect(),
        permissions: vec!["orders.read"],
        table,
    };
    let (parts, ()) = http::Request::new(()).into_parts();
    poll_once(auth_core::authenticate(&Fixed(member), &parts)).expect("fixed principal")
}

const ORDER: Order = Order {
    id: 7,
    owner_id: 42,
};

#[requires(role("admin"))]
fn role_gate(user: &Authenticated<Member>) -> u64 {
    user.id
}

#[requires(Read(order))]
fn ownership_gate(user: &Authenticated<Member>, order: Order) -> u64 {
    let _ = user;
    order.id
}

#[requires(
    role("customer"),
    scope("orders:read"),
    not(role("suspended")),
    permission("orders.read"),
    Read(order)
)]
fn five_rules(user: &Authenticated<Member>, order: Order) -> u64 {
    let _ = user;
    order.id
}

/// The five rules without `not(..)`: what the combinator costs.
#[requires(
    role("customer"),
    scope("orders:read"),
    permission("orders.read"),
    Read(order)
)]
fn four_rules(user: &Authenticated<Member>, order: Order) -> u64 {
    let _ = user;
    order.id
}

#[requires(role("viewer"))]
fn viewer_gate(user: &Authenticated<Member>) -> u64 {
    user.id
}

static SCALING: HandlerInfo = HandlerInfo::guarded(
    "scaling",
    module_path!(),
    file!(),
    line!(),
    &["permission(..)"],
);
auth_core::inventory::submit!(auth_core::inventory::Registration::new(&SCALING));

/// `permission(<p>)` with a permission known only at run time: the `#[requires]`
/// expansion, written out.
fn permission_gate(
    user: &Authenticated<Member>,
    permission: &'static str,
) -> Guarded<u64, Authenticated<Member>> {
    let mut gatekeeper = Gatekeeper::new(user, &SCALING);
    let decision = gate::permission(gatekeeper.principal(), permission);
    if let Err(error) = gatekeeper.check(0, decision) {
        return gatekeeper.deny(error);
    }
    match gatekeeper.clear() {
        Ok(clearance) => Guarded::new(clearance, user.id),
        Err(refusal) => refusal.into(),
    }
}

// --- casbin ------------------------------------------------------------------

const RBAC_MODEL: &str = r"
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act
";

const OWNER_MODEL: &str = r#"
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.sub.id == r.obj.owner && r.act == "read"
"#;

const FIVE_MODEL: &str = r#"
[request_definition]
r = sub, obj, act, scope

[policy_definition]
p = sub, obj, act, scope

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub.name, p.sub) && r.scope == p.scope && !g(r.sub.name, "suspended") && r.obj.kind == p.obj && r.act == p.act && r.sub.id == r.obj.owner
"#;

#[derive(Debug, Clone, Hash, Serialize)]
struct CasbinSubject {
    name: &'static str,
    id: i64,
}

#[derive(Debug, Clone, Hash, Serialize)]
struct CasbinOrder {
    kind: &'static str,
    id: i64,
    owner: i64,
}

const CASBIN_SUBJECT: CasbinSubject = CasbinSubject { name: "42", id: 42 };
const CASBIN_ORDER: CasbinOrder = CasbinOrder {
    kind: "order",
    id: 7,
    owner: 42,
};

fn rules(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|row| row.iter().map(|&s| s.to_owned()).collect())
        .collect()
}

async fn casbin_enforcer<E: CoreApi + MgmtApi>(
    model: &str,
    policies: Vec<Vec<String>>,
    groupings: Vec<Vec<String>>,
) -> E {
    let model = DefaultModel::from_str(model).await.expect("casbin model");
    let mut enforcer = E::new(model, MemoryAdapter::default())
        .await
        .expect("casbin enforcer");
    if !policies.is_empty() {
        enforcer.add_policies(policies).await.expect("policies");
    }
    if !groupings.is_empty() {
        enforcer
            .add_grouping_policies(groupings)
            .await
            .expect("groupings");
    }
    enforcer
}

/// Builds the plain and the cached enforcer on a small runtime (casbin's set-up
/// is async; `enforce` is not).
fn casbin_pair(
    model: &str,
    policies: &[Vec<String>],
    groupings: &[Vec<String>],
) -> (Enforcer, CachedEnforcer) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        (
            casbin_enforcer::<Enforcer>(model, policies.to_vec(), groupings.to_vec()).await,
            casbin_enforcer::<CachedEnforcer>(model, policies.to_vec(), groupings.to_vec()).await,
        )
    })
}

/// The engines on the same rule: casbin's `enforce` (plain and cached) on
/// `request`, and cedar's `is_authorized` for order 7 in `context`.
fn engines<R: EnforceArgs + Clone>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    (casbin, cached): (&Enforcer, &CachedEnforcer),
    request: &R,
    cedar: &Cedar,
    context: fn() -> Context,
) {
    group.bench_function("casbin", |b| {
        b.iter(|| casbin.enforce(black_box(request.clone())));
    });
    group.bench_function("casbin_cached", |b| {
        b.iter(|| cached.enforce(black_box(request.clone())));
    });
    group.bench_function("cedar", |b| {
        b.iter(|| cedar.allows(black_box(r#"Order::"7""#), context));
    });
}

// --- cedar -------------------------------------------------------------------

fn uid(text: &str) -> EntityUid {
    EntityUid::from_str(text).expect("entity uid")
}

fn order_entity() -> Entity {
    Entity::new(
        uid(r#"Order::"7""#),
        HashMap::from([(
            "owner".to_owned(),
            RestrictedExpression::new_entity_uid(uid(r#"User::"42""#)),
        )]),
        HashSet::new(),
    )
    .expect("order entity")
}

fn user_entity(roles: &[&str]) -> Entity {
    Entity::new(
        uid(r#"User::"42""#),
        HashMap::from([(
            "permissions".to_owned(),
            RestrictedExpression::new_set([RestrictedExpression::new_string(
                "orders.read".to_owned(),
            )]),
        )]),
        roles
            .iter()
            .map(|role| uid(&format!(r#"Role::"{role}""#)))
            .collect(),
    )
    .expect("user entity")
}

fn role_entity(role: &str, parents: &[&str]) -> Entity {
    Entity::new_no_attrs(
        uid(&format!(r#"Role::"{role}""#)),
        parents
            .iter()
            .map(|parent| uid(&format!(r#"Role::"{parent}""#)))
            .collect(),
    )
}

fn scopes_context() -> Context {
    Context::from_pairs([(
        "scopes".to_owned(),
        RestrictedExpression::new_set([RestrictedExpression::new_string("orders:read".to_owned())]),
    )])
    .expect("context")
}

struct Cedar {
    authorizer: Authorizer,
    policies: PolicySet,
    entities: Entities,
}

impl Cedar {
    fn new(policies: &str, entities: Vec<Entity>) -> Self {
        Cedar {
            authorizer: Authorizer::new(),
            policies: policies.parse().expect("cedar policies"),
            entities: Entities::from_entities(entities, None).expect("cedar entities"),
        }
    }

    /// One request: build it, authorize it.
    fn allows(&self, resource: &str, context: impl FnOnce() -> Context) -> bool {
        let request = Request::new(
            uid(r#"User::"42""#),
            uid(r#"Action::"read""#),
            uid(resource),
            context(),
            None,
        )
        .expect("cedar request");
        self.authorizer
            .is_authorized(&request, &self.policies, &self.entities)
            .decision()
            == cedar_policy::Decision::Allow
    }
}

// --- the benchmarks ------------------------------------------------------------

fn role(c: &mut Criterion) {
    let user = principal(&["customer", "admin"], Arc::default());
    let (casbin, cached) = casbin_pair(
        RBAC_MODEL,
        &rules(&[&["admin", "orders", "read"]]),
        &rules(&[&["42", "admin"], &["42", "customer"]]),
    );
    let cedar = Cedar::new(
        r#"permit(principal in Role::"admin", action == Action::"read", resource);"#,
        vec![
            user_entity(&["customer", "admin"]),
            role_entity("admin", &[]),
            role_entity("customer", &[]),
            order_entity(),
        ],
    );
    let roles = vec!["customer", "admin"];
    assert!(role_gate(&user).into_result().is_ok());
    assert!(casbin.enforce(("42", "orders", "read")).expect("enforce"));
    assert!(cedar.allows(r#"Order::"7""#, Context::empty));

    let mut group = c.benchmark_group("policies/role");
    group.bench_function("auth_core", |b| b.iter(|| role_gate(black_box(&user))));
    group.bench_function("hand_written", |b| {
        b.iter(|| black_box(&roles).contains(&"admin"));
    });
    engines(
        &mut group,
        (&casbin, &cached),
        &("42", "orders", "read"),
        &cedar,
        Context::empty,
    );
    group.finish();
}

fn ownership(c: &mut Criterion) {
    let user = principal(&["customer"], Arc::default());
    let (casbin, cached) = casbin_pair(OWNER_MODEL, &[], &[]);
    let policy = "permit(principal, action == Action::\"read\", resource) when { resource.owner == principal };";
    let cedar = Cedar::new(policy, vec![user_entity(&["customer"]), order_entity()]);
    let cedar_policies: PolicySet = policy.parse().expect("policy");
    let authorizer = Authorizer::new();
    assert!(ownership_gate(&user, ORDER).into_result().is_ok());
    assert!(
        casbin
            .enforce((CASBIN_SUBJECT, CASBIN_ORDER, "read"))
            .expect("enforce")
    );
    assert!(cedar.allows(r#"Order::"7""#, Context::empty));

    let mut group = c.benchmark_group("policies/ownership");
    group.bench_function("auth_core", |b| {
        b.iter(|| ownership_gate(black_box(&user), black_box(ORDER)));
    });
    group.bench_function("hand_written", |b| {
        b.iter(|| black_box(ORDER).owner_id == black_box(&user).id);
    });
    engines(
        &mut group,
        (&casbin, &cached),
        &(CASBIN_SUBJECT, CASBIN_ORDER, "read"),
        &cedar,
        Context::empty,
    );
    // The order was just loaded from the database: its entity is built per request.
    group.bench_function("cedar_entities_per_request", |b| {
        b.iter(|| {
            let entities =
                Entities::from_entities([user_entity(&["customer"]), order_entity()], None)
                    .expect("entities");
            let request = Request::new(
                uid(r#"User::"42""#),
                uid(r#"Action::"read""#),
                uid(r#"Order::"7""#),
                Context::empty(),
                None,
            )
            .expect("request");
            authorizer
                .is_authorized(&request, &cedar_policies, &entities)
                .decision()
        });
    });
    group.finish();
}

fn five(c: &mut Criterion) {
    let user = principal(&["customer"], Arc::default());
    let (casbin, cached) = casbin_pair(
        FIVE_MODEL,
        &rules(&[&["customer", "order", "read", "orders:read"]]),
        &rules(&[&["42", "customer"]]),
    );
    let cedar = Cedar::new(
        r#"
        permit(principal in Role::"customer", action == Action::"read", resource is Order);
        forbid(principal, action, resource) unless { context.scopes.contains("orders:read") };
        forbid(principal in Role::"suspended", action, resource);
        forbid(principal, action == Action::"read", resource) unless { principal.permissions.contains("orders.read") };
        forbid(principal, action, resource is Order) unless { resource.owner == principal };
        "#,
        vec![
            user_entity(&["customer"]),
            role_entity("customer", &[]),
            role_entity("suspended", &[]),
            order_entity(),
        ],
    );
    let request = (CASBIN_SUBJECT, CASBIN_ORDER, "read", "orders:read");
    assert!(five_rules(&user, ORDER).into_result().is_ok());
    assert!(casbin.enforce(request.clone()).expect("enforce"));
    assert!(cedar.allows(r#"Order::"7""#, scopes_context));

    let mut group = c.benchmark_group("policies/five_rules");
    group.bench_function("auth_core", |b| {
        b.iter(|| five_rules(black_box(&user), black_box(ORDER)));
    });
    group.bench_function("auth_core_without_not", |b| {
        b.iter(|| four_rules(black_box(&user), black_box(ORDER)));
    });
    group.bench_function("hand_written", |b| {
        b.iter(|| {
            let user = black_box(&user);
            let order = black_box(ORDER);
            user.roles.iter().any(|r| r == "customer")
                && user.scopes().contains("orders:read")
                && !user.roles.iter().any(|r| r == "suspended")
                && user.permissions.contains(&"orders.read")
                && order.owner_id == user.id
        });
    });
    engines(
        &mut group,
        (&casbin, &cached),
        &request,
        &cedar,
        scopes_context,
    );
    group.finish();
}

fn hierarchy(c: &mut Criterion) {
    let chain = [
        ("admin", "manager"),
        ("manager", "staff"),
        ("staff", "viewer"),
    ];
    let table = Arc::new(RoleTable::new(&chain, &[]));
    let user = principal(&["admin"], Arc::clone(&table));
    let (casbin, cached) = casbin_pair(
        RBAC_MODEL,
        &rules(&[&["viewer", "orders", "read"]]),
        &rules(&[
            &["42", "admin"],
            &["admin", "manager"],
            &["manager", "staff"],
            &["staff", "viewer"],
        ]),
    );
    let cedar = Cedar::new(
        r#"permit(principal in Role::"viewer", action == Action::"read", resource);"#,
        vec![
            user_entity(&["admin"]),
            role_entity("admin", &["manager"]),
            role_entity("manager", &["staff"]),
            role_entity("staff", &["viewer"]),
            role_entity("viewer", &[]),
            order_entity(),
        ],
    );
    assert!(viewer_gate(&user).into_result().is_ok());
    assert!(casbin.enforce(("42", "orders", "read")).expect("enforce"));
    assert!(cedar.allows(r#"Order::"7""#, Context::empty));

    let mut group = c.benchmark_group("policies/rbac_hierarchy");
    group.bench_function("auth_core", |b| b.iter(|| viewer_gate(black_box(&user))));
    engines(
        &mut group,
        (&casbin, &cached),
        &("42", "orders", "read"),
        &cedar,
        Context::empty,
    );
    group.finish();
}

fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("policies/scaling");
    group.sample_size(10);
    for n in [10_usize, 100, 1_000, 10_000] {
        let roles: Vec<String> = (0..n).map(|i| format!("role_{i}")).collect();
        let last = &roles[n - 1];
        let grants: Vec<(String, String)> = (0..n)
            .map(|i| (format!("role_{i}"), format!("obj_{i}:read")))
            .collect();
        let parents: Vec<(&str, &str)> = roles.iter().map(|r| (r.as_str(), "member")).collect();
        let table = Arc::new(RoleTable::new(&parents, &grants));
        let user = principal(&[last.as_str()], table);
        let permission: &'static str = String::leak(format!("obj_{}:read", n - 1));

        let policies: Vec<Vec<String>> = (0..n)
            .map(|i| vec![format!("role_{i}"), format!("obj_{i}"), "read".to_owned()])
            .collect();
        let (casbin, cached) = casbin_pair(
            RBAC_MODEL,
            &policies,
            &[vec!["42".to_owned(), last.clone()]],
        );
        let object = format!("obj_{}", n - 1);

        let mut cedar_policies = String::new();
        for i in 0..n {
            writeln!(
                cedar_policies,
                "permit(principal in Role::\"role_{i}\", action == Action::\"read\", resource == Doc::\"obj_{i}\");"
            )
            .expect("writing to a String");
        }
        let mut entities: Vec<Entity> = roles.iter().map(|r| role_entity(r, &[])).collect();
        entities.push(user_entity(&[last.as_str()]));
        let cedar = Cedar::new(&cedar_policies, entities);
        let resource = format!("Doc::\"obj_{}\"", n - 1);

        assert!(permission_gate(&user, permission).into_result().is_ok());
        assert!(
            casbin
                .enforce(("42", object.as_str(), "read"))
                .expect("enforce")
        );
        assert!(cedar.allows(&resource, Context::empty));

        group.bench_with_input(BenchmarkId::new("auth_core", n), &n, |b, _| {
            b.iter(|| permission_gate(black_box(&user), black_box(permission)));
        });
        group.bench_with_input(BenchmarkId::new("casbin", n), &n, |b, _| {
            b.iter(|| casbin.enforce(black_box(("42", object.as_str(), "read"))));
        });
        group.bench_with_input(BenchmarkId::new("casbin_cached", n), &n, |b, _| {
            b.iter(|| cached.enforce(black_box(("42", object.as_str(), "read"))));
        });
        group.bench_with_input(BenchmarkId::new("cedar", n), &n, |b, _| {
            b.iter(|| cedar.allows(black_box(&resource), Context::empty));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = role, ownership, five, hierarchy, scaling
}
criterion_main!(benches);
