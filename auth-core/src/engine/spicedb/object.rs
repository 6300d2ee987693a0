//! How the domain's principals and resources are named in SpiceDB: object
//! types and ids, checked against SpiceDB's grammar before anything is sent.

use std::borrow::Cow;
use std::fmt;

use super::SpiceDbError;
use super::generated::authzed::api::v1 as api;

/// A domain type that SpiceDB knows as an object: a principal (`user:alice`) or
/// a resource (`document:42`).
///
/// ```
/// use std::borrow::Cow;
/// use auth_core::spicedb::SpiceObject;
///
/// struct User { id: String }
/// struct Document { id: i64 }
///
/// impl SpiceObject for User {
///     const TYPE: &'static str = "user";
///     fn object_id(&self) -> Cow<'_, str> { Cow::Borrowed(&self.id) }
/// }
///
/// impl SpiceObject for Document {
///     const TYPE: &'static str = "document";
///     fn object_id(&self) -> Cow<'_, str> { Cow::Owned(self.id.to_string()) }
/// }
/// ```
///
/// `TYPE` must be a definition of your schema, `object_id` an id in SpiceDB's
/// grammar (`[a-zA-Z0-9/_|\-=+]`, 1 to 1024 bytes). Both are checked on every
/// call: a bad one is [`SpiceDbError::InvalidObject`] (a 503 in a policy), never a
/// panic and never a request. The wildcard `*` is refused as an id: an id read
/// from your data must never mean "every subject".
pub trait SpiceObject {
    /// The object type: a definition name of the schema, e.g. `"document"` (or
    /// with a prefix, `"tenant1/document"`).
    const TYPE: &'static str;

    /// The object's id, unique within [`TYPE`](Self::TYPE).
    fn object_id(&self) -> Cow<'_, str>;
}

impl<T: SpiceObject + ?Sized> SpiceObject for &T {
    const TYPE: &'static str = T::TYPE;

    fn object_id(&self) -> Cow<'_, str> {
        (**self).object_id()
    }
}

/// A checked reference to one SpiceDB object: `type:id`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ObjectRef {
    object_type: Cow<'static, str>,
    object_id: String,
}

impl ObjectRef {
    /// The reference of a [`SpiceObject`].
    ///
    /// # Errors
    ///
    /// [`SpiceDbError::InvalidObject`] when its type or id is outside SpiceDB's
    /// grammar.
    pub fn of<T: SpiceObject + ?Sized>(object: &T) -> Result<Self, SpiceDbError> {
        ObjectRef::new(T::TYPE, object.object_id().into_owned())
    }

    /// A reference from a type and an id.
    ///
    /// ```
    /// use auth_core::spicedb::ObjectRef;
    ///
    /// assert_eq!(ObjectRef::new("document", "42").unwrap().to_string(), "document:42");
    /// assert!(ObjectRef::new("document", "4 2").is_err());
    /// assert!(ObjectRef::new("document", "*").is_err());
    /// assert!(ObjectRef::new("Document", "42").is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// [`SpiceDbError::InvalidObject`] when the type or the id is outside
    /// SpiceDB's grammar.
    pub fn new(
        object_type: impl Into<Cow<'static, str>>,
        object_id: impl Into<String>,
    ) -> Result<Self, SpiceDbError> {
        let object_type = object_type.into();
        let object_id = object_id.into();
        if !valid_type(&object_type) {
            return Err(SpiceDbError::InvalidObject {
                object_type: object_type.into_owned(),
                reason: "a type is one or more `/`-separated names of 3 to 64 characters `[a-z0-9_]`, starting with a letter and not ending with `_`",
            });
        }
        if let Some(reason) = invalid_id(&object_id) {
            return Err(SpiceDbError::InvalidObject {
                object_type: object_type.into_owned(),
                reason,
            });
        }
        Ok(ObjectRef {
            object_type,
            object_id,
        })
    }

    /// The object type.
    pub fn object_type(&self) -> &str {
        &self.object_type
    }

    /// The object id.
    pub fn object_id(&self) -> &str {
        &self.object_id
    }

    pub(crate) fn to_api(&self) -> api::ObjectReference {
        api::ObjectReference {
            object_type: self.object_type.clone().into_owned(),
            object_id: self.object_id.clone(),
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.object_type, self.object_id)
    }
}

impl fmt::Debug for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectRef({self})")
    }
}

/// A checked subject: an object (`user:alice`), or the members of one through a
/// relation (`team:eng#member`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SubjectRef {
    object: ObjectRef,
    relation: Option<Cow<'static, str>>,
}

impl SubjectRef {
    /// The subject of a [`SpiceObject`], e.g. the principal of a request.
    ///
    /// # Errors
    ///
    /// [`SpiceDbError::InvalidObject`], as [`ObjectRef::of`].
    pub fn of<T: SpiceObject + ?Sized>(object: &T) -> Result<Self, SpiceDbError> {
        Ok(SubjectRef::from(ObjectRef::of(object)?))
    }

    /// The subjects that have `relation` on `object`: `team:eng#member`.
    ///
    /// ```
    /// use auth_core::spicedb::{ObjectRef, SubjectRef};
    ///
    /// let team = ObjectRef::new("team", "eng").unwrap();
    /// assert_eq!(SubjectRef::members(team, "member").unwrap().to_string(), "team:eng#member");
    /// ```
    ///
    /// # Errors
    ///
    /// [`SpiceDbError::InvalidName`] when `relation` is not a relation name.
    pub fn members(
        object: ObjectRef,
        relation: impl Into<Cow<'static, str>>,
    ) -> Result<Self, SpiceDbError> {
        let relation = relation.into();
        check_name(&relation)?;
        Ok(SubjectRef {
            object,
            relation: Some(relation),
        })
    }

    /// The subject's object.
    pub fn object(&self) -> &ObjectRef {
        &self.object
    }

    /// The subject's relation, for a set of subjects.
    pub fn relation(&self) -> Option<&str> {
        self.relation.as_deref()
    }

    pub(crate) fn to_api(&self) -> api::SubjectReference {
        api::SubjectReference {
            object: Some(self.object.to_api()),
            optional_relation: self.relation.clone().unwrap_or_default().into_owned(),
        }
    }
}

impl From<ObjectRef> for SubjectRef {
    fn from(object: ObjectRef) -> Self {
        SubjectRef {
            object,
            relation: None,
        }
    }
}

impl fmt::Display for SubjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.relation {
            Some(relation) => write!(f, "{}#{relation}", self.object),
            None => write!(f, "{}", self.object),
        }
    }
}

impl fmt::Debug for SubjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SubjectRef({self})")
    }
}

/// A permission or relation name: `^[a-z][a-z0-9_]{1,62}[a-z0-9]$`.
pub(crate) fn check_name(name: &str) -> Result<(), SpiceDbError> {
    if valid_name(name, 64) {
        Ok(())
    } else {
        Err(SpiceDbError::InvalidName {
            name: name.to_owned(),
        })
    }
}

/// `^[a-z][a-z0-9_]{1,max-2}[a-z0-9]$`
fn valid_name(name: &str, max: usize) -> bool {
    let bytes = name.as_bytes();
    (3..=max).contains(&bytes.len())
        && bytes.first().is_some_and(u8::is_ascii_lowercase)
        && bytes
            .last()
            .is_some_and(|&b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `^([a-z][a-z0-9_]{1,61}[a-z0-9]/)*[a-z][a-z0-9_]{1,62}[a-z0-9]$`, at most 128 bytes.
fn valid_type(object_type: &str) -> bool {
    let mut parts = object_type.rsplit('/');
    object_type.len() <= 128
        && parts.next().is_some_and(|name| valid_name(name, 64))
        && parts.all(|prefix| valid_name(prefix, 63))
}

/// `^[a-zA-Z0-9/_|\-=+]{1,}$`, at most 1024 bytes; the wildcard `*` refused.
fn invalid_id(id: &str) -> Option<&'static str> {
    if id.is_empty() {
        Some("an object id is never empty")
    } else if id.len() > 1024 {
        Some("an object id is at most 1024 bytes")
    } else if id == "*" {
        Some(
            "the wildcard `*` is not an object id: write a relationship to `type:*` in the schema's terms instead",
        )
    } else if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/_|-=+".contains(&b))
    {
        Some(
            "an object id has only the characters `a-z A-Z 0-9 / _ | - = +` (encode others, e.g. base64url without padding)",
        )
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar_of_types_ids_and_names() {
        for ok in ["user", "document", "tenant1/document", "a_b1", "abc"] {
            assert!(valid_type(ok), "{ok}");
        }
        for bad in [
            "", "ab", "Doc", "doc_", "1doc", "/doc", "doc/", "ten/ab", "do-c",
        ] {
            assert!(!valid_type(bad), "{bad}");
        }
        assert!(!valid_type(&"a".repeat(65)));
        assert!(valid_type(&"a".repeat(64)));
        for ok in ["1", "alice", "a/b|c-d=e+f_g", "QUJD"] {
            assert_eq!(invalid_id(ok), None, "{ok}");
        }
        for bad in ["", "*", "a b", "a:b", "a#b", "é", "a\0", "a*"] {
            assert!(invalid_id(bad).is_some(), "{bad:?}");
        }
        assert!(invalid_id(&"x".repeat(1025)).is_some());
        assert!(check_name("edit").is_ok());
        assert!(check_name("ed").is_err());
        assert!(check_name("Edit").is_err());
    }
}
