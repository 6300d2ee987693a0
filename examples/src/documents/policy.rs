//! Who may do what in `documents-api`: every rule is a SpiceDB permission of
//! `examples/spicedb/documents.zed`, asked through `auth_core::spicedb`.
//!
//! Each (action, resource) pair has one [`AsyncPolicy`]; a handler says
//! `#[requires(Edit(doc), state = app)]` as it would for a Rust rule. The memo is
//! on (`MEMO = true`): a request asks SpiceDB once per (action, resource).
//!
//! Answers, for `View`: allow, or 404 (the caller does not learn the row
//! exists). For `Edit` and `Manage`: allow; 403 when the caller may view the
//! row but not do this (a viewer editing, an editor sharing); 404 otherwise.
//! SpiceDB unreachable, slow or erring: 503 ([`Decision::unavailable`]), never
//! an allow.
//!
//! Consistency: a check of a row asks SpiceDB to be at least as fresh as the
//! ZedToken stored with the row (its last relationship write, or a later write
//! that took access away anywhere): the new-enemy problem. A row without one
//! (never written) is checked at the client's default, `fully_consistent`
//! unless configured ([`super::Config::read_consistency`]).

use auth_core::engine::{ListPolicy, Listing, Page};
use auth_core::spicedb::{Consistency, SpiceObject};
use auth_core::{AsyncPolicy, Authenticated, Decision, Load, LoadError};

use super::App;
use super::domain::{DOCUMENT_ID, Document, Edit, Folder, Manage, User, View};

/// Asks SpiceDB whether `user` has `permission` on `resource`, and if not,
/// whether they may at least view it (403) or not even that (404).
async fn decide<R: SpiceObject + Sync>(
    app: &App,
    user: &User,
    permission: &'static str,
    resource: &R,
    consistency: Consistency,
) -> Decision {
    let spicedb = &app.0.spicedb;
    let checked = match spicedb
        .check_permission(user, permission, resource, consistency.clone())
        .await
    {
        Ok(checked) => checked,
        Err(error) => return error.decision(),
    };
    if checked.is_allowed() || permission == "view" {
        return checked.decision_or_not_found();
    }
    match spicedb
        .check_permission(user, "view", resource, consistency)
        .await
    {
        Ok(view) if view.is_allowed() => {
            Decision::deny(format!("spicedb: may view, not {permission}"))
                .with_evidence(view.evidence())
        }
        Ok(view) => view.decision_or_not_found(),
        Err(error) => error.decision(),
    }
}

fn consistency(token: Option<&auth_core::spicedb::ZedToken>) -> Consistency {
    Consistency::from(token.cloned())
}

macro_rules! spicedb_policy {
    ($action:ty, $resource:ty, $permission:literal) => {
        impl AsyncPolicy<$resource> for $action {
            type Principal = User;
            type State = App;
            const MEMO: bool = true;

            async fn decide(user: &Authenticated<User>, row: &$resource, app: &App) -> Decision {
                decide(
                    app,
                    user,
                    $permission,
                    row,
                    consistency(row.zedtoken.as_ref()),
                )
                .await
            }
        }
    };
}

spicedb_policy!(View, Document, "view");
spicedb_policy!(Edit, Document, "edit");
spicedb_policy!(Manage, Document, "manage");
spicedb_policy!(View, Folder, "view");
spicedb_policy!(Edit, Folder, "edit");
spicedb_policy!(Manage, Folder, "manage");

/// "Documents I can see": one page of SpiceDB's `LookupResources` for `view`,
/// as `id IN (..)`. The page is at least as fresh as the latest relationship
/// write this service made (so an unshare is seen by the next list), else the
/// client's default.
impl ListPolicy<Document> for View {
    async fn list(
        user: &Authenticated<User>,
        app: &App,
        page: Page<'_>,
    ) -> Result<Listing<Document>, Decision> {
        let latest = app.0.db.latest_token().map_err(|error| {
            tracing::error!(%error, "reading the latest ZedToken failed");
            Decision::unavailable("database", None)
        })?;
        let found = app
            .0
            .spicedb
            .lookup::<Document, User>(user, "view", page, Consistency::from(latest))
            .await
            // A cursor SpiceDB did not give is a 403 (`SpiceDbError::InvalidCursor`),
            // an outage a 503.
            .map_err(|error| error.decision())?;
        Ok(found.into_listing(|ids| {
            // Ids this service did not make select nothing: not integers, and
            // integers not in the spelling `object_id` writes (`05`, `+5`), which
            // a single check on the row (it asks about `document:5`) would refuse.
            DOCUMENT_ID.one_of(ids.iter().filter_map(|id| {
                id.parse::<i64>()
                    .ok()
                    .filter(|number| number.to_string() == *id)
            }))
        }))
    }
}

impl Load for Document {
    type Key = i64;
    type Source = App;

    async fn load(id: &i64, app: &App) -> Result<Option<Document>, LoadError> {
        app.0
            .db
            .document(*id)
            .map_err(|error| LoadError::unavailable("documents database", error))
    }
}

impl Load for Folder {
    type Key = i64;
    type Source = App;

    async fn load(id: &i64, app: &App) -> Result<Option<Folder>, LoadError> {
        app.0
            .db
            .folder(*id)
            .map_err(|error| LoadError::unavailable("documents database", error))
    }
}
