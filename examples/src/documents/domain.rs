//! The data of `documents-api`: users, teams, folders, documents, and the three
//! actions the policies decide ([`View`], [`Edit`], [`Manage`]).

use std::borrow::Cow;

use auth_core::filter::Field;
use auth_core::spicedb::{SpiceObject, ZedToken};
use auth_core::{Action, HasRoles, Resource};
use serde::Serialize;

/// A user: the principal of a request (by their API key), and a SpiceDB
/// subject (`user:<id>`).
#[derive(Debug, Clone, Serialize)]
pub struct User {
    /// A random id.
    pub id: i64,
    /// A unique name.
    pub name: String,
    /// An administrator: creates users and teams, reads the audit listing.
    /// Gives no access to any document.
    pub admin: bool,
}

/// The one role: `admin`.
pub const ADMIN_ROLE: &str = "admin";

impl HasRoles for User {
    fn has_role(&self, role: &str) -> bool {
        role == ADMIN_ROLE && self.admin
    }
}

impl SpiceObject for User {
    const TYPE: &'static str = "user";
    fn object_id(&self) -> Cow<'_, str> {
        Cow::Owned(self.id.to_string())
    }
}

/// A team; its members get what it is given (`team:<id>#member`).
#[derive(Debug, Clone, Serialize)]
pub struct Team {
    /// A random id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

impl SpiceObject for Team {
    const TYPE: &'static str = "team";
    fn object_id(&self) -> Cow<'_, str> {
        Cow::Owned(self.id.to_string())
    }
}

/// A folder, in a parent folder or at the top.
#[derive(Debug, Clone, Serialize)]
pub struct Folder {
    /// A random id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The enclosing folder.
    pub parent_id: Option<i64>,
    /// Who made it.
    pub owner_id: i64,
    /// What a check of this folder must be at least as fresh as (its last
    /// relationship write, or a later removal): never sent to clients.
    #[serde(skip)]
    pub zedtoken: Option<ZedToken>,
}

impl Resource for Folder {
    const KIND: &'static str = "folder";
    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

impl SpiceObject for Folder {
    const TYPE: &'static str = "folder";
    fn object_id(&self) -> Cow<'_, str> {
        Cow::Owned(self.id.to_string())
    }
}

/// A document, in a folder or at the top.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// A random id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Its text.
    pub body: String,
    /// The folder it is in.
    pub folder_id: Option<i64>,
    /// Who made it.
    pub owner_id: i64,
    /// What a check of this document must be at least as fresh as (its last
    /// relationship write, or a later removal): never sent to clients.
    #[serde(skip)]
    pub zedtoken: Option<ZedToken>,
}

impl Resource for Document {
    const KIND: &'static str = "document";
    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

impl SpiceObject for Document {
    const TYPE: &'static str = "document";
    fn object_id(&self) -> Cow<'_, str> {
        Cow::Owned(self.id.to_string())
    }
}

/// A document's id, for the list's filter (`id IN (..)`).
pub const DOCUMENT_ID: Field<Document, i64> = Field::int("id", |doc| doc.id);

/// Read a document or a folder (SpiceDB's `view`). Hidden when refused (404).
#[derive(Action)]
#[action(name = "documents.view")]
pub struct View;

/// Change a document, or add to a folder (SpiceDB's `edit`). A viewer is
/// refused (403); anyone else does not learn it exists (404).
#[derive(Action)]
#[action(name = "documents.edit")]
pub struct Edit;

/// Share, unshare, move or delete (SpiceDB's `manage`: the owner, or whoever
/// manages an enclosing folder). A viewer or editor is refused (403); anyone
/// else does not learn it exists (404).
#[derive(Action)]
#[action(name = "documents.manage")]
pub struct Manage;
