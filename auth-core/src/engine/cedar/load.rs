//! Loading a policy set and its schema: parsed, validated strictly against the
//! schema, and refused with each problem at its file, line and column.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use cedar_policy::{EntityUid, PolicyId, PolicySet, Schema, ValidationMode, Validator};

/// A Cedar source: its name in messages (a path) and its text.
#[derive(Debug, Clone)]
pub struct CedarFile {
    name: String,
    text: String,
}

impl CedarFile {
    /// A source named `name` in messages, holding `text`: for files compiled
    /// into the binary (`include_str!`).
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        CedarFile {
            name: name.into(),
            text: text.into(),
        }
    }

    /// Reads the file at `path`.
    ///
    /// # Errors
    /// [`CedarError::Read`] when the file cannot be read.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, CedarError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| CedarError::Read {
            path: path.to_owned(),
            source,
        })?;
        Ok(CedarFile::new(path.display().to_string(), text))
    }

    /// The name in messages.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Why a policy set was not loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CedarError {
    /// A file could not be read.
    #[error("cannot read the cedar file `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The schema or the policies are refused: each problem with its place.
    /// Displayed as a compiler would, one diagnostic after the other.
    #[error("{}", Rendered(.0))]
    Refused(Vec<CedarDiagnostic>),
}

impl CedarError {
    /// The problems found, each at its place; none for [`CedarError::Read`].
    pub fn diagnostics(&self) -> &[CedarDiagnostic] {
        match self {
            CedarError::Refused(diagnostics) => diagnostics,
            CedarError::Read { .. } => &[],
        }
    }
}

struct Rendered<'a>(&'a [CedarDiagnostic]);

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in self.0 {
            writeln!(f, "{diagnostic}")?;
        }
        let n = self.0.len();
        write!(
            f,
            "the cedar policies were not loaded: {n} error{}",
            if n == 1 { "" } else { "s" }
        )
    }
}

/// What a [`CedarDiagnostic`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// The schema does not parse, or is inconsistent.
    Schema,
    /// A policy does not parse.
    Parse,
    /// A policy parses, but the schema refuses it (strict validation: an unknown
    /// attribute, entity type or action, a type error).
    Validation,
    /// Two policies have the same `@id`.
    DuplicateId,
    /// A template (`?principal`, `?resource`): only static policies are loaded.
    Template,
}

/// One problem in a Cedar file, at its line and column. Its `Display` reads as
/// a compiler's:
///
/// ```text
/// error[cedar validation]: attribute `regoin` on entity type `Shop::Order` not found
///   --> policies/shop.cedar:7:37
///    |
///  7 |     when { resource.region == principal.regoin };
///    |                                     ^
///    = policy: refund-in-region
///    = help: did you mean `region`?
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CedarDiagnostic {
    kind: DiagnosticKind,
    file: String,
    line: usize,
    column: usize,
    message: String,
    policy: Option<String>,
    help: Option<String>,
    source_line: Option<String>,
    /// What Cedar says at the place (e.g. what it expected), under the caret.
    label: Option<String>,
}

impl CedarDiagnostic {
    /// What it is about.
    pub fn kind(&self) -> DiagnosticKind {
        self.kind
    }

    /// The file's name.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The line, from 1 (0 when Cedar gave no place).
    pub fn line(&self) -> usize {
        self.line
    }

    /// The column, in characters, from 1 (0 when Cedar gave no place).
    pub fn column(&self) -> usize {
        self.column
    }

    /// Cedar's message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The id of the policy it is about, for a validation error.
    pub fn policy(&self) -> Option<&str> {
        self.policy.as_deref()
    }

    /// Cedar's help, when it has one.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }
}

impl fmt::Display for CedarDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            DiagnosticKind::Schema => "cedar schema",
            DiagnosticKind::Parse => "cedar syntax",
            DiagnosticKind::Validation => "cedar validation",
            DiagnosticKind::DuplicateId => "cedar duplicate id",
            DiagnosticKind::Template => "cedar template",
        };
        writeln!(f, "error[{kind}]: {}", self.message)?;
        write!(f, "  --> {}:{}:{}", self.file, self.line, self.column)?;
        if let Some(source_line) = &self.source_line {
            let number = self.line.to_string();
            let pad = " ".repeat(number.len());
            write!(f, "\n {pad} |\n {number} | {source_line}\n {pad} | ")?;
            write!(f, "{}^", " ".repeat(self.column.saturating_sub(1)))?;
            if let Some(label) = &self.label {
                write!(f, " {label}")?;
            }
        }
        let pad = " ".repeat(self.line.to_string().len());
        if let Some(policy) = &self.policy {
            write!(f, "\n {pad} = policy: {policy}")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n {pad} = help: {help}")?;
        }
        Ok(())
    }
}

/// A diagnostic for `error`, placed in `file` by the first label Cedar gave it.
fn diagnostic(
    kind: DiagnosticKind,
    file: &CedarFile,
    error: &dyn miette::Diagnostic,
    policy: Option<String>,
) -> CedarDiagnostic {
    let first = error.labels().and_then(|mut labels| labels.next());
    let offset = first.as_ref().map(miette::LabeledSpan::offset);
    let label = first.and_then(|label| label.label().map(str::to_owned));
    let (line, column, source_line) = match offset {
        Some(offset) => place(&file.text, offset),
        None => (0, 0, None),
    };
    CedarDiagnostic {
        kind,
        file: file.name.clone(),
        line,
        column,
        message: error.to_string(),
        policy,
        help: error.help().map(|help| help.to_string()),
        source_line,
        label,
    }
}

/// The line and column (both from 1) of byte `offset` in `text`, and that line.
fn place(text: &str, offset: usize) -> (usize, usize, Option<String>) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let line = before.matches('\n').count() + 1;
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    let source_line = text
        .get(line_start..)
        .and_then(|rest| rest.lines().next())
        .map(str::to_owned);
    (line, column, source_line)
}

/// A loaded, validated policy set.
pub(crate) struct Loaded {
    pub(crate) policies: PolicySet,
    pub(crate) schema: Schema,
    /// The schema's actions by their id (`"orders.read"`), each id found in one
    /// namespace only; an id found in several maps to `None`.
    pub(crate) actions: HashMap<String, Option<EntityUid>>,
}

pub(crate) fn load(policies: &CedarFile, schema: &CedarFile) -> Result<Loaded, CedarError> {
    let schema_parsed = match Schema::from_cedarschema_str(&schema.text) {
        Ok((parsed, warnings)) => {
            for warning in warnings {
                tracing::warn!(target: "auth_core::cedar", file = %schema.name, "cedar schema: {warning}");
            }
            parsed
        }
        Err(error) => {
            return Err(CedarError::Refused(vec![diagnostic(
                DiagnosticKind::Schema,
                schema,
                &error,
                None,
            )]));
        }
    };
    let parsed = PolicySet::from_str(&policies.text).map_err(|errors| {
        CedarError::Refused(
            errors
                .iter()
                .map(|error| diagnostic(DiagnosticKind::Parse, policies, error, None))
                .collect(),
        )
    })?;
    let policy_set = with_annotated_ids(&parsed, policies)?;
    let validator = Validator::new(schema_parsed.clone());
    let result = validator.validate(&policy_set, ValidationMode::Strict);
    if !result.validation_passed() {
        return Err(CedarError::Refused(
            result
                .validation_errors()
                .map(|error| {
                    diagnostic(
                        DiagnosticKind::Validation,
                        policies,
                        error,
                        Some(error.policy_id().to_string()),
                    )
                })
                .collect(),
        ));
    }
    for warning in result.validation_warnings() {
        tracing::warn!(target: "auth_core::cedar", file = %policies.name, "cedar validation: {warning}");
    }
    let mut actions: HashMap<String, Option<EntityUid>> = HashMap::new();
    for action in schema_parsed.actions() {
        let id = action.id().unescaped().to_owned();
        actions
            .entry(id)
            .and_modify(|kept| *kept = None)
            .or_insert_with(|| Some(action.clone()));
    }
    Ok(Loaded {
        policies: policy_set,
        schema: schema_parsed,
        actions,
    })
}

/// The policies renamed by their `@id("..")` annotation, so that evidence and
/// messages name them as their authors did (`policy3` otherwise).
fn with_annotated_ids(parsed: &PolicySet, file: &CedarFile) -> Result<PolicySet, CedarError> {
    let mut renamed = PolicySet::new();
    let mut problems = Vec::new();
    for template in parsed.templates() {
        let id = template
            .annotation("id")
            .map_or_else(|| template.id().to_string(), str::to_owned);
        let (line, column, source_line) = file
            .text
            .find("?principal")
            .or_else(|| file.text.find("?resource"))
            .map_or((0, 0, None), |offset| place(&file.text, offset));
        problems.push(CedarDiagnostic {
            kind: DiagnosticKind::Template,
            file: file.name.clone(),
            line,
            column,
            message: format!("the policy `{id}` is a template (it has a slot)"),
            policy: Some(id),
            help: Some(
                "write a static policy for each principal or resource: templates are not loaded"
                    .to_owned(),
            ),
            source_line,
            label: None,
        });
    }
    for policy in parsed.policies() {
        let policy = match policy.annotation("id") {
            Some(id) => policy.new_id(PolicyId::new(id)),
            None => policy.clone(),
        };
        let id = policy.id().to_string();
        let offset = file.text.find(&format!("@id(\"{id}\")"));
        if renamed.add(policy).is_err() {
            let (line, column, source_line) = offset
                .and_then(|first| {
                    let after = first + 1;
                    file.text
                        .get(after..)
                        .and_then(|rest| rest.find(&format!("@id(\"{id}\")")))
                        .map(|second| place(&file.text, after + second))
                })
                .unwrap_or((0, 0, None));
            problems.push(CedarDiagnostic {
                kind: DiagnosticKind::DuplicateId,
                file: file.name.clone(),
                line,
                column,
                message: format!("two policies have the id `{id}`"),
                policy: Some(id),
                help: Some("give each policy its own `@id(\"..\")`".to_owned()),
                source_line,
                label: Some("the second".to_owned()),
            });
        }
    }
    if problems.is_empty() {
        Ok(renamed)
    } else {
        Err(CedarError::Refused(problems))
    }
}
