//! Cedar entities from Rust values: [`CedarEntity`], written once per type,
//! and the [`Record`] of attributes (and of a request's context) it fills.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use cedar_policy::{Entity, EntityId, EntityTypeName, EntityUid, RestrictedExpression};

/// How a Rust value is a Cedar entity: its type in the schema, its id, its
/// attributes and its parents. Implement it for the principal type and for each
/// resource type a [`Cedar`](super::Cedar) policy set decides on; no JSON is
/// written by hand.
///
/// ```
/// use auth_core::cedar::{CedarEntity, Parents, Record};
///
/// struct User { id: i64, region: String, roles: Vec<String> }
///
/// impl CedarEntity for User {
///     const TYPE: &'static str = "Shop::User";
///
///     fn cedar_id(&self) -> String {
///         self.id.to_string()
///     }
///
///     fn attributes(&self, record: &mut Record) {
///         record.long("id", self.id).string("region", &self.region);
///     }
///
///     // `principal in Shop::Role::"manager"`
///     fn parents(&self, parents: &mut Parents) {
///         for role in &self.roles {
///             parents.add("Shop::Role", role);
///         }
///     }
/// }
/// ```
///
/// The attributes must be those the schema declares for `TYPE`, with its types:
/// an entity that does not conform is not decided on (the decision is
/// unavailable, a 503, and the mismatch is logged), never guessed at.
pub trait CedarEntity {
    /// The entity type's name in the schema, with its namespace:
    /// `"Shop::User"`.
    const TYPE: &'static str;

    /// The entity's id, unique within `TYPE` (the id in `Shop::User::"7"`).
    fn cedar_id(&self) -> String;

    /// Writes the entity's attributes into `record`.
    fn attributes(&self, record: &mut Record);

    /// Adds the entity's parents (`principal in Shop::Role::"admin"`). None by
    /// default.
    fn parents(&self, parents: &mut Parents) {
        let _ = parents;
    }
}

/// A Cedar record: an entity's attributes, or a request's context. Built with
/// typed setters, so every value is one Cedar can hold.
///
/// ```
/// use auth_core::cedar::Record;
///
/// let mut context = Record::new();
/// context.long("now", 1_700_000_000).bool("mfa", true);
/// ```
#[derive(Default, Clone)]
pub struct Record {
    values: Vec<(String, RestrictedExpression)>,
    /// Why a value set could not be a Cedar value: the record is then refused
    /// where it is used.
    invalid: Option<String>,
}

impl Record {
    /// An empty record.
    pub fn new() -> Self {
        Record::default()
    }

    fn set(&mut self, name: &str, value: RestrictedExpression) -> &mut Self {
        // A name set twice keeps its last value, as a struct literal would.
        self.values.retain(|(kept, _)| kept != name);
        self.values.push((name.to_owned(), value));
        self
    }

    /// `name` is an integer (a Cedar `Long`).
    pub fn long(&mut self, name: &str, value: i64) -> &mut Self {
        self.set(name, RestrictedExpression::new_long(value))
    }

    /// `name` is a string.
    pub fn string(&mut self, name: &str, value: &str) -> &mut Self {
        self.set(name, RestrictedExpression::new_string(value.to_owned()))
    }

    /// `name` is a boolean.
    pub fn bool(&mut self, name: &str, value: bool) -> &mut Self {
        self.set(name, RestrictedExpression::new_bool(value))
    }

    /// `name` is a set of strings.
    pub fn strings<'a>(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = &'a str>,
    ) -> &mut Self {
        let set = values
            .into_iter()
            .map(|value| RestrictedExpression::new_string(value.to_owned()));
        self.set(name, RestrictedExpression::new_set(set))
    }

    /// `name` is a set of integers.
    pub fn longs(&mut self, name: &str, values: impl IntoIterator<Item = i64>) -> &mut Self {
        let set = values.into_iter().map(RestrictedExpression::new_long);
        self.set(name, RestrictedExpression::new_set(set))
    }

    /// `name` refers to the entity `entity_type::"id"`.
    ///
    /// An entity type name that is not a Cedar name makes the decision
    /// unavailable (and is logged) when the record is used.
    pub fn entity(&mut self, name: &str, entity_type: &str, id: &str) -> &mut Self {
        match uid(entity_type, id) {
            Ok(uid) => self.set(name, RestrictedExpression::new_entity_uid(uid)),
            Err(error) => {
                self.invalid.get_or_insert(format!("`{name}`: {error}"));
                self
            }
        }
    }

    /// Whether the record has no value.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The record's values, or why it is not a valid record.
    pub(crate) fn into_pairs(self) -> Result<Vec<(String, RestrictedExpression)>, NotAnEntity> {
        match self.invalid {
            Some(invalid) => Err(NotAnEntity(invalid)),
            None => Ok(self.values),
        }
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.values.iter().map(|(name, value)| (name, value)))
            .finish()
    }
}

/// An entity's parents: the entities it is `in`.
#[derive(Default, Debug)]
pub struct Parents {
    uids: Vec<(String, String)>,
}

impl Parents {
    /// The entity is in `entity_type::"id"`.
    pub fn add(&mut self, entity_type: &str, id: &str) -> &mut Self {
        self.uids.push((entity_type.to_owned(), id.to_owned()));
        self
    }
}

/// Why a value could not be made a Cedar entity: its type name (or a
/// referenced one) is not a Cedar name, or an attribute value is refused.
#[derive(Debug, Clone)]
pub(crate) struct NotAnEntity(pub(crate) String);

impl fmt::Display for NotAnEntity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `entity_type::"id"`.
pub(crate) fn uid(entity_type: &str, id: &str) -> Result<EntityUid, NotAnEntity> {
    let name = type_name(entity_type)?;
    // An id is any string; `EntityId::from_str` cannot fail.
    let id = EntityId::from_str(id)
        .map_err(|error| NotAnEntity(format!("the id `{id}` is refused: {error}")))?;
    Ok(EntityUid::from_type_name_and_id(name, id))
}

pub(crate) fn type_name(entity_type: &str) -> Result<EntityTypeName, NotAnEntity> {
    EntityTypeName::from_str(entity_type).map_err(|_| {
        NotAnEntity(format!(
            "`{entity_type}` is not a Cedar entity type name (write it as in the schema, e.g. `Shop::User`)"
        ))
    })
}

/// The Cedar entity of `value`.
pub(crate) fn entity<T: CedarEntity + ?Sized>(value: &T) -> Result<Entity, NotAnEntity> {
    let id = uid(T::TYPE, &value.cedar_id())?;
    let mut record = Record::new();
    value.attributes(&mut record);
    let attrs: HashMap<String, RestrictedExpression> = record.into_pairs()?.into_iter().collect();
    let mut parents = Parents::default();
    value.parents(&mut parents);
    let parents = parents
        .uids
        .iter()
        .map(|(entity_type, id)| uid(entity_type, id))
        .collect::<Result<HashSet<_>, _>>()?;
    Entity::new(id, attrs, parents).map_err(|error| {
        NotAnEntity(format!(
            "the attributes of a `{}` are refused: {error}",
            T::TYPE
        ))
    })
}
