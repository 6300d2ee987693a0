//! Lists: the residual of Cedar's type-aware partial evaluation, with the
//! resource unknown, turned into a [`Filter`] over the resource's fields.

use std::fmt;
use std::sync::Arc;

use cedar_policy::pst::{
    self, ActionConstraint, BinaryOp, Clause, Expr, Literal, PrincipalConstraint,
    ResourceConstraint, UnaryOp, Var,
};

use crate::filter::{Field, Filter};

/// Which of the resource's Cedar attributes are which [`Field`]s, so that a
/// residual over them becomes a filter: `resource.owner_id == 7` becomes
/// `Order::OWNER_ID.eq(7)`.
///
/// ```
/// use auth_core::cedar::CedarFields;
/// use auth_core::filter::Field;
///
/// struct Order { id: i64, owner_id: i64, region: String }
/// impl Order {
///     const ID: Field<Order, i64> = Field::int("id", |o| o.id);
///     const OWNER_ID: Field<Order, i64> = Field::int("owner_id", |o| o.owner_id);
///     const REGION: Field<Order, str> = Field::text("region", |o| &o.region);
/// }
///
/// let fields = CedarFields::new()
///     .id_int(Order::ID) // `resource == Shop::Order::"7"`
///     .int("owner_id", Order::OWNER_ID)
///     .text("region", Order::REGION);
/// # let _ = fields;
/// ```
///
/// Each field must read the very value the resource's
/// [`CedarEntity::attributes`](super::CedarEntity::attributes) gives Cedar under
/// that name (the list equivalence test of your rules checks it).
pub struct CedarFields<R> {
    id: Option<FieldOf<R>>,
    attributes: Vec<(&'static str, FieldOf<R>)>,
}

enum FieldOf<R> {
    Int(Field<R, i64>),
    Text(Field<R, str>),
    Bool(Field<R, bool>),
}

impl<R> Clone for FieldOf<R> {
    fn clone(&self) -> Self {
        match self {
            FieldOf::Int(field) => FieldOf::Int(*field),
            FieldOf::Text(field) => FieldOf::Text(*field),
            FieldOf::Bool(field) => FieldOf::Bool(*field),
        }
    }
}

impl<R> Default for CedarFields<R> {
    fn default() -> Self {
        CedarFields {
            id: None,
            attributes: Vec::new(),
        }
    }
}

impl<R> fmt::Debug for CedarFields<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CedarFields")
            .field("id", &self.id.as_ref().map(FieldOf::column))
            .field(
                "attributes",
                &self
                    .attributes
                    .iter()
                    .map(|(name, field)| (*name, field.column()))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl<R> FieldOf<R> {
    fn column(&self) -> &'static str {
        match self {
            FieldOf::Int(field) => field.column(),
            FieldOf::Text(field) => field.column(),
            FieldOf::Bool(field) => field.column(),
        }
    }
}

impl<R> CedarFields<R> {
    /// No field mapped.
    pub fn new() -> Self {
        CedarFields::default()
    }

    /// The resource's Cedar id is this integer field, in decimal
    /// ([`CedarEntity::cedar_id`](super::CedarEntity::cedar_id)).
    #[must_use]
    pub fn id_int(mut self, field: Field<R, i64>) -> Self {
        self.id = Some(FieldOf::Int(field));
        self
    }

    /// The resource's Cedar id is this text field.
    #[must_use]
    pub fn id_text(mut self, field: Field<R, str>) -> Self {
        self.id = Some(FieldOf::Text(field));
        self
    }

    /// The `Long` attribute `attribute` is `field`.
    #[must_use]
    pub fn int(mut self, attribute: &'static str, field: Field<R, i64>) -> Self {
        self.attributes.push((attribute, FieldOf::Int(field)));
        self
    }

    /// The `String` attribute `attribute` is `field`.
    #[must_use]
    pub fn text(mut self, attribute: &'static str, field: Field<R, str>) -> Self {
        self.attributes.push((attribute, FieldOf::Text(field)));
        self
    }

    /// The `Bool` attribute `attribute` is `field`.
    #[must_use]
    pub fn bool(mut self, attribute: &'static str, field: Field<R, bool>) -> Self {
        self.attributes.push((attribute, FieldOf::Bool(field)));
        self
    }

    fn attribute(&self, name: &str) -> Option<&FieldOf<R>> {
        self.attributes
            .iter()
            .find(|(attribute, _)| *attribute == name)
            .map(|(_, field)| field)
    }
}

/// Why a list could not be answered as a filter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CedarListError {
    /// What remains of a policy once the principal, the action and the context
    /// are known is not a comparison of mapped fields with values.
    #[error(
        "the residual of cedar policy `{policy}` cannot be a filter ({why}): `{residual}`; \
         map the resource's attributes it reads with `CedarFields`, and compare them with \
         values only (`==`, `!=`, `<`, `<=`, `>`, `>=`, `[..].contains(..)`, `&&`, `||`, `!`), \
         or list through `filter_authorized`"
    )]
    Untranslatable {
        /// The policy's id.
        policy: String,
        /// The residual expression, in Cedar.
        residual: String,
        /// What in it has no filter.
        why: String,
    },
    /// Cedar could not evaluate the request (an entity or context that does not
    /// conform to the schema, an action the schema lacks, an evaluation error).
    #[error("cedar cannot answer the list: {0}")]
    Unavailable(String),
}

impl CedarListError {
    /// The refusal this is for a caller: unavailable (503), never a list
    /// (logged with the residual, for whoever must fix the policy).
    pub fn to_decision(&self) -> crate::Decision {
        tracing::error!(target: "auth_core::cedar", error = %self, "cedar list refused");
        crate::Decision::unavailable("cedar", None)
    }

    /// The refusal as a [`FilterPolicy`](crate::FilterPolicy)'s answer:
    /// [`Filter::unavailable`] (a 503 for one resource and for the list, never
    /// an allow), logged with the residual as [`to_decision`](Self::to_decision)
    /// does. For a `FilterPolicy` whose filter is Cedar's:
    ///
    /// ```
    /// # use auth_core::cedar::{Cedar, CedarEntity, CedarFields, Record};
    /// # use auth_core::filter::Filter;
    /// # use auth_core::{Action, Authenticated, FilterPolicy, Resource};
    /// # #[derive(Action)] #[action(name = "read")] pub struct Read;
    /// # pub struct User; pub struct Doc { id: i64 }
    /// # impl CedarEntity for User { const TYPE: &'static str = "U"; fn cedar_id(&self) -> String { String::new() } fn attributes(&self, _: &mut Record) {} }
    /// # impl CedarEntity for Doc { const TYPE: &'static str = "D"; fn cedar_id(&self) -> String { String::new() } fn attributes(&self, _: &mut Record) {} }
    /// impl FilterPolicy<Doc> for Read {
    ///     type Principal = User;
    ///     type State = Cedar;
    ///
    ///     fn filter(user: &Authenticated<User>, cedar: &Cedar) -> Filter<Doc> {
    ///         cedar
    ///             .filter(&**user, Read, &Record::new(), &CedarFields::new())
    ///             .unwrap_or_else(|refused| refused.to_filter())
    ///     }
    /// }
    /// ```
    pub fn to_filter<R>(&self) -> Filter<R> {
        tracing::error!(target: "auth_core::cedar", error = %self, "cedar list refused");
        Filter::unavailable("cedar")
    }
}

/// The filter of one residual policy `policy` (its id `id`).
pub(crate) fn policy_filter<R>(
    id: &str,
    policy: &pst::Policy,
    fields: &CedarFields<R>,
    resource_type: &str,
) -> Result<Filter<R>, CedarListError> {
    let body = policy.body();
    let untranslatable = |why: &str| CedarListError::Untranslatable {
        policy: id.to_owned(),
        residual: body.to_string(),
        why: why.to_owned(),
    };
    // A residual's scope is unconstrained (its condition carries everything);
    // anything else is a form this translation does not know.
    if !matches!(body.principal, PrincipalConstraint::Any)
        || !matches!(body.action, ActionConstraint::Any)
        || !matches!(body.resource, ResourceConstraint::Any)
    {
        return Err(untranslatable("a constrained scope"));
    }
    let translator = Translator {
        fields,
        resource_type,
    };
    let mut filter = Filter::all();
    for clause in body.clauses() {
        let part = match clause {
            Clause::When(expr) => translator.filter(expr),
            Clause::Unless(expr) => translator.filter(expr).map(|filter| !filter),
        };
        filter = filter.and(part.map_err(|why| CedarListError::Untranslatable {
            policy: id.to_owned(),
            residual: body.to_string(),
            why,
        })?);
    }
    // A filter past the depth limit selects nothing: Cedar's answer would be
    // lost, silently, as a deny of every resource and an empty list.
    if filter.is_too_deep() {
        return Err(untranslatable(&format!(
            "it nests deeper than a filter may ({} levels of `&&`, `||` and `!`)",
            Filter::<R>::MAX_DEPTH
        )));
    }
    Ok(filter)
}

/// The most comparisons an `if .. then .. else` may make of a filter: its
/// condition is written twice, so nested conditions grow it exponentially
/// (every request builds it, every list binds a parameter per comparison).
const MAX_COMPARISONS: usize = 4_096;

struct Translator<'a, R> {
    fields: &'a CedarFields<R>,
    resource_type: &'a str,
}

/// A value a field is compared with.
enum Constant {
    Long(i64),
    Text(String),
    Bool(bool),
    Entity { entity_type: String, id: String },
}

/// What a comparison's operand is.
enum Operand<'a, R> {
    Field(&'a FieldOf<R>),
    Id(&'a FieldOf<R>),
    Constant(Constant),
}

#[derive(Clone, Copy)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    /// The comparison with its operands swapped (`7 < x` is `x > 7`).
    fn flip(self) -> Self {
        match self {
            Cmp::Eq => Cmp::Eq,
            Cmp::Ne => Cmp::Ne,
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
        }
    }
}

impl<R> Translator<'_, R> {
    fn filter(&self, expr: &Expr) -> Result<Filter<R>, String> {
        match expr {
            Expr::Literal(Literal::Bool(value)) => Ok(Filter::when(*value)),
            Expr::UnaryOp {
                op: UnaryOp::Not,
                expr,
            } => Ok(!self.filter(expr)?),
            Expr::BinaryOp { op, left, right } => self.binary(*op, left, right),
            Expr::IfThenElse {
                cond,
                then_expr,
                else_expr,
            } => {
                let cond = self.filter(cond)?;
                let then = self.filter(then_expr)?;
                let otherwise = self.filter(else_expr)?;
                // The condition is written twice: nested in conditions, each
                // level doubles the filter, so it is bounded as it is built.
                let comparisons = cond
                    .comparisons()
                    .saturating_mul(2)
                    .saturating_add(then.comparisons())
                    .saturating_add(otherwise.comparisons());
                if comparisons > MAX_COMPARISONS {
                    return Err(format!(
                        "`if .. then .. else` nested in its conditions makes a filter of more \
                         than {MAX_COMPARISONS} comparisons"
                    ));
                }
                Ok(cond.clone().and(then).or((!cond).and(otherwise)))
            }
            // `resource.archived`, a boolean attribute on its own
            Expr::GetAttr { .. } => match self.operand(expr)? {
                Operand::Field(FieldOf::Bool(field)) => Ok(field.is(true)),
                _ => Err(format!("`{expr}` is not a boolean field")),
            },
            Expr::HasAttr { .. } => Err(format!(
                "`{expr}` tests an optional attribute, which a filter cannot (declare it required)"
            )),
            Expr::ResidualError => Err(format!("`{expr}` always errors")),
            _ => Err(format!(
                "`{expr}` is not a comparison of a field with a value"
            )),
        }
    }

    fn binary(
        &self,
        op: BinaryOp,
        left: &Arc<Expr>,
        right: &Arc<Expr>,
    ) -> Result<Filter<R>, String> {
        let cmp = match op {
            BinaryOp::And => return Ok(self.filter(left)?.and(self.filter(right)?)),
            BinaryOp::Or => return Ok(self.filter(left)?.or(self.filter(right)?)),
            BinaryOp::Contains => return self.contains(left, right),
            BinaryOp::Eq => Cmp::Eq,
            BinaryOp::NotEq => Cmp::Ne,
            BinaryOp::Less => Cmp::Lt,
            BinaryOp::LessEq => Cmp::Le,
            BinaryOp::Greater => Cmp::Gt,
            BinaryOp::GreaterEq => Cmp::Ge,
            _ => return Err(format!("the operator `{op}` has no filter")),
        };
        match (self.operand(left)?, self.operand(right)?) {
            (Operand::Constant(_), Operand::Constant(_)) => {
                Err("a comparison of two values left unevaluated".to_owned())
            }
            (Operand::Constant(value), field) => self.compare(&field, cmp.flip(), value),
            (field, Operand::Constant(value)) => self.compare(&field, cmp, value),
            _ => Err("a comparison of two fields".to_owned()),
        }
    }

    /// `[v1, v2].contains(resource.field)`
    fn contains(&self, set: &Expr, element: &Expr) -> Result<Filter<R>, String> {
        let Expr::Set(values) = set else {
            return Err(format!("`{set}` is not a set of values"));
        };
        let values = values
            .iter()
            .map(|value| constant(value).ok_or_else(|| format!("`{value}` is not a value")))
            .collect::<Result<Vec<_>, _>>()?;
        match self.operand(element)? {
            Operand::Field(FieldOf::Int(field)) => Ok(field.one_of(values.into_iter().filter_map(
                |value| match value {
                    Constant::Long(value) => Some(value),
                    _ => None,
                },
            ))),
            Operand::Field(FieldOf::Text(field)) => Ok(field.one_of(
                values.into_iter().filter_map(|value| match value {
                    Constant::Text(value) => Some(value),
                    _ => None,
                }),
            )),
            Operand::Id(_) => {
                Ok(Filter::any_of(values.into_iter().map(
                    |value| match self.operand_id_eq(value) {
                        Ok(filter) => filter,
                        Err(_) => Filter::none(),
                    },
                )))
            }
            _ => Err(format!("`{element}` is not an integer or text field")),
        }
    }

    fn operand_id_eq(&self, value: Constant) -> Result<Filter<R>, String> {
        match &self.fields.id {
            Some(id) => self.compare(&Operand::Id(id), Cmp::Eq, value),
            None => Err("the resource's id is not mapped (`CedarFields::id_int`)".to_owned()),
        }
    }

    fn operand<'e>(&'e self, expr: &Expr) -> Result<Operand<'e, R>, String> {
        if let Some(value) = constant(expr) {
            return Ok(Operand::Constant(value));
        }
        match expr {
            Expr::Var(Var::Resource) => match &self.fields.id {
                Some(id) => Ok(Operand::Id(id)),
                None => Err(
                    "`resource` is compared, but its id is not mapped (`CedarFields::id_int`)"
                        .to_owned(),
                ),
            },
            Expr::GetAttr { expr: of, attr } if matches!(**of, Expr::Var(Var::Resource)) => self
                .fields
                .attribute(attr)
                .map(Operand::Field)
                .ok_or_else(|| {
                    format!("`resource.{attr}` is not mapped to a field (`CedarFields`)")
                }),
            _ => Err(format!("`{expr}` is neither a mapped field nor a value")),
        }
    }

    fn compare(
        &self,
        field: &Operand<'_, R>,
        cmp: Cmp,
        value: Constant,
    ) -> Result<Filter<R>, String> {
        let (field, is_id) = match field {
            Operand::Field(field) => (*field, false),
            Operand::Id(field) => (*field, true),
            Operand::Constant(_) => return Err("a comparison of two values".to_owned()),
        };
        let mismatch = || "a field compared with a value of another type".to_owned();
        match (field, value) {
            (FieldOf::Int(field), Constant::Long(value)) if !is_id => Ok(int(*field, cmp, value)),
            (FieldOf::Text(field), Constant::Text(value)) if !is_id => match cmp {
                Cmp::Eq => Ok(field.eq(value)),
                Cmp::Ne => Ok(field.ne(value)),
                _ => Err("text is compared for equality only".to_owned()),
            },
            (FieldOf::Bool(field), Constant::Bool(value)) if !is_id => match cmp {
                Cmp::Eq => Ok(field.is(value)),
                Cmp::Ne => Ok(field.is(!value)),
                _ => Err("booleans are compared for equality only".to_owned()),
            },
            (
                id,
                Constant::Entity {
                    entity_type,
                    id: value,
                },
            ) if is_id => {
                // Another type's entity, or an id no resource of this type has,
                // is equal to no resource.
                let same = if entity_type == self.resource_type {
                    match id {
                        FieldOf::Int(field) => match value.parse::<i64>() {
                            Ok(number) if number.to_string() == value => Some(field.eq(number)),
                            _ => None,
                        },
                        FieldOf::Text(field) => Some(field.eq(value)),
                        FieldOf::Bool(_) => return Err(mismatch()),
                    }
                } else {
                    None
                };
                let same = same.unwrap_or_else(Filter::none);
                match cmp {
                    Cmp::Eq => Ok(same),
                    Cmp::Ne => Ok(!same),
                    _ => Err("entities are compared for equality only".to_owned()),
                }
            }
            _ => Err(mismatch()),
        }
    }
}

fn int<R>(field: Field<R, i64>, cmp: Cmp, value: i64) -> Filter<R> {
    match cmp {
        Cmp::Eq => field.eq(value),
        Cmp::Ne => field.ne(value),
        Cmp::Lt => field.lt(value),
        Cmp::Le => field.le(value),
        Cmp::Gt => field.gt(value),
        Cmp::Ge => field.ge(value),
    }
}

fn constant(expr: &Expr) -> Option<Constant> {
    match expr {
        Expr::Literal(Literal::Long(value)) => Some(Constant::Long(*value)),
        Expr::Literal(Literal::String(value)) => Some(Constant::Text(value.to_string())),
        Expr::Literal(Literal::Bool(value)) => Some(Constant::Bool(*value)),
        Expr::Literal(Literal::EntityUID(uid)) => Some(Constant::Entity {
            entity_type: uid.ty.to_string(),
            id: uid.eid.to_string(),
        }),
        _ => None,
    }
}
