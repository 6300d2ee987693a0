//! The issue's "done when": the same handler compiles unchanged against a Rust
//! policy, Casbin, Cedar or SpiceDB, picked by the policy declaration alone.
//!
//! `engines_same_handler/handler.rs` holds one `#[requires(Edit(doc))]`
//! handler; it is `include!`d byte for byte into four modules, each of which
//! declares `Edit`, its `Engine` (the policy's state) and the policy of `Edit`
//! on `Doc`: Rust code, Casbin, Cedar, SpiceDB. The rule is the same in all
//! four ("the owner or an editor may edit"), and so are the answers: the owner
//! and the editor get the body, anyone else a 403 and no body, and an engine
//! that cannot answer a 503.

use std::borrow::Cow;

use auth_core::{Authenticated, Identity, Mechanism, Resource};
use auth_integration::spicedb_server::{KEY, SpiceDbServer};

/// The principal: a user name, the verified subject.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
}

/// A document, its owner and its editors.
#[derive(Debug, Clone)]
pub struct Doc {
    pub id: i64,
    pub owner: String,
    pub editors: Vec<String>,
}

impl Resource for Doc {
    const KIND: &'static str = "document";
    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

fn docs() -> Vec<Doc> {
    vec![
        Doc {
            id: 1,
            owner: "alice".into(),
            editors: vec!["bob".into()],
        },
        Doc {
            id: 2,
            owner: "bob".into(),
            editors: vec![],
        },
    ]
}

fn user(name: &str) -> Authenticated<User> {
    Authenticated::for_testing(Identity::new(
        User { name: name.into() },
        name,
        Mechanism::Test,
    ))
}

/// Who may edit which document, by the rule, for every user the tests use.
const EXPECTED: [(&str, i64, bool); 6] = [
    ("alice", 1, true),
    ("bob", 1, true),
    ("carol", 1, false),
    ("alice", 2, false),
    ("bob", 2, true),
    ("carol", 2, false),
];

/// Runs the included handler for every (user, document) of `EXPECTED` and
/// checks the answer: the body for an allow, a 403 for a denial.
macro_rules! check_answers {
    ($module:ident, $engine:expr) => {{
        let engine = &$engine;
        for (name, id, allowed) in EXPECTED {
            let doc = docs().into_iter().find(|d| d.id == id).unwrap();
            let answer = $module::edit(user(name), doc, engine).await.into_result();
            if allowed {
                assert_eq!(
                    answer.ok().as_deref(),
                    Some(format!("{name} edited document {id}").as_str()),
                    "{}: {name} on {id}",
                    stringify!($module)
                );
            } else {
                let status = answer.err().map(|e| e.status().as_u16());
                assert_eq!(status, Some(403), "{}: {name} on {id}", stringify!($module));
            }
        }
    }};
}

mod rust_policy {
    use auth_core::{Action, Authenticated, Decision, Policy, requires};

    pub use super::{Doc, User};

    #[derive(Action)]
    pub struct Edit;

    /// The rule in Rust; its state is nothing.
    pub type Engine = ();

    impl Policy<Doc> for Edit {
        type Principal = User;
        type State = Engine;
        fn decide(user: &Authenticated<User>, doc: &Doc, (): &()) -> Decision {
            Decision::allow_if(
                doc.owner == user.name || doc.editors.contains(&user.name),
                "owner or editor",
                "neither owner nor editor",
            )
        }
    }

    include!("engines_same_handler/handler.rs");
}

mod casbin_policy {
    use auth_core::casbin::{CasbinResource, CasbinSubject, Object};
    use auth_core::{Action, Authenticated, Decision, Policy, requires};

    pub use super::{Doc, User};

    #[derive(Action)]
    pub struct Edit;

    pub type Engine = auth_core::casbin::Casbin;

    impl CasbinSubject for User {}
    impl CasbinResource for Doc {
        const OBJECT: Object<Self> = Object::int("id", |d| d.id);
    }

    pub const MODEL: &str = "\
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.sub == p.sub && r.obj == p.obj && r.act == p.act
";

    /// The rule as Casbin rules: one line per owner or editor.
    pub fn policy() -> String {
        super::docs()
            .iter()
            .flat_map(|d| {
                std::iter::once(&d.owner)
                    .chain(&d.editors)
                    .map(move |who| format!("p, {who}, document:{}, edit\n", d.id))
            })
            .collect()
    }

    impl Policy<Doc> for Edit {
        type Principal = User;
        type State = Engine;
        fn decide(user: &Authenticated<User>, doc: &Doc, casbin: &Engine) -> Decision {
            casbin.decide::<Edit, _, _>(user, doc)
        }
    }

    include!("engines_same_handler/handler.rs");
}

mod cedar_policy {
    use auth_core::cedar::{CedarEntity, Parents, Record};
    use auth_core::{Action, Authenticated, Decision, Policy, requires};

    pub use super::{Doc, User};

    #[derive(Action)]
    pub struct Edit;

    pub type Engine = auth_core::cedar::Cedar;

    pub const SCHEMA: &str = r#"
entity User {
    name: String,
};
entity Document {
    owner: String,
    editors: Set<String>,
};
action "edit" appliesTo {
    principal: User,
    resource: Document,
};
"#;

    pub const POLICIES: &str = r#"
@id("owner-or-editor")
permit (principal, action == Action::"edit", resource)
when { resource.owner == principal.name || resource.editors.contains(principal.name) };
"#;

    impl CedarEntity for User {
        const TYPE: &'static str = "User";
        fn cedar_id(&self) -> String {
            self.name.clone()
        }
        fn attributes(&self, record: &mut Record) {
            record.string("name", &self.name);
        }
        fn parents(&self, _: &mut Parents) {}
    }

    impl CedarEntity for Doc {
        const TYPE: &'static str = "Document";
        fn cedar_id(&self) -> String {
            self.id.to_string()
        }
        fn attributes(&self, record: &mut Record) {
            record
                .string("owner", &self.owner)
                .strings("editors", self.editors.iter().map(String::as_str));
        }
        fn parents(&self, _: &mut Parents) {}
    }

    impl Policy<Doc> for Edit {
        type Principal = User;
        type State = Engine;
        fn decide(user: &Authenticated<User>, doc: &Doc, cedar: &Engine) -> Decision {
            cedar.decide(&**user, Edit, doc, &Record::new())
        }
    }

    include!("engines_same_handler/handler.rs");
}

mod spicedb_policy {
    use std::borrow::Cow;

    use auth_core::spicedb::{Consistency, SpiceObject};
    use auth_core::{Action, AsyncPolicy, Authenticated, Decision, requires};

    pub use super::{Doc, User};

    #[derive(Action)]
    pub struct Edit;

    pub type Engine = auth_core::spicedb::SpiceDb;

    pub const SCHEMA: &str = "definition user {}

definition document {
    relation owner: user
    relation editor: user
    permission edit = owner + editor
}
";

    impl SpiceObject for User {
        const TYPE: &'static str = "user";
        fn object_id(&self) -> Cow<'_, str> {
            Cow::Borrowed(&self.name)
        }
    }

    impl SpiceObject for Doc {
        const TYPE: &'static str = "document";
        fn object_id(&self) -> Cow<'_, str> {
            Cow::Owned(self.id.to_string())
        }
    }

    impl AsyncPolicy<Doc> for Edit {
        type Principal = User;
        type State = Engine;
        const MEMO: bool = true;
        async fn decide(user: &Authenticated<User>, doc: &Doc, spicedb: &Engine) -> Decision {
            spicedb
                .check(&**user, "edit", doc, Consistency::fully_consistent())
                .await
        }
    }

    include!("engines_same_handler/handler.rs");
}

#[tokio::test]
async fn the_same_handler_answers_alike_under_every_engine() {
    check_answers!(rust_policy, ());

    let casbin =
        auth_core::casbin::Casbin::from_strings(casbin_policy::MODEL, casbin_policy::policy())
            .await
            .expect("the casbin model and policy load");
    check_answers!(casbin_policy, casbin);

    let cedar = auth_core::cedar::Cedar::load(
        auth_core::cedar::CedarFile::new("edit.cedar", cedar_policy::POLICIES),
        auth_core::cedar::CedarFile::new("edit.cedarschema", cedar_policy::SCHEMA),
    )
    .expect("the cedar policies validate against the schema");
    check_answers!(cedar_policy, cedar);

    let Some(server) = SpiceDbServer::start() else {
        return;
    };
    let spicedb = spicedb(&server).await;
    check_answers!(spicedb_policy, spicedb);

    // And the one engine that can be unreachable fails closed: a 503, no body.
    drop(server);
    let answer = spicedb_policy::edit(user("alice"), docs()[0].clone(), &spicedb)
        .await
        .into_result();
    assert_eq!(answer.err().map(|e| e.status().as_u16()), Some(503));
}

async fn spicedb(server: &SpiceDbServer) -> auth_core::spicedb::SpiceDb {
    use auth_core::spicedb::{ObjectRef, Relationship, RelationshipUpdate, SpiceDb};

    let spicedb = SpiceDb::builder(server.endpoint(), KEY)
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .expect("a client");
    spicedb
        .write_schema(spicedb_policy::SCHEMA)
        .await
        .expect("the schema is written");
    let mut updates = Vec::new();
    for doc in docs() {
        let resource = ObjectRef::new("document", doc.id.to_string()).unwrap();
        for (relation, who) in
            std::iter::once(("owner", &doc.owner)).chain(doc.editors.iter().map(|e| ("editor", e)))
        {
            let subject = ObjectRef::new("user", who.clone()).unwrap();
            updates.push(RelationshipUpdate::touch(
                Relationship::new(resource.clone(), Cow::Borrowed(relation), subject).unwrap(),
            ));
        }
    }
    spicedb
        .write_relationships(updates)
        .await
        .expect("the relationships are written");
    spicedb
}
