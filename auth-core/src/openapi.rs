//! OpenAPI security written from the gates (feature `utoipa`).
//!
//! A service documents its operations with `#[utoipa::path]` as usual; this
//! module writes the rest from what the handlers check, so no hand-written
//! `SecurityAddon` can drift from the code:
//!
//! - `components.securitySchemes`: one per credential the authenticators read
//!   ([`Scheme`]): a bearer token is `http` / `bearer` (format `JWT` unless
//!   [`bearer_format`](OpenApiSecurity::bearer_format) says otherwise), a cookie
//!   an `apiKey` in that cookie, a header an `apiKey` in that header;
//! - per operation, `security`: one requirement per way in (alternatives), each
//!   naming one scheme with the scopes the gates require. `any(..)` of scopes or
//!   mechanisms gives alternative requirements, `mechanism(..)` and
//!   `not(mechanism(..))` keep only the schemes that can pass. A `#[public]`
//!   operation gets `security: [{}]` (none, overriding a global requirement); a
//!   public one with optional sign-in (`Option<Authenticated<U>>`) gets its
//!   schemes and `{}`;
//! - per operation, the error responses the gates and the authenticator can
//!   produce, with their headers (`WWW-Authenticate`, `Retry-After`,
//!   `RateLimit-Policy`, `RateLimit`) and the JSON body the adapters send,
//!   `{"error": "..", "error_description": ".."}` (schema `AuthError`);
//! - per operation, `x-auth-gates`: the gates as written (roles and permissions
//!   have no place in an OpenAPI security requirement; they are listed here).
//!
//! Which responses a handler can produce:
//!
//! | response | when |
//! |---|---|
//! | 400 `invalid_request` | every route that authenticates: a malformed credential, two at once |
//! | 401 | every route that authenticates |
//! | 403 | any gate but `authenticated`; or a handler that refuses guests |
//! | 404 | a policy gate (`Update(order)`) or a `check(..)`: a policy may hide a resource, a loader may not find it |
//! | 429 | a policy gate or a `check(..)` (`check(limit::within_plan)`): a decision may be a rate limit |
//! | 503 | every route that authenticates: a store may not answer |
//!
//! What a policy or a `check(..)` predicate answers is code, not text: the
//! document cannot know, so it lists every status a decision can have (the
//! complete side). A status the operation already documents is left as written.
//!
//! # Linking operations to handlers
//!
//! A [`SecureRouter`](crate::axum::SecureRouter) records, for each route it
//! mounts, the handler's inventory record (found by the handler's exact path,
//! as its early gates are) and who it admits; the document is matched to it by
//! method and path template. Nothing is matched by name. The match fails loudly,
//! with an [`OpenApiError`] listing every problem:
//!
//! - a route mounted with no operation in the document ([`Problem::MissingOperation`]);
//! - an operation in the document that no route serves ([`Problem::UnknownOperation`]);
//! - a route whose handler record cannot be found ([`Problem::HandlerNotFound`]);
//! - a guarded route whose gates admit no scheme the authenticator reads
//!   ([`Problem::NoScheme`]).
//!
//! [`OpenApiSecurity::verify`] checks a served document (JSON) against the router:
//! an operation of a guarded route without its security requirement, or without
//! its 401 or 403, is an error. Run it in a test.
//!
//! ```
//! use auth_core::axum::{get, SecureRouter};
//! use auth_core::{public, requires, Authenticated, SharedAuthenticator};
//! # use auth_core::{AuthError, Authenticator, Identity};
//! # #[derive(Clone)] struct User;
//! # struct Jwt;
//! # impl Authenticator for Jwt {
//! #     type User = User;
//! #     async fn authenticate(&self, _: &http::request::Parts) -> Result<Identity<User>, AuthError> {
//! #         Err(AuthError::MissingCredentials)
//! #     }
//! # }
//!
//! #[utoipa::path(get, path = "/health", responses((status = 200, description = "alive")))]
//! #[public]
//! async fn health() -> &'static str { "ok" }
//!
//! #[utoipa::path(get, path = "/orders", responses((status = 200, description = "the orders")))]
//! #[requires(scope("orders:read"))]
//! async fn orders(user: Authenticated<User>) -> &'static str { "[]" }
//!
//! #[derive(utoipa::OpenApi)]
//! #[openapi(paths(health, orders))]
//! struct ApiDoc;
//!
//! let auth = SharedAuthenticator::new(Jwt).with_realm("shop");
//! let router = SecureRouter::new()
//!     .route("/health", get(health))
//!     .route("/orders", get(orders));
//!
//! let security = router.openapi_security(&auth);
//! let mut doc = <ApiDoc as utoipa::OpenApi>::openapi();
//! security.apply(&mut doc)?;
//!
//! let json = serde_json::to_value(&doc).unwrap();
//! assert_eq!(json["paths"]["/orders"]["get"]["security"], serde_json::json!([{"bearer": ["orders:read"]}]));
//! assert_eq!(json["paths"]["/health"]["get"]["security"], serde_json::json!([{}]));
//! assert!(json["paths"]["/orders"]["get"]["responses"]["401"].is_object());
//! security.verify(&json)?;
//! # Ok::<(), auth_core::openapi::OpenApiError>(())
//! ```
//!
//! The document describes what the gates require. It is generated from them and
//! is never a source of truth for access: the gates decide, whatever it says.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value, json};

use crate::gate_text::{split_top_level, unquote};
use crate::inventory::Entry;
use crate::{Mechanism, Scheme};

/// The name of the error body's schema in `components.schemas`.
pub const ERROR_SCHEMA: &str = "AuthError";

/// The extension naming an operation's gates, as written.
pub const GATES_EXTENSION: &str = "x-auth-gates";

/// Who a route's handler admits, and through which credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Admits {
    /// A `#[public]` handler: anyone, no credential read.
    Anyone,
    /// A `#[requires]` handler: a principal of an authenticator reading
    /// `schemes`, in `realm`.
    SignedIn {
        /// The credentials the authenticator reads.
        schemes: Vec<Scheme>,
        /// The realm its challenges name (may be empty).
        realm: String,
    },
    /// A `#[public]` handler with optional sign-in (`Option<Authenticated<U>>`):
    /// anyone, and a credential, when sent, must verify.
    MaybeSignedIn {
        /// The credentials the authenticator reads.
        schemes: Vec<Scheme>,
        /// The realm its challenges name (may be empty).
        realm: String,
    },
}

/// A mounted route: method, path template, the handler's record, who it admits.
#[derive(Debug, Clone)]
struct Route {
    method: http::Method,
    path: String,
    handler: Result<Entry, HandlerLookup>,
    admits: Admits,
}

/// Why a route's handler record was not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandlerLookup {
    /// No registered record has the handler's path: not a `#[requires]` or
    /// `#[public]` function item (a closure, a generic function).
    NoRecord,
    /// More than one record has it (two versions of one crate, say).
    Ambiguous,
}

/// The security of every route of a router, ready to be written into an OpenAPI
/// document ([`apply`](Self::apply)) or checked against one
/// ([`verify`](Self::verify)). Made by
/// [`SecureRouter::openapi_security`](crate::axum::SecureRouter::openapi_security),
/// or route by route with [`route`](Self::route) for another framework.
#[derive(Debug, Clone)]
pub struct OpenApiSecurity {
    routes: Vec<Route>,
    bearer_format: Option<String>,
    mechanisms: Vec<(Scheme, Vec<Mechanism>)>,
}

impl Default for OpenApiSecurity {
    fn default() -> Self {
        Self::new()
    }
}

impl OpenApiSecurity {
    /// No routes yet; bearer tokens are documented as JWTs.
    pub fn new() -> Self {
        OpenApiSecurity {
            routes: Vec::new(),
            bearer_format: Some("JWT".to_owned()),
            mechanisms: Vec::new(),
        }
    }

    /// Adds a route: `handler` is its inventory entry (`None` when it could not
    /// be found, an error when the document is written or checked).
    #[must_use]
    pub fn route(
        mut self,
        method: http::Method,
        path: impl Into<String>,
        handler: Option<Entry>,
        admits: Admits,
    ) -> Self {
        self.routes.push(Route {
            method,
            path: path.into(),
            handler: handler.ok_or(HandlerLookup::NoRecord),
            admits,
        });
        self
    }

    #[cfg_attr(
        not(feature = "axum"),
        allow(dead_code, reason = "only the axum router records lookups")
    )]
    pub(crate) fn route_found(
        mut self,
        method: http::Method,
        path: String,
        handler: Result<Entry, HandlerLookup>,
        admits: Admits,
    ) -> Self {
        self.routes.push(Route {
            method,
            path,
            handler,
            admits,
        });
        self
    }

    /// The `bearerFormat` of the bearer scheme: `JWT` by default, `None` for an
    /// opaque token.
    #[must_use]
    pub fn bearer_format(mut self, format: Option<&str>) -> Self {
        self.bearer_format = format.map(str::to_owned);
        self
    }

    /// The mechanisms a credential of `scheme` makes (what `mechanism(..)` gates
    /// see). By default a bearer token makes [`Mechanism::BearerToken`] or
    /// [`Mechanism::Guest`], a cookie [`Mechanism::Session`], a header
    /// [`Mechanism::ApiKey`]. Say so for a JWT read from a cookie:
    ///
    /// ```
    /// use auth_core::openapi::OpenApiSecurity;
    /// use auth_core::{Mechanism, Scheme};
    ///
    /// let security = OpenApiSecurity::new()
    ///     .scheme_mechanisms(Scheme::cookie("__Host-access-token"), &[Mechanism::BearerToken]);
    /// ```
    #[must_use]
    pub fn scheme_mechanisms(mut self, scheme: Scheme, mechanisms: &[Mechanism]) -> Self {
        self.mechanisms.retain(|(known, _)| *known != scheme);
        self.mechanisms.push((scheme, mechanisms.to_vec()));
        self
    }

    fn mechanisms_of(&self, scheme: &Scheme) -> Vec<Mechanism> {
        if let Some((_, mechanisms)) = self.mechanisms.iter().find(|(s, _)| s == scheme) {
            return mechanisms.clone();
        }
        match scheme {
            Scheme::Bearer => vec![Mechanism::BearerToken, Mechanism::Guest],
            Scheme::Cookie { .. } => vec![Mechanism::Session],
            Scheme::Header { .. } => vec![Mechanism::ApiKey],
        }
    }

    /// The security schemes of every route, each under its key, in order.
    fn schemes(&self) -> Vec<SchemeDoc> {
        let mut docs: Vec<SchemeDoc> = Vec::new();
        for route in &self.routes {
            let (Admits::SignedIn { schemes, realm } | Admits::MaybeSignedIn { schemes, realm }) =
                &route.admits
            else {
                continue;
            };
            for scheme in schemes {
                if docs.iter().any(|d| d.scheme == *scheme) {
                    continue;
                }
                let mechanisms = self.mechanisms_of(scheme);
                let base = match mechanisms.first() {
                    Some(Mechanism::Session) => "session",
                    Some(Mechanism::ApiKey) => "api_key",
                    Some(Mechanism::Guest) => "guest",
                    Some(Mechanism::Test) => "test",
                    Some(Mechanism::BearerToken) | None => "bearer",
                };
                let mut key = base.to_owned();
                if docs.iter().any(|d| d.key == key) {
                    key = format!("{base}_{}", sanitize(&scheme_name(scheme)));
                }
                docs.push(SchemeDoc {
                    key,
                    scheme: scheme.clone(),
                    mechanisms,
                    realm: realm.clone(),
                });
            }
        }
        docs
    }

    /// What one route's operation must say.
    fn expected(route: &Route, schemes: &[SchemeDoc]) -> Result<Expected, Problem> {
        let entry = match route.handler {
            Ok(entry) => entry,
            Err(lookup) => {
                return Err(Problem::HandlerNotFound {
                    method: route.method.clone(),
                    path: route.path.clone(),
                    lookup,
                });
            }
        };
        let keyed = |wanted: &[Scheme]| -> Vec<&SchemeDoc> {
            schemes
                .iter()
                .filter(|d| wanted.contains(&d.scheme))
                .collect()
        };
        match &route.admits {
            Admits::Anyone => Ok(Expected {
                security: vec![Requirement::new()],
                statuses: BTreeSet::new(),
                gates: Vec::new(),
            }),
            Admits::MaybeSignedIn {
                schemes: wanted, ..
            } => {
                let mut security: Vec<Requirement> = keyed(wanted)
                    .into_iter()
                    .map(|d| Requirement::from([(d.key.clone(), Vec::new())]))
                    .collect();
                security.push(Requirement::new());
                Ok(Expected {
                    security,
                    statuses: [400, 401, 503].into(),
                    gates: Vec::new(),
                })
            }
            Admits::SignedIn {
                schemes: wanted, ..
            } => {
                let access = access_of(entry.gates(), entry.accepts_guests(), &keyed(wanted));
                if access.security.is_empty() {
                    return Err(Problem::NoScheme {
                        method: route.method.clone(),
                        path: route.path.clone(),
                    });
                }
                Ok(Expected {
                    security: access.security,
                    statuses: access.statuses,
                    gates: entry.gates().iter().map(|g| (*g).to_owned()).collect(),
                })
            }
        }
    }

    /// Writes the security into `doc` (see the [module docs](self)).
    ///
    /// # Errors
    /// Every [`Problem`] found, at once; `doc` is then left unchanged.
    pub fn apply(&self, doc: &mut utoipa::openapi::OpenApi) -> Result<(), OpenApiError> {
        let mut json = serde_json::to_value(&*doc).map_err(|e| OpenApiError::json(&e))?;
        self.apply_json(&mut json)?;
        *doc = serde_json::from_value(json).map_err(|e| OpenApiError::json(&e))?;
        Ok(())
    }

    /// [`apply`](Self::apply) on a document as JSON (from any generator).
    ///
    /// # Errors
    /// Every [`Problem`] found, at once; `doc` is then left unchanged.
    pub fn apply_json(&self, doc: &mut Value) -> Result<(), OpenApiError> {
        let schemes = self.schemes();
        let mut problems = Vec::new();
        let mut writes = Vec::new();
        for route in &self.routes {
            match Self::expected(route, &schemes) {
                Ok(expected) => writes.push((route, expected)),
                Err(problem) => problems.push(problem),
            }
            if operation(doc, &route.method, &route.path).is_none() {
                problems.push(Problem::MissingOperation {
                    method: route.method.clone(),
                    path: route.path.clone(),
                });
            }
        }
        problems.extend(self.unknown_operations(doc));
        let mut new_schemes = Map::new();
        for scheme in &schemes {
            let object = self.scheme_object(scheme);
            match doc.pointer(&format!("/components/securitySchemes/{}", scheme.key)) {
                Some(existing) if *existing != object => {
                    problems.push(Problem::ComponentConflict {
                        component: format!("securitySchemes/{}", scheme.key),
                    });
                }
                _ => {
                    new_schemes.insert(scheme.key.clone(), object);
                }
            }
        }
        match doc.pointer(&format!("/components/schemas/{ERROR_SCHEMA}")) {
            Some(existing) if *existing != error_schema() => {
                problems.push(Problem::ComponentConflict {
                    component: format!("schemas/{ERROR_SCHEMA}"),
                });
            }
            _ => {}
        }
        if !doc.is_object() {
            problems.push(Problem::NotADocument);
        }
        if !problems.is_empty() {
            return Err(OpenApiError { problems });
        }
        // Nothing is written before this point: a refused document is unchanged.
        let Some(components) = doc
            .as_object_mut()
            .and_then(|root| object_at(root, "components"))
        else {
            return Err(OpenApiError {
                problems: vec![Problem::NotADocument],
            });
        };
        if !schemes.is_empty()
            && let Some(security_schemes) = object_at(components, "securitySchemes")
        {
            security_schemes.extend(new_schemes);
        }
        let uses_errors = writes.iter().any(|(_, e)| !e.statuses.is_empty());
        if uses_errors && let Some(schemas) = object_at(components, "schemas") {
            schemas.insert(ERROR_SCHEMA.to_owned(), error_schema());
        }
        for (route, expected) in writes {
            let Some(op) = operation_mut(doc, &route.method, &route.path) else {
                continue;
            };
            op.insert(
                "security".to_owned(),
                Value::Array(expected.security.iter().map(requirement_json).collect()),
            );
            if !expected.gates.is_empty() {
                op.insert(GATES_EXTENSION.to_owned(), json!(expected.gates));
            }
            if !expected.statuses.is_empty()
                && let Some(responses) = object_at(op, "responses")
            {
                for status in &expected.statuses {
                    responses
                        .entry(status.to_string())
                        .or_insert_with(|| error_response(*status));
                }
            }
        }
        Ok(())
    }

    /// Checks a document (as served, JSON) against the routes: every route has
    /// its operation, every operation a route; each operation's `security` is
    /// exactly the gates' (as a set of requirements), and a guarded one
    /// documents its 401, and its 403 when a gate can refuse.
    ///
    /// # Errors
    /// Every [`Problem`] found.
    pub fn verify(&self, doc: &Value) -> Result<(), OpenApiError> {
        let schemes = self.schemes();
        let mut problems = Vec::new();
        for route in &self.routes {
            let expected = match Self::expected(route, &schemes) {
                Ok(expected) => expected,
                Err(problem) => {
                    problems.push(problem);
                    continue;
                }
            };
            let Some(op) = operation(doc, &route.method, &route.path) else {
                problems.push(Problem::MissingOperation {
                    method: route.method.clone(),
                    path: route.path.clone(),
                });
                continue;
            };
            let found: Option<BTreeSet<Requirement>> = op
                .get("security")
                .and_then(Value::as_array)
                .map(|list| list.iter().filter_map(requirement_of_json).collect());
            let wanted: BTreeSet<Requirement> = expected.security.iter().cloned().collect();
            if found.as_ref() != Some(&wanted) {
                problems.push(Problem::WrongSecurity {
                    method: route.method.clone(),
                    path: route.path.clone(),
                    expected: describe_requirements(&wanted),
                    found: found.map_or_else(|| "none".to_owned(), |f| describe_requirements(&f)),
                });
            }
            for status in expected.statuses.intersection(&[401, 403].into()) {
                if op.pointer(&format!("/responses/{status}")).is_none() {
                    problems.push(Problem::MissingResponse {
                        method: route.method.clone(),
                        path: route.path.clone(),
                        status: *status,
                    });
                }
            }
        }
        for scheme in &schemes {
            if doc
                .pointer(&format!("/components/securitySchemes/{}", scheme.key))
                .is_none()
            {
                problems.push(Problem::MissingScheme {
                    key: scheme.key.clone(),
                });
            }
        }
        problems.extend(self.unknown_operations(doc));
        if problems.is_empty() {
            Ok(())
        } else {
            Err(OpenApiError { problems })
        }
    }

    /// The operations of `doc` that no route serves.
    fn unknown_operations(&self, doc: &Value) -> Vec<Problem> {
        let mut problems = Vec::new();
        let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
            return problems;
        };
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for method in item.keys() {
                let Some(method) = http_method(method) else {
                    continue;
                };
                let served = self
                    .routes
                    .iter()
                    .any(|r| r.method == method && openapi_path(&r.path) == *path);
                if !served {
                    problems.push(Problem::UnknownOperation {
                        method,
                        path: path.clone(),
                    });
                }
            }
        }
        problems
    }

    fn scheme_object(&self, scheme: &SchemeDoc) -> Value {
        let realm = if scheme.realm.is_empty() {
            String::new()
        } else {
            format!(" Realm `{}`.", scheme.realm)
        };
        let mechanisms: Vec<&str> = scheme.mechanisms.iter().map(|m| m.as_str()).collect();
        let made = format!(" Mechanism: {}.", mechanisms.join(", "));
        match &scheme.scheme {
            Scheme::Bearer => {
                let mut object = json!({
                    "type": "http",
                    "scheme": "bearer",
                    "description": format!("`Authorization: Bearer <token>` (RFC 6750).{realm}{made}"),
                });
                if let (Some(format), Some(map)) = (&self.bearer_format, object.as_object_mut()) {
                    map.insert("bearerFormat".to_owned(), json!(format));
                }
                object
            }
            Scheme::Cookie { name } => json!({
                "type": "apiKey",
                "in": "cookie",
                "name": &**name,
                "description": format!("The cookie `{name}`.{realm}{made}"),
            }),
            Scheme::Header { name } => json!({
                "type": "apiKey",
                "in": "header",
                "name": name.as_str(),
                "description": format!("The header `{name}`.{realm}{made}"),
            }),
        }
    }
}

/// A security requirement: scheme key → scopes.
type Requirement = BTreeMap<String, Vec<String>>;

fn requirement_json(requirement: &Requirement) -> Value {
    Value::Object(
        requirement
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect(),
    )
}

fn requirement_of_json(value: &Value) -> Option<Requirement> {
    value.as_object().map(|map| {
        map.iter()
            .map(|(k, v)| {
                let mut scopes: Vec<String> = v
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                scopes.sort();
                (k.clone(), scopes)
            })
            .collect()
    })
}

fn describe_requirements(requirements: &BTreeSet<Requirement>) -> String {
    let each: Vec<String> = requirements
        .iter()
        .map(|r| requirement_json(r).to_string())
        .collect();
    format!("[{}]", each.join(", "))
}

/// A security scheme as documented.
#[derive(Debug, Clone)]
struct SchemeDoc {
    key: String,
    scheme: Scheme,
    mechanisms: Vec<Mechanism>,
    realm: String,
}

/// What a route's operation must say.
#[derive(Debug, Clone)]
struct Expected {
    security: Vec<Requirement>,
    statuses: BTreeSet<u16>,
    gates: Vec<String>,
}

/// A gated handler's security requirements and error statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Access {
    security: Vec<Requirement>,
    statuses: BTreeSet<u16>,
}

fn scheme_name(scheme: &Scheme) -> String {
    match scheme {
        Scheme::Bearer => "bearer".to_owned(),
        Scheme::Cookie { name } => name.to_string(),
        Scheme::Header { name } => name.as_str().to_owned(),
    }
}

/// `name` with what a component key may not hold (`^[a-zA-Z0-9.\-_]+$`) as `_`.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Past this many alternatives, the requirements keep their schemes and drop
/// their scopes rather than list every combination.
const MAX_TERMS: usize = 64;

/// The requirements and statuses of a `#[requires]` handler with `gates`,
/// `guests` allowed or not, reached through `schemes`.
fn access_of(gates: &[&str], guests: bool, schemes: &[&SchemeDoc]) -> Access {
    let parsed: Vec<GateText<'_>> = gates.iter().map(|g| GateText::parse(g)).collect();
    // Authentication: a missing or bad credential, a malformed request, a store.
    let mut statuses: BTreeSet<u16> = [400, 401, 503].into();
    if !guests {
        // A guest is refused before any gate runs.
        statuses.insert(403);
    }
    for gate in &parsed {
        gate.statuses(&mut statuses);
    }
    let all = GateText::All(parsed);
    let mut terms = all.dnf(false);
    let capped = terms.len() > MAX_TERMS;
    if capped {
        terms = vec![Term::default()];
    }
    let mut security: Vec<Requirement> = Vec::new();
    for term in &terms {
        for scheme in schemes {
            let admitted = scheme.mechanisms.iter().any(|m| {
                (guests || *m != Mechanism::Guest)
                    && term.only.iter().all(|only| only == m.as_str())
                    && !term.except.iter().any(|e| e == m.as_str())
            });
            if !admitted {
                continue;
            }
            let scopes: Vec<String> = term.scopes.iter().cloned().collect();
            let requirement = Requirement::from([(scheme.key.clone(), scopes)]);
            if !security.contains(&requirement) {
                security.push(requirement);
            }
        }
    }
    // A requirement whose scopes include another's (same scheme) adds nothing.
    let minimal: Vec<Requirement> = security
        .iter()
        .filter(|r| {
            !security.iter().any(|other| {
                other != *r
                    && other.keys().eq(r.keys())
                    && other
                        .values()
                        .zip(r.values())
                        .all(|(o, mine)| o.iter().all(|s| mine.contains(s)))
            })
        })
        .cloned()
        .collect();
    Access {
        security: minimal,
        statuses,
    }
}

/// One way through the gates: the scopes it needs, and the mechanisms it
/// requires (`only`) or refuses (`except`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Term {
    scopes: BTreeSet<String>,
    only: BTreeSet<String>,
    except: BTreeSet<String>,
}

impl Term {
    fn and(&self, other: &Term) -> Term {
        Term {
            scopes: self.scopes.union(&other.scopes).cloned().collect(),
            only: self.only.union(&other.only).cloned().collect(),
            except: self.except.union(&other.except).cloned().collect(),
        }
    }
}

/// A gate as the inventory records it (`scope("a")`, `any(role("a"), ..)`),
/// read back.
#[derive(Debug, Clone, PartialEq, Eq)]
enum GateText<'t> {
    Scope(String),
    Mechanism(String),
    /// `role`, `permission`: a 403 when refused, no place in `security`.
    Named,
    /// `mfa`, `fresh(..)`, `amr(..)`, `acr(..)`: a 401 step-up (or a 403).
    StepUp,
    Any(Vec<GateText<'t>>),
    All(Vec<GateText<'t>>),
    Not(Box<GateText<'t>>),
    Authenticated,
    /// `check(..)`, a policy (`Update(order)`), or text not understood: any
    /// decision.
    Decision(&'t str),
}

impl<'t> GateText<'t> {
    fn parse(text: &'t str) -> GateText<'t> {
        let text = text.trim();
        match text {
            "authenticated" => return GateText::Authenticated,
            "mfa" => return GateText::StepUp,
            _ => {}
        }
        let Some((head, inner)) = text.strip_suffix(')').and_then(|rest| rest.split_once('('))
        else {
            return GateText::Decision(text);
        };
        match head {
            "scope" | "mechanism" => match unquote(inner) {
                Some(name) if head == "scope" => GateText::Scope(name),
                Some(name) => GateText::Mechanism(name),
                None => GateText::Decision(text),
            },
            "role" | "permission" => GateText::Named,
            "fresh" | "amr" | "acr" => GateText::StepUp,
            "any" | "all" | "not" => {
                let Some(parts) = split_top_level(inner) else {
                    return GateText::Decision(text);
                };
                let mut gates: Vec<GateText<'t>> = parts.into_iter().map(GateText::parse).collect();
                match head {
                    "any" => GateText::Any(gates),
                    "all" => GateText::All(gates),
                    _ if gates.len() == 1 => GateText::Not(Box::new(gates.remove(0))),
                    _ => GateText::Decision(text),
                }
            }
            _ => GateText::Decision(text),
        }
    }

    /// The statuses a refusal by this gate can have.
    fn statuses(&self, out: &mut BTreeSet<u16>) {
        match self {
            GateText::Authenticated => {}
            GateText::Scope(_) | GateText::Mechanism(_) | GateText::Named => {
                out.insert(403);
            }
            GateText::StepUp => {
                out.extend([401, 403]);
            }
            GateText::Any(gates) | GateText::All(gates) => {
                for gate in gates {
                    gate.statuses(out);
                }
            }
            GateText::Not(gate) => {
                out.insert(403);
                gate.statuses(out);
            }
            GateText::Decision(_) => out.extend([401, 403, 404, 429, 503]),
        }
    }

    /// The ways through this gate (negated when `negated`), in disjunctive
    /// normal form over scopes and mechanisms; any other gate may pass.
    fn dnf(&self, negated: bool) -> Vec<Term> {
        match (self, negated) {
            (GateText::Scope(scope), false) => vec![Term {
                scopes: [scope.clone()].into(),
                ..Term::default()
            }],
            (GateText::Mechanism(m), false) => vec![Term {
                only: [m.clone()].into(),
                ..Term::default()
            }],
            (GateText::Mechanism(m), true) => vec![Term {
                except: [m.clone()].into(),
                ..Term::default()
            }],
            (GateText::Not(gate), _) => gate.dnf(!negated),
            (GateText::Any(gates), false) | (GateText::All(gates), true) => {
                let mut terms = Vec::new();
                for gate in gates {
                    for term in gate.dnf(negated) {
                        if !terms.contains(&term) {
                            terms.push(term);
                        }
                    }
                    if terms.len() > MAX_TERMS {
                        break;
                    }
                }
                terms
            }
            (GateText::All(gates), false) | (GateText::Any(gates), true) => {
                let mut terms = vec![Term::default()];
                for gate in gates {
                    let mut next = Vec::new();
                    for left in &terms {
                        for right in gate.dnf(negated) {
                            let term = left.and(&right);
                            if !next.contains(&term) {
                                next.push(term);
                            }
                        }
                    }
                    terms = next;
                    if terms.len() > MAX_TERMS {
                        break;
                    }
                }
                terms
            }
            // A negated scope cannot be said; anything else may pass.
            _ => vec![Term::default()],
        }
    }
}

/// An axum path template as OpenAPI writes it: `{*rest}` is `{rest}`.
fn openapi_path(path: &str) -> String {
    path.replace("{*", "{")
}

fn http_method(name: &str) -> Option<http::Method> {
    Some(match name {
        "get" => http::Method::GET,
        "put" => http::Method::PUT,
        "post" => http::Method::POST,
        "delete" => http::Method::DELETE,
        "options" => http::Method::OPTIONS,
        "head" => http::Method::HEAD,
        "patch" => http::Method::PATCH,
        "trace" => http::Method::TRACE,
        _ => return None,
    })
}

fn operation<'d>(doc: &'d Value, method: &http::Method, path: &str) -> Option<&'d Value> {
    doc.get("paths")?
        .get(openapi_path(path))?
        .get(method.as_str().to_ascii_lowercase())
        .filter(|op| op.is_object())
}

fn operation_mut<'d>(
    doc: &'d mut Value,
    method: &http::Method,
    path: &str,
) -> Option<&'d mut Map<String, Value>> {
    doc.get_mut("paths")?
        .get_mut(openapi_path(path))?
        .get_mut(method.as_str().to_ascii_lowercase())?
        .as_object_mut()
}

/// The object under `key`, made (or replacing what is there, when not an object).
fn object_at<'m>(map: &'m mut Map<String, Value>, key: &str) -> Option<&'m mut Map<String, Value>> {
    let slot = map
        .entry(key.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}

/// The body every adapter sends with an error.
fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "An authentication or authorization error, as auth-core's adapters send it.",
        "required": ["error", "error_description"],
        "properties": {
            "error": {
                "type": "string",
                "description": "The machine-readable code (RFC 6750 where one applies).",
                "examples": ["invalid_token"],
            },
            "error_description": {
                "type": "string",
                "description": "A fixed, client-safe description.",
            },
        },
    })
}

fn header(description: &str) -> Value {
    json!({ "description": description, "schema": { "type": "string" } })
}

fn error_response(status: u16) -> Value {
    let (description, headers): (&str, Vec<(&str, Value)>) = match status {
        400 => (
            "`invalid_request`: a malformed credential, or two at once.",
            vec![(
                "WWW-Authenticate",
                header("`Bearer` challenge with `error=\"invalid_request\"`."),
            )],
        ),
        401 => (
            "Authentication is required (`missing_credentials`), the credential was refused (`invalid_token`), or a stronger or more recent one is (`insufficient_user_authentication`, RFC 9470).",
            vec![(
                "WWW-Authenticate",
                header(
                    "One challenge per credential the service reads, e.g. `Bearer realm=\"..\"`; `error` and `error_description` on the one that failed.",
                ),
            )],
        ),
        403 => (
            "Authenticated, but not allowed: `insufficient_scope` (with a `Bearer` challenge naming the scope) or `forbidden`.",
            vec![(
                "WWW-Authenticate",
                header(
                    "On `insufficient_scope` only: `Bearer realm=\"..\", error=\"insufficient_scope\", scope=\"..\"`.",
                ),
            )],
        ),
        404 => (
            "`not_found`: the resource does not exist, or a policy hides that it does.",
            Vec::new(),
        ),
        429 => (
            "`rate_limited`: over a rate limit.",
            vec![
                (
                    "Retry-After",
                    json!({ "description": "Seconds until a request may be admitted.", "schema": { "type": "integer", "minimum": 1 } }),
                ),
                (
                    "RateLimit-Policy",
                    header("The quota exceeded (draft-ietf-httpapi-ratelimit-headers)."),
                ),
                ("RateLimit", header("What is left of it, and for how long.")),
            ],
        ),
        503 => (
            "`temporarily_unavailable`: a store access depends on did not answer; access is refused, never allowed.",
            vec![(
                "Retry-After",
                json!({ "description": "Seconds to wait, when known.", "schema": { "type": "integer", "minimum": 1 } }),
            )],
        ),
        _ => ("An authentication or authorization error.", Vec::new()),
    };
    let mut response = json!({
        "description": description,
        "content": {
            "application/json": {
                "schema": { "$ref": format!("#/components/schemas/{ERROR_SCHEMA}") },
            },
        },
    });
    if !headers.is_empty()
        && let Some(map) = response.as_object_mut()
    {
        map.insert(
            "headers".to_owned(),
            Value::Object(
                headers
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
            ),
        );
    }
    response
}

/// What is wrong between a router and an OpenAPI document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// A route is mounted, and the document has no operation for it.
    MissingOperation {
        /// The route's method.
        method: http::Method,
        /// Its path template.
        path: String,
    },
    /// The document has an operation that no mounted route serves.
    UnknownOperation {
        /// The operation's method.
        method: http::Method,
        /// Its path.
        path: String,
    },
    /// A route's handler has no single record in the inventory.
    HandlerNotFound {
        /// The route's method.
        method: http::Method,
        /// Its path template.
        path: String,
        /// Why.
        lookup: HandlerLookup,
    },
    /// A guarded route's gates admit no credential its authenticator reads.
    NoScheme {
        /// The route's method.
        method: http::Method,
        /// Its path template.
        path: String,
    },
    /// An operation's `security` is not its gates'.
    WrongSecurity {
        /// The operation's method.
        method: http::Method,
        /// Its path.
        path: String,
        /// What the gates require.
        expected: String,
        /// What the document says.
        found: String,
    },
    /// A guarded operation does not document a status its gates produce.
    MissingResponse {
        /// The operation's method.
        method: http::Method,
        /// Its path.
        path: String,
        /// The status.
        status: u16,
    },
    /// A security scheme the routes use is not in `components.securitySchemes`.
    MissingScheme {
        /// Its key.
        key: String,
    },
    /// The document already has a component of that name, different.
    ComponentConflict {
        /// `securitySchemes/<key>` or `schemas/<name>`.
        component: String,
    },
    /// The document is not a JSON object.
    NotADocument,
    /// The document does not convert to or from JSON.
    Serialization {
        /// `serde_json`'s message.
        message: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::MissingOperation { method, path } => write!(
                f,
                "`{method} {path}` is mounted but the document has no operation for it: add `#[utoipa::path({}, path = \"{}\")]` to its handler and list it in `paths(..)`",
                method.as_str().to_ascii_lowercase(),
                openapi_path(path)
            ),
            Problem::UnknownOperation { method, path } => write!(
                f,
                "the document's `{method} {path}` is served by no route of the router: mount it, or remove it from `paths(..)`"
            ),
            Problem::HandlerNotFound {
                method,
                path,
                lookup,
            } => {
                let why = match lookup {
                    HandlerLookup::NoRecord => "no record",
                    HandlerLookup::Ambiguous => "more than one record",
                };
                write!(
                    f,
                    "the handler of `{method} {path}` has {why} in the inventory: mount a non-generic `#[requires]` or `#[public]` function item"
                )
            }
            Problem::NoScheme { method, path } => write!(
                f,
                "the gates of `{method} {path}` admit no credential its authenticator reads: check its `mechanism(..)` gates, or declare the mechanisms with `OpenApiSecurity::scheme_mechanisms`"
            ),
            Problem::WrongSecurity {
                method,
                path,
                expected,
                found,
            } => write!(
                f,
                "`{method} {path}` has security {found}, its gates require {expected}: write the document with `OpenApiSecurity::apply`"
            ),
            Problem::MissingResponse {
                method,
                path,
                status,
            } => write!(
                f,
                "`{method} {path}` does not document its {status}: write the document with `OpenApiSecurity::apply`"
            ),
            Problem::MissingScheme { key } => write!(
                f,
                "the security scheme `{key}` is missing from `components.securitySchemes`: write the document with `OpenApiSecurity::apply`"
            ),
            Problem::ComponentConflict { component } => write!(
                f,
                "the document already has a different `components.{component}`: remove it, the gates write it"
            ),
            Problem::NotADocument => f.write_str("the document is not a JSON object"),
            Problem::Serialization { message } => {
                write!(f, "the document does not convert to JSON: {message}")
            }
        }
    }
}

/// The problems between a router and its OpenAPI document: each one, listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the OpenAPI document does not match the router's gates: {}", list(.problems))]
pub struct OpenApiError {
    problems: Vec<Problem>,
}

fn list(problems: &[Problem]) -> String {
    let each: Vec<String> = problems.iter().map(ToString::to_string).collect();
    each.join("; ")
}

impl OpenApiError {
    /// Every problem found.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    fn json(error: &serde_json::Error) -> Self {
        OpenApiError {
            problems: vec![Problem::Serialization {
                message: error.to_string(),
            }],
        }
    }
}

#[cfg(test)]
mod tests;
