//! Relationships: what the domain writes to SpiceDB when it shares, adds a
//! member, or moves a document.

use std::borrow::Cow;

use super::generated::authzed::api::v1 as api;
use super::object::check_name;
use super::{ObjectRef, SpiceDbError, SubjectRef};

/// `resource#relation@subject`: `document:42#viewer@user:alice`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Relationship {
    resource: ObjectRef,
    relation: Cow<'static, str>,
    subject: SubjectRef,
}

impl Relationship {
    /// A relationship, its relation name checked.
    ///
    /// ```
    /// use auth_core::spicedb::{ObjectRef, Relationship};
    ///
    /// let doc = ObjectRef::new("document", "42").unwrap();
    /// let alice = ObjectRef::new("user", "alice").unwrap();
    /// let viewer = Relationship::new(doc, "viewer", alice).unwrap();
    /// assert_eq!(viewer.to_string(), "document:42#viewer@user:alice");
    /// ```
    ///
    /// # Errors
    ///
    /// [`SpiceDbError::InvalidName`] when `relation` is not a relation name.
    pub fn new(
        resource: ObjectRef,
        relation: impl Into<Cow<'static, str>>,
        subject: impl Into<SubjectRef>,
    ) -> Result<Self, SpiceDbError> {
        let relation = relation.into();
        check_name(&relation)?;
        Ok(Relationship {
            resource,
            relation,
            subject: subject.into(),
        })
    }

    fn to_api(&self) -> api::Relationship {
        api::Relationship {
            resource: Some(self.resource.to_api()),
            relation: self.relation.clone().into_owned(),
            subject: Some(self.subject.to_api()),
            optional_caveat: None,
            optional_expires_at: None,
        }
    }
}

impl std::fmt::Display for Relationship {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}@{}", self.resource, self.relation, self.subject)
    }
}

/// One change of a [`write_relationships`](super::SpiceDb::write_relationships).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelationshipUpdate {
    operation: api::relationship_update::Operation,
    relationship: Relationship,
}

impl RelationshipUpdate {
    /// Writes the relationship, whether or not it exists (idempotent).
    pub fn touch(relationship: Relationship) -> Self {
        Self::with(api::relationship_update::Operation::Touch, relationship)
    }

    /// Writes the relationship; the whole write fails if it exists.
    pub fn create(relationship: Relationship) -> Self {
        Self::with(api::relationship_update::Operation::Create, relationship)
    }

    /// Deletes the relationship, if it exists.
    pub fn delete(relationship: Relationship) -> Self {
        Self::with(api::relationship_update::Operation::Delete, relationship)
    }

    fn with(operation: api::relationship_update::Operation, relationship: Relationship) -> Self {
        RelationshipUpdate {
            operation,
            relationship,
        }
    }

    pub(crate) fn to_api(&self) -> api::RelationshipUpdate {
        api::RelationshipUpdate {
            operation: self.operation as i32,
            relationship: Some(self.relationship.to_api()),
        }
    }
}

/// Which relationships a [`delete_relationships`](super::SpiceDb::delete_relationships)
/// removes: those of one resource (or of every resource of a type), narrowed
/// by relation and subject.
///
/// ```
/// use auth_core::spicedb::{ObjectRef, RelationshipFilter};
///
/// let doc = ObjectRef::new("document", "42").unwrap();
/// let bob = ObjectRef::new("user", "bob").unwrap();
/// // Unshare: every relation `bob` has on document 42 as a viewer.
/// let unshare = RelationshipFilter::on(&doc).relation("viewer").unwrap().subject(&bob.into());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelationshipFilter {
    resource_type: String,
    resource_id: Option<String>,
    relation: Option<String>,
    subject: Option<SubjectRef>,
}

impl RelationshipFilter {
    /// The relationships of `resource`.
    pub fn on(resource: &ObjectRef) -> Self {
        RelationshipFilter {
            resource_type: resource.object_type().to_owned(),
            resource_id: Some(resource.object_id().to_owned()),
            relation: None,
            subject: None,
        }
    }

    /// The relationships of every resource of `resource_type`.
    ///
    /// # Errors
    ///
    /// [`SpiceDbError::InvalidObject`] when the type is outside SpiceDB's grammar.
    pub fn of_type(resource_type: &'static str) -> Result<Self, SpiceDbError> {
        ObjectRef::new(resource_type, "x")?;
        Ok(RelationshipFilter {
            resource_type: resource_type.to_owned(),
            resource_id: None,
            relation: None,
            subject: None,
        })
    }

    /// Only those through `relation`.
    ///
    /// # Errors
    ///
    /// [`SpiceDbError::InvalidName`] when `relation` is not a relation name.
    pub fn relation(mut self, relation: &str) -> Result<Self, SpiceDbError> {
        check_name(relation)?;
        self.relation = Some(relation.to_owned());
        Ok(self)
    }

    /// Only those of `subject` (with its relation, if it is a set).
    #[must_use]
    pub fn subject(mut self, subject: &SubjectRef) -> Self {
        self.subject = Some(subject.clone());
        self
    }

    pub(crate) fn to_api(&self) -> api::RelationshipFilter {
        api::RelationshipFilter {
            resource_type: self.resource_type.clone(),
            optional_resource_id: self.resource_id.clone().unwrap_or_default(),
            optional_resource_id_prefix: String::new(),
            optional_relation: self.relation.clone().unwrap_or_default(),
            optional_subject_filter: self.subject.as_ref().map(|subject| api::SubjectFilter {
                subject_type: subject.object().object_type().to_owned(),
                optional_subject_id: subject.object().object_id().to_owned(),
                optional_relation: subject.relation().map(|relation| {
                    api::subject_filter::RelationFilter {
                        relation: relation.to_owned(),
                    }
                }),
            }),
        }
    }
}
