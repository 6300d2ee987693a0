//! The documents domain the Cedar tests share: its entities, its actions, and
//! its policies, each asking the policy set in `tests/integration/fixtures/cedar/`.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use auth_core::cedar::{Cedar, CedarEntity, CedarFields, Parents, Record};
use auth_core::engine::{ListPolicy, Listing, Page};
use auth_core::filter::Field;
use auth_core::{Action, Authenticated, Decision, Policy, Resource};
use auth_tests::User;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/cedar")
        .join(name)
}

/// The documents' engine, as a service loads it at start.
pub fn docs_cedar() -> Cedar {
    Cedar::from_files(fixture("docs.cedar"), fixture("docs.cedarschema")).expect("docs policies")
}

/// The policy set whose forbid errors (overflow) for a level of 2 or more.
pub fn overflow_cedar() -> Cedar {
    Cedar::from_files(fixture("overflow.cedar"), fixture("docs.cedarschema"))
        .expect("overflow policies")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub id: i64,
    pub owner_id: i64,
    pub public: bool,
    pub level: i64,
    pub title: String,
}

impl Doc {
    pub const ID: Field<Doc, i64> = Field::int("id", |doc| doc.id);
    pub const OWNER_ID: Field<Doc, i64> = Field::int("owner_id", |doc| doc.owner_id);
    pub const PUBLIC: Field<Doc, bool> = Field::bool("public", |doc| doc.public);
    pub const LEVEL: Field<Doc, i64> = Field::int("level", |doc| doc.level);
    pub const TITLE: Field<Doc, str> = Field::text("title", |doc| &doc.title);

    /// Which Cedar attribute is which field, for lists.
    pub fn fields() -> CedarFields<Doc> {
        CedarFields::new()
            .id_int(Doc::ID)
            .int("owner_id", Doc::OWNER_ID)
            .bool("public", Doc::PUBLIC)
            .int("level", Doc::LEVEL)
            .text("title", Doc::TITLE)
    }
}

impl Resource for Doc {
    const KIND: &'static str = "doc";
    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

impl CedarEntity for Doc {
    const TYPE: &'static str = "Docs::Doc";

    fn cedar_id(&self) -> String {
        self.id.to_string()
    }

    fn attributes(&self, record: &mut Record) {
        record
            .long("owner_id", self.owner_id)
            .bool("public", self.public)
            .long("level", self.level)
            .string("title", &self.title);
    }
}

/// The test crate's `User` as a Cedar principal (a wrapper: both the trait and
/// the type are foreign here).
pub struct Member<'a>(pub &'a User);

impl CedarEntity for Member<'_> {
    const TYPE: &'static str = "Docs::User";

    fn cedar_id(&self) -> String {
        self.0.id.to_string()
    }

    fn attributes(&self, record: &mut Record) {
        record.long("id", i64::try_from(self.0.id).unwrap_or(i64::MAX));
    }

    fn parents(&self, parents: &mut Parents) {
        for role in &self.0.roles {
            parents.add("Docs::Role", role);
        }
    }
}

/// The request's context: `mfa` when the credential carries the `mfa` scope
/// (the test authenticator's way of saying a second factor was used).
pub fn context(user: &Authenticated<User>) -> Record {
    let mut context = Record::new();
    context.bool("mfa", user.info().scopes().contains("mfa"));
    context
}

#[derive(Action, Clone, Copy)]
#[action(name = "doc.read")]
pub struct ReadDoc;

#[derive(Action, Clone, Copy)]
#[action(name = "doc.edit")]
pub struct EditDoc;

#[derive(Action)]
#[action(name = "doc.purge")]
pub struct PurgeDoc;

/// What the policies read: the two engines.
pub struct Engines {
    pub docs: Cedar,
    pub overflow: Cedar,
}

impl Policy<Doc> for ReadDoc {
    type Principal = User;
    type State = Engines;
    const MEMO: bool = true;

    fn decide(user: &Authenticated<User>, doc: &Doc, engines: &Engines) -> Decision {
        engines
            .docs
            .decide(&Member(user), ReadDoc, doc, &context(user))
    }
}

impl Policy<Doc> for EditDoc {
    type Principal = User;
    type State = Engines;

    fn decide(user: &Authenticated<User>, doc: &Doc, engines: &Engines) -> Decision {
        engines
            .docs
            .decide(&Member(user), EditDoc, doc, &context(user))
    }
}

impl Policy<Doc> for PurgeDoc {
    type Principal = User;
    type State = Engines;

    fn decide(user: &Authenticated<User>, doc: &Doc, engines: &Engines) -> Decision {
        engines
            .overflow
            .decide(&Member(user), PurgeDoc, doc, &Record::new())
    }
}

/// A list of documents asks Cedar which documents the user may read: its
/// residual as a filter over the documents' fields.
impl ListPolicy<Doc> for ReadDoc {
    async fn list(
        user: &Authenticated<User>,
        engines: &Engines,
        _page: Page<'_>,
    ) -> Result<Listing<Doc>, Decision> {
        engines
            .docs
            .listing(&Member(user), ReadDoc, &context(user), &Doc::fields())
    }
}
