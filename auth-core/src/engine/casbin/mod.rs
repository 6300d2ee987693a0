//! Casbin behind [`Policy`](crate::Policy): a model and a policy a team already
//! keeps (files, or any casbin [`Adapter`]) decide a handler's
//! `#[requires(Update(doc))]`, which still gets its `Permit<Update, Document>`.
//!
//! The domain crate writes the policy as usual and asks the engine inside it;
//! nothing here makes a permit:
//!
//! ```
//! use auth_core::casbin::{Casbin, CasbinResource, CasbinSubject, Object};
//! use auth_core::{Action, Authenticated, Decision, Policy, Resource};
//!
//! #[derive(Action)]
//! struct Read;
//! struct User;
//! impl CasbinSubject for User {} // `sub` is the verified subject
//!
//! struct Document { id: i64 }
//! impl Resource for Document {
//!     const KIND: &'static str = "document";
//!     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
//! }
//! impl CasbinResource for Document {
//!     const OBJECT: Object<Self> = Object::int("id", |d| d.id); // `document:42`
//! }
//!
//! impl Policy<Document> for Read {
//!     type Principal = User;
//!     type State = Casbin;
//!     fn decide(user: &Authenticated<User>, doc: &Document, casbin: &Casbin) -> Decision {
//!         casbin.decide::<Read, _, _>(user, doc) // `enforce(sub, "document:42", "read")`
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let model = "
//! [request_definition]
//! r = sub, obj, act
//! [policy_definition]
//! p = sub, obj, act
//! [role_definition]
//! g = _, _
//! [policy_effect]
//! e = some(where (p.eft == allow))
//! [matchers]
//! m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act
//! ";
//! let policy = "p, reader, document:1, read\ng, alice, reader\n";
//! let casbin = Casbin::from_strings(model, policy).await?;
//! # Ok::<(), auth_core::casbin::CasbinError>(()) }).unwrap();
//! ```
//!
//! # What it guarantees
//!
//! - **Fail closed.** An enforcer error (a matcher that cannot be evaluated, a
//!   request the model does not fit, a panic inside casbin) is
//!   [`Decision::unavailable`] (503), never an allow. An empty `sub`, `obj` or
//!   `act` is never sent (casbin would compare it with empty fields).
//! - **Checked at load.** The model must fill only `sub`, `dom`, `obj`, `act`
//!   and use an effect casbin supports; every policy line must be a rule type the
//!   model defines, with its number of fields, none empty; a matcher that cannot
//!   be evaluated fails the load. Errors name the file and the line
//!   ([`CasbinError`]), so a service refuses to start on a bad policy. A policy
//!   with no `p` rule is refused too (a truncated file would deny everything
//!   silently) unless [`Loader::allow_empty_policy`] says it is deliberate.
//! - **No lock on the hot path.** Decisions read an immutable snapshot (the
//!   enforcer, its role links) through an `ArcSwap` (arc-swap): a
//!   load is a few atomic operations. A [`reload`](Casbin::reload) builds the
//!   next snapshot off the hot path and swaps it in; a request sees the old
//!   policy or the new one, never half of each. A reload that fails keeps the
//!   policy in use and returns (and, from the [watcher](Casbin::watch), logs) the
//!   error.
//! - **Evidence.** An allow (or a denial by a `deny` rule) carries the matched
//!   rule (casbin's `explain`) as its [`Evidence`], and so into its audit event
//!   (`engine = "casbin"`, `evidence = "editor, acme, document:1, update"`).
//! - **Lists that equal the single answers**, for the matchers that are plain
//!   equalities (with roles and domains, and `*` rules): [`Casbin::list`]
//!   collects the candidates from casbin's implicit permissions, then asks the
//!   enforcer for each, so the list is exactly the objects a single decision
//!   allows. Any other matcher (`keyMatch`, `regexMatch`, arbitrary
//!   expressions) or effect is refused, never approximated
//!   ([`Loader::require_lists`] refuses it at load).

mod error;
mod list;
mod load;
mod mapping;
mod watch;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex as StdMutex};

use arc_swap::ArcSwap;
use casbin::{Adapter, CoreApi, DefaultModel, MgmtApi, RbacApi};
use tokio::sync::Mutex;

use crate::engine::{Evidence, Listing};
use crate::filter::Filter;
use crate::{Action, Authenticated, Decision};

/// The casbin crate (casbin-rs 2) this module builds on: its
/// [`Adapter`] trait and adapters, in the version auth-core
/// uses.
#[doc(no_inline)]
pub use ::casbin as casbin_rs;
pub use error::CasbinError;
pub use mapping::{CasbinResource, CasbinSubject, Object};
pub use watch::Watch;

use load::{Snapshot, Token};

/// The 503 name of the engine.
const ENGINE: &str = "casbin enforcer";
/// The engine's name in audit events ([`Evidence::engine`]).
const EVIDENCE: &str = "casbin";

/// A Casbin model and policy, shared by every request: cheap to clone, safe to
/// use from any thread. Build it with [`Casbin::from_files`], a [`Loader`], or
/// [`Casbin::from_adapter`]; put it (or something holding it) in the policy's
/// [`State`](crate::Policy::State).
#[derive(Clone)]
pub struct Casbin {
    shared: Arc<Shared>,
}

struct Shared {
    current: ArcSwap<Snapshot>,
    /// Where the policy comes from. Held across a reload, so two reloads never
    /// race to install an older policy last; never taken by a decision.
    source: Mutex<Source>,
    options: Options,
    /// The last reload's error, for health checks; cleared by a good one.
    last_error: StdMutex<Option<String>>,
}

#[derive(Clone, Copy, Default)]
struct Options {
    allow_empty: bool,
    require_lists: bool,
    role_named_subjects: bool,
}

enum Source {
    Files {
        model: PathBuf,
        policy: PathBuf,
    },
    Strings {
        model: String,
        policy: String,
    },
    Adapter {
        model: PathBuf,
        adapter: Box<dyn Adapter>,
    },
}

/// How a [`Casbin`] is loaded: from files, strings or an adapter, with options.
///
/// ```no_run
/// # async fn start() -> Result<(), auth_core::casbin::CasbinError> {
/// use auth_core::casbin::Loader;
///
/// let casbin = Loader::files("casbin/model.conf", "casbin/policy.csv")
///     .require_lists()
///     .load()
///     .await?; // a bad file stops the start, naming the file and the line
/// # Ok(()) }
/// ```
#[must_use = "a loader does nothing until `load` is awaited"]
pub struct Loader {
    source: Source,
    options: Options,
}

impl Loader {
    /// The model and the policy from files (`model.conf`, `policy.csv`).
    pub fn files(model: impl AsRef<Path>, policy: impl AsRef<Path>) -> Self {
        Loader {
            source: Source::Files {
                model: model.as_ref().to_owned(),
                policy: policy.as_ref().to_owned(),
            },
            options: Options::default(),
        }
    }

    /// The model and the policy as text (tests, policies compiled in). A
    /// reload reads the same text again.
    pub fn strings(model: impl Into<String>, policy: impl Into<String>) -> Self {
        Loader {
            source: Source::Strings {
                model: model.into(),
                policy: policy.into(),
            },
            options: Options::default(),
        }
    }

    /// The model from a file, the policy from a casbin [`Adapter`] (a database
    /// adapter, for instance). The adapter is asked for the whole policy at
    /// each load; its rules are checked as a file's lines are. The snapshots
    /// decisions read never write to it.
    pub fn adapter(model: impl AsRef<Path>, adapter: impl Adapter + 'static) -> Self {
        Loader {
            source: Source::Adapter {
                model: model.as_ref().to_owned(),
                adapter: Box::new(adapter),
            },
            options: Options::default(),
        }
    }

    /// Accepts a policy with no `p` rule: a deliberate deny-all. Without it,
    /// such a policy is an error ([`CasbinError::EmptyPolicy`]), at start and
    /// on a reload (which then keeps the policy in use).
    pub fn allow_empty_policy(mut self) -> Self {
        self.options.allow_empty = true;
        self
    }

    /// Refuses a model whose matcher cannot answer lists as a filter
    /// ([`CasbinError::NotListable`]), at start and on a reload, for a service
    /// that lists through [`Casbin::list`].
    pub fn require_lists(mut self) -> Self {
        self.options.require_lists = true;
        self
    }

    /// Lets a principal whose subject is the name of a role in the policy (a
    /// user called `admin`, next to `g, alice, admin`) be decided for: casbin
    /// would give it that role's permissions, since `g(admin, admin)` holds.
    /// Without it such a principal is denied, with an error event. Use it only
    /// when the policy makes users inherit from users (`g, alice, bob`) and
    /// subjects cannot be chosen by their owners; otherwise give subjects a
    /// prefix roles never have ([`CasbinSubject::casbin_subject`]: `user:42`).
    pub fn dangerous_allow_subjects_named_like_roles(mut self) -> Self {
        self.options.role_named_subjects = true;
        self
    }

    /// Reads, checks and builds the first snapshot.
    ///
    /// # Errors
    /// [`CasbinError`]: the file and what is wrong in it.
    pub async fn load(self) -> Result<Casbin, CasbinError> {
        let Loader {
            mut source,
            options,
        } = self;
        let snapshot = build(&mut source, options, 1).await?;
        Ok(Casbin {
            shared: Arc::new(Shared {
                current: ArcSwap::from_pointee(snapshot),
                source: Mutex::new(source),
                options,
                last_error: StdMutex::new(None),
            }),
        })
    }
}

/// The text of `path`, read off the async workers.
async fn read(path: &Path) -> Result<String, CasbinError> {
    let owned = path.to_owned();
    let read = tokio::task::spawn_blocking(move || std::fs::read_to_string(&owned)).await;
    match read {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(source)) => Err(CasbinError::Read {
            file: path.to_owned(),
            source,
        }),
        Err(join) => Err(CasbinError::Read {
            file: path.to_owned(),
            source: std::io::Error::other(join.to_string()),
        }),
    }
}

/// The next snapshot from `source`.
async fn build(
    source: &mut Source,
    options: Options,
    generation: u64,
) -> Result<Snapshot, CasbinError> {
    match source {
        Source::Files { model, policy } => {
            let text = (read(model).await?, read(policy).await?);
            let files = (model.display().to_string(), policy.display().to_string());
            from_files(text, &files, options, generation).await
        }
        Source::Strings { model, policy } => {
            let files = ("<model string>".to_owned(), "<policy string>".to_owned());
            from_text(model, policy, &files, options, generation).await
        }
        Source::Adapter { model, adapter } => {
            let file = model.display().to_string();
            let text = read(model).await?;
            let mut parsed = load::model(&text, &file).await?;
            adapter
                .load_policy(&mut parsed)
                .await
                .map_err(|e| CasbinError::Adapter {
                    message: load::lowercase(&e.to_string()),
                })?;
            load::check_loaded(&parsed)?;
            finish(parsed, &file, "<adapter>", options, generation).await
        }
    }
}

/// A snapshot from the files' `text`, which it keeps for the watcher.
async fn from_files(
    text: (String, String),
    files: &(String, String),
    options: Options,
    generation: u64,
) -> Result<Snapshot, CasbinError> {
    let mut snapshot = from_text(&text.0, &text.1, files, options, generation).await?;
    snapshot.files = Some(text);
    Ok(snapshot)
}

/// A snapshot from the model's and the policy's text; `files` name them.
async fn from_text(
    model: &str,
    policy: &str,
    files: &(String, String),
    options: Options,
    generation: u64,
) -> Result<Snapshot, CasbinError> {
    let mut parsed = load::model(model, &files.0).await?;
    load::policy_text(&mut parsed, policy, &files.1)?;
    finish(parsed, &files.0, &files.1, options, generation).await
}

async fn finish(
    model: DefaultModel,
    model_file: &str,
    policy_file: &str,
    options: Options,
    generation: u64,
) -> Result<Snapshot, CasbinError> {
    if !options.allow_empty && load::rules(&model) == 0 {
        return Err(CasbinError::EmptyPolicy {
            file: policy_file.to_owned(),
        });
    }
    let request = load::request_tokens(&model).map_err(|message| CasbinError::Model {
        file: model_file.to_owned(),
        message,
    })?;
    let lists = list::shape(&model, &request);
    let roles = if options.role_named_subjects {
        std::collections::HashSet::new()
    } else {
        load::role_names(&model)
    };
    if options.require_lists
        && let Err(reason) = &lists
    {
        return Err(CasbinError::NotListable {
            file: model_file.to_owned(),
            reason: reason.clone(),
        });
    }
    let enforcer = load::enforcer(model, &request, model_file).await?;
    Ok(Snapshot {
        enforcer,
        request,
        lists,
        generation,
        files: None,
        roles,
    })
}

impl Casbin {
    /// The model and the policy from files, with the default options
    /// ([`Loader::files`]).
    ///
    /// # Errors
    /// [`CasbinError`]: the file and what is wrong in it.
    pub async fn from_files(
        model: impl AsRef<Path>,
        policy: impl AsRef<Path>,
    ) -> Result<Casbin, CasbinError> {
        Loader::files(model, policy).load().await
    }

    /// The model and the policy as text ([`Loader::strings`]).
    ///
    /// # Errors
    /// [`CasbinError`]: what is wrong, by line.
    pub async fn from_strings(
        model: impl Into<String>,
        policy: impl Into<String>,
    ) -> Result<Casbin, CasbinError> {
        Loader::strings(model, policy).load().await
    }

    /// The model from a file, the policy from a casbin adapter
    /// ([`Loader::adapter`]).
    ///
    /// # Errors
    /// [`CasbinError`]: the model file or the adapter, and what is wrong.
    pub async fn from_adapter(
        model: impl AsRef<Path>,
        adapter: impl Adapter + 'static,
    ) -> Result<Casbin, CasbinError> {
        Loader::adapter(model, adapter).load().await
    }

    /// Loads the model and the policy again and swaps them in: the next
    /// decision reads them, decisions under way finish on the old ones. Returns
    /// the new [`generation`](Self::generation).
    ///
    /// # Errors
    /// [`CasbinError`] when the new model or policy is wrong: the policy in use
    /// stays, and [`last_reload_error`](Self::last_reload_error) says why.
    pub async fn reload(&self) -> Result<u64, CasbinError> {
        let mut source = self.shared.source.lock().await;
        let generation = self.generation() + 1;
        let built = build(&mut source, self.shared.options, generation).await;
        self.install(built)
    }

    /// Installs a built snapshot, or records why there is none.
    fn install(&self, built: Result<Snapshot, CasbinError>) -> Result<u64, CasbinError> {
        let mut last_error = self
            .shared
            .last_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match built {
            Ok(snapshot) => {
                let generation = snapshot.generation;
                self.shared.current.store(Arc::new(snapshot));
                *last_error = None;
                Ok(generation)
            }
            Err(error) => {
                *last_error = Some(error.to_string());
                Err(error)
            }
        }
    }

    /// How many times a model and policy were installed: 1 after the first load,
    /// one more per successful reload.
    pub fn generation(&self) -> u64 {
        self.shared.current.load().generation
    }

    /// Why the last reload failed, if it did (the policy in use is the one
    /// before it); `None` once a reload succeeds.
    pub fn last_reload_error(&self) -> Option<String> {
        self.shared
            .last_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Whether the model can answer lists ([`list`](Self::list)).
    ///
    /// # Errors
    /// [`CasbinError::NotListable`], saying which part of the matcher cannot be
    /// a filter.
    pub fn listable(&self) -> Result<(), CasbinError> {
        match &self.shared.current.load().lists {
            Ok(_) => Ok(()),
            Err(reason) => Err(CasbinError::NotListable {
                file: "<model in use>".to_owned(),
                reason: reason.clone(),
            }),
        }
    }

    /// Casbin's decision for `principal` doing `A` on `resource`:
    /// `enforce(sub[, dom], obj, A::NAME)` on the snapshot in use.
    ///
    /// Allow or deny, with the matched rule as [`Evidence`]; unavailable (503) when
    /// the enforcer fails; a denial when the model has domains and the principal
    /// none, or the resource belongs to another tenant. Call it from the
    /// domain's [`Policy`](crate::Policy); it never makes a permit itself.
    pub fn decide<A, R, U>(&self, principal: &Authenticated<U>, resource: &R) -> Decision
    where
        A: Action,
        R: CasbinResource,
        U: CasbinSubject,
    {
        let snapshot = self.shared.current.load();
        let request = match request::<A, R, U>(&snapshot, principal, Some(resource), None) {
            Ok(request) => request,
            Err(refusal) => return refusal,
        };
        match enforce(&snapshot, request) {
            Ok((true, rules)) => {
                Decision::allow("a casbin rule allows").with_evidence(Evidence::new(
                    EVIDENCE,
                    rules
                        .first()
                        .map_or_else(String::new, |rule| rule.join(", ")),
                ))
            }
            // The rule that decided a denial is the last one casbin matched
            // (an allow then a `deny` rule, for a deny-override effect).
            Ok((false, rules)) => match rules.last() {
                Some(rule) => Decision::deny("a casbin rule denies")
                    .with_evidence(Evidence::new(EVIDENCE, rule.join(", "))),
                None => Decision::deny("no casbin rule allows"),
            },
            Err(()) => Decision::unavailable(ENGINE, None),
        }
    }

    /// [`list`](Self::list) as the [`Listing`] a
    /// [`ListPolicy`](crate::engine::ListPolicy) returns: the whole list (the
    /// query pages by itself), with the policy generation as evidence.
    ///
    /// ```
    /// use auth_core::casbin::{Casbin, CasbinResource, CasbinSubject};
    /// use auth_core::engine::{ListPolicy, Listing, Page};
    /// use auth_core::{Action, Authenticated, Decision, Policy};
    /// # use auth_core::{casbin::Object, Resource};
    /// # #[derive(Action)] struct Read;
    /// # struct User;
    /// # impl CasbinSubject for User {}
    /// # struct Document { id: i64 }
    /// # impl Resource for Document {
    /// #     const KIND: &'static str = "document";
    /// #     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
    /// # }
    /// # impl CasbinResource for Document { const OBJECT: Object<Self> = Object::int("id", |d| d.id); }
    /// # impl Policy<Document> for Read {
    /// #     type Principal = User;
    /// #     type State = Casbin;
    /// #     fn decide(user: &Authenticated<User>, doc: &Document, casbin: &Casbin) -> Decision {
    /// #         casbin.decide::<Read, _, _>(user, doc)
    /// #     }
    /// # }
    ///
    /// impl ListPolicy<Document> for Read {
    ///     async fn list(user: &Authenticated<User>, casbin: &Casbin, _: Page<'_>) -> Result<Listing<Document>, Decision> {
    ///         casbin.listing::<Read, _, _>(user)
    ///     }
    /// }
    /// ```
    ///
    /// # Errors
    /// As [`list`](Self::list).
    pub fn listing<A, R, U>(&self, principal: &Authenticated<U>) -> Result<Listing<R>, Decision>
    where
        A: Action,
        R: CasbinResource,
        U: CasbinSubject,
    {
        let snapshot = self.shared.current.load();
        let generation = snapshot.generation;
        let filter = filter_in::<A, R, U>(&snapshot, principal)?;
        Ok(Listing::complete(filter).with_evidence(Evidence::new(
            EVIDENCE,
            format!("implicit permissions, each decided; policy generation {generation}"),
        )))
    }

    /// Every `R` that `principal` may `A`, as a [`Filter`]: the ids (or the
    /// attribute values) of the objects casbin allows, `all` for a `*` rule
    /// (narrowed to the tenant, for a resource that declares one), `none` for
    /// nothing. It equals the single decisions object by object (each candidate
    /// from casbin's implicit permissions is decided by the enforcer).
    ///
    /// # Errors
    /// A refusal to answer with: [`Decision::unavailable`] when the enforcer
    /// fails or the model's matcher cannot be a filter (an error event says
    /// which; [`listable`](Self::listable) tells it at start); a denial when the
    /// model has domains and the principal none.
    pub fn list<A, R, U>(&self, principal: &Authenticated<U>) -> Result<Filter<R>, Decision>
    where
        A: Action,
        R: CasbinResource,
        U: CasbinSubject,
    {
        filter_in::<A, R, U>(&self.shared.current.load(), principal)
    }
}

/// The request in the model's order; `object` replaces the resource's.
fn request<A, R, U>(
    snapshot: &Snapshot,
    principal: &Authenticated<U>,
    resource: Option<&R>,
    object: Option<&str>,
) -> Result<Vec<String>, Decision>
where
    A: Action,
    R: CasbinResource,
    U: CasbinSubject,
{
    let mut request = Vec::with_capacity(snapshot.request.len());
    for token in &snapshot.request {
        let value = match token {
            Token::Sub => {
                let subject = U::casbin_subject(principal).into_owned();
                if snapshot.roles.contains(&subject) {
                    tracing::error!(
                        target: crate::audit::TARGET,
                        principal = %subject,
                        "a principal's casbin subject is the name of a role: denied (give subjects a prefix roles do not have)",
                    );
                    return Err(Decision::deny(
                        "the principal's casbin subject is the name of a role",
                    ));
                }
                subject
            }
            Token::Act => A::NAME.to_owned(),
            Token::Obj => match (object, resource) {
                (Some(object), _) => object.to_owned(),
                (None, Some(resource)) => R::OBJECT.of(resource),
                (None, None) => String::new(),
            },
            Token::Dom => {
                let Some(domain) = U::casbin_domain(principal) else {
                    return Err(Decision::deny(
                        "the casbin model has domains and the principal has none",
                    ));
                };
                if let Some(resource) = resource {
                    let theirs = R::TENANT.map(|field| field.read(resource));
                    if theirs.is_some_and(|theirs| theirs != domain) {
                        return Err(Decision::not_found(
                            "the resource belongs to another casbin domain",
                        ));
                    }
                }
                domain.into_owned()
            }
        };
        if value.is_empty() {
            tracing::error!(
                target: crate::audit::TARGET,
                action = A::NAME,
                resource = R::KIND,
                "a casbin request field is empty: the subject, domain, object or action mapping gave \"\"",
            );
            return Err(Decision::unavailable("casbin request", None));
        }
        request.push(value);
    }
    Ok(request)
}

/// [`Casbin::list`] on one snapshot.
fn filter_in<A, R, U>(
    snapshot: &Snapshot,
    principal: &Authenticated<U>,
) -> Result<Filter<R>, Decision>
where
    A: Action,
    R: CasbinResource,
    U: CasbinSubject,
{
    let shape = match &snapshot.lists {
        Ok(shape) => shape,
        Err(reason) => {
            tracing::error!(
                target: crate::audit::TARGET,
                action = A::NAME,
                resource = R::KIND,
                reason = %reason,
                "the casbin model cannot answer lists as a filter",
            );
            return Err(Decision::unavailable(
                "casbin list (the model cannot be a filter)",
                None,
            ));
        }
    };
    let request = request::<A, R, U>(snapshot, principal, None, Some("*"))?;
    let at = |token: Token| snapshot.request.iter().position(|t| *t == token);
    let get = |token: Token| at(token).and_then(|i| request.get(i)).map(String::as_str);
    let (Some(sub), Some(act)) = (get(Token::Sub), get(Token::Act)) else {
        return Err(Decision::unavailable(ENGINE, None));
    };
    let dom = get(Token::Dom);
    // As a single decision: within the principal's tenant (auth-core's rule
    // for a resource that declares one) and the request's domain.
    let mine = principal.info().tenant();
    let tenant = |filter: Filter<R>| match R::TENANT {
        None => filter,
        Some(field) => match mine {
            None => Filter::none(),
            Some(mine) => {
                let within = field.eq(mine).and(filter);
                match dom {
                    Some(dom) if dom != mine => field.eq(dom).and(within),
                    _ => within,
                }
            }
        },
    };

    // A `*` rule that applies allows every object.
    if shape.any_object
        && let Ok((true, _)) = enforce(snapshot, request.clone())
    {
        return Ok(tenant(Filter::all()));
    }
    let enforcer = &snapshot.enforcer;
    // casbin's role and policy queries, guarded as its decisions are: a panic
    // inside casbin is an outage, not a crashed worker.
    let candidates = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut subjects = vec![sub.to_owned()];
        if shape.roles {
            subjects.extend(enforcer.get_implicit_roles_for_user(sub, dom));
        }
        enforcer
            .get_policy()
            .into_iter()
            .filter(|rule| {
                let field = |i: usize| rule.get(i).map(String::as_str);
                field(shape.p_sub).is_some_and(|s| subjects.iter().any(|x| x == s))
                    && shape.p_dom.is_none_or(|i| field(i) == dom)
                    && field(shape.p_act)
                        .is_some_and(|a| a == act || (shape.any_action && a == "*"))
            })
            .filter_map(|rule| rule.get(shape.p_obj).cloned())
            .collect::<Vec<String>>()
    }));
    let Ok(mut candidates) = candidates else {
        tracing::error!(target: crate::audit::TARGET, "casbin's permission queries panicked: unavailable");
        return Err(Decision::unavailable(ENGINE, None));
    };
    candidates.sort_unstable();
    candidates.dedup();
    let obj = at(Token::Obj).unwrap_or_default();
    let mut allowed = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        let mut asked = request.clone();
        if let Some(slot) = asked.get_mut(obj) {
            slot.clone_from(&candidate);
        }
        match enforce(snapshot, asked) {
            Ok((true, _)) => allowed.push(candidate),
            Ok((false, _)) => {}
            Err(()) => return Err(Decision::unavailable(ENGINE, None)),
        }
    }
    Ok(tenant(R::OBJECT.filter(allowed.iter().map(String::as_str))))
}

/// `enforce_ex` on a snapshot; an error or a panic inside casbin is `Err`.
fn enforce(snapshot: &Snapshot, request: Vec<String>) -> Result<(bool, Vec<Vec<String>>), ()> {
    let enforcer = &snapshot.enforcer;
    match std::panic::catch_unwind(AssertUnwindSafe(|| enforcer.enforce_ex(request))) {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(error)) => {
            tracing::error!(
                target: crate::audit::TARGET,
                error = %error,
                "the casbin enforcer failed: unavailable",
            );
            Err(())
        }
        Err(_) => {
            tracing::error!(target: crate::audit::TARGET, "the casbin enforcer panicked: unavailable");
            Err(())
        }
    }
}

impl std::fmt::Debug for Casbin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Casbin")
            .field("generation", &self.generation())
            .field("listable", &self.shared.current.load().lists.is_ok())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
