//! The roles file: its format, read with spans, and every check made at load.
//!
//! ```toml
//! [permissions]               # every permission, once, with what it allows
//! "orders.read.own" = "read one's own orders"
//! "orders.refund" = "refund an order"
//!
//! [roles.customer]            # a role: what it grants, and whom it inherits
//! description = "a signed-up buyer"
//! permissions = ["orders.read.own"]
//!
//! [roles.manager]
//! inherits = ["customer"]
//! permissions = ["orders.refund"]
//! ```

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use foldhash::fast::RandomState;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::{NameKind, Problem, ProblemKind};
use super::table::{Bits, Inner, PermissionEntry, RoleEntry};

/// The longest name, in bytes.
const MAX_NAME: usize = 100;
/// The most roles, and the most permissions, a file may declare: the flattened
/// table holds a bit per role and per permission for each role.
pub(super) const MAX_ENTRIES: usize = 4096;

const TOP_KEYS: &[&str] = &["permissions", "roles"];
const ROLE_KEYS: &[&str] = &["inherits", "permissions", "description"];

/// A name as written, and where.
struct Named {
    name: String,
    span: Range<usize>,
}

struct DraftRole {
    name: Named,
    description: Option<String>,
    inherits: Vec<Named>,
    permissions: Vec<Named>,
}

struct DraftPermission {
    name: Named,
    description: String,
}

struct Reader<'a> {
    file: Arc<str>,
    text: &'a str,
    /// The byte offset of each line's start.
    lines: Vec<usize>,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn problem(&mut self, at: usize, kind: ProblemKind) {
        let (line, column) = self.position(at);
        self.problems.push(Problem {
            file: self.file.clone(),
            line,
            column,
            kind,
        });
    }

    /// Line and column (in characters), from 1, of byte `at`.
    fn position(&self, at: usize) -> (usize, usize) {
        let mut at = at.min(self.text.len());
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        let line = self.lines.partition_point(|&start| start <= at).max(1);
        let start = self.lines.get(line - 1).copied().unwrap_or(0);
        let column = self.text.get(start..at).unwrap_or_default().chars().count() + 1;
        (line, column)
    }

    fn line(&self, at: usize) -> usize {
        self.position(at).0
    }
}

/// Parses and validates `text`. Every problem is reported, in the file's order.
pub(super) fn parse(file: &str, text: &str) -> Result<Inner, Vec<Problem>> {
    let mut reader = Reader {
        file: Arc::from(file),
        text,
        lines: std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect(),
        problems: Vec::new(),
    };
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(error) => {
            let at = error.span().map_or(0, |span| span.start);
            let mut message = error
                .message()
                .trim()
                .lines()
                .map(str::trim)
                .collect::<Vec<_>>()
                .join("; ");
            let key = error
                .span()
                .and_then(|span| text.get(span))
                .filter(|key| !key.is_empty() && key.len() <= MAX_NAME && !key.contains('\n'));
            if message == "duplicate key"
                && let Some(key) = key
            {
                message = format!(
                    "duplicate key `{key}`: a key is written once in its table; merge the two"
                );
            }
            reader.problem(at, ProblemKind::Toml { message });
            return Err(reader.problems);
        }
    };
    let (permissions, roles) = read_document(&mut reader, root.get_ref());
    for (kind, count, first_beyond) in [
        (
            NameKind::Permission,
            permissions.len(),
            permissions.get(MAX_ENTRIES).map(|p| p.name.span.start),
        ),
        (
            NameKind::Role,
            roles.len(),
            roles.get(MAX_ENTRIES).map(|r| r.name.span.start),
        ),
    ] {
        if let Some(at) = first_beyond {
            reader.problem(
                at,
                ProblemKind::TooMany {
                    kind,
                    count,
                    limit: MAX_ENTRIES,
                },
            );
            return Err(reader.problems);
        }
    }
    check_names(
        &mut reader,
        NameKind::Permission,
        permissions.iter().map(|p| &p.name),
    );
    check_names(&mut reader, NameKind::Role, roles.iter().map(|r| &r.name));
    let inner = resolve(&mut reader, &permissions, &roles);
    let mut problems = reader.problems;
    match inner {
        Some(inner) if problems.is_empty() => Ok(inner),
        _ => {
            problems.sort_by_key(|p| (p.line, p.column));
            problems.dedup();
            Err(problems)
        }
    }
}

/// Entries of a TOML table in the order of the file (the table itself is sorted
/// by key unless toml's `preserve_order` is on).
fn in_file_order<'t, 'i>(
    table: &'t DeTable<'i>,
) -> Vec<(
    &'t Spanned<std::borrow::Cow<'i, str>>,
    &'t Spanned<DeValue<'i>>,
)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

fn read_document(
    reader: &mut Reader<'_>,
    root: &DeTable<'_>,
) -> (Vec<DraftPermission>, Vec<DraftRole>) {
    let mut permissions = Vec::new();
    let mut roles = Vec::new();
    let mut saw_roles = false;
    for (key, value) in in_file_order(root) {
        match key.get_ref().ref_str() {
            "permissions" => match value.get_ref() {
                DeValue::Table(table) => permissions = read_permissions(reader, table),
                other => wrong_type(
                    reader,
                    value.span().start,
                    "`permissions`".to_owned(),
                    "a table: `[permissions]` with `\"orders.read\" = \"read any order\"` lines",
                    other,
                ),
            },
            "roles" => match value.get_ref() {
                DeValue::Table(table) => {
                    saw_roles = true;
                    roles = read_roles(reader, table);
                }
                other => wrong_type(
                    reader,
                    value.span().start,
                    "`roles`".to_owned(),
                    "tables: `[roles.customer]`, `[roles.admin]`, ..",
                    other,
                ),
            },
            unknown => unknown_key(
                reader,
                key,
                unknown,
                "at the top of the file".to_owned(),
                "`[permissions]` or `[roles.<name>]`",
                TOP_KEYS,
            ),
        }
    }
    if roles.is_empty() && (saw_roles || reader.problems.is_empty()) {
        let at = root
            .get("roles")
            .map_or(reader.text.len(), |roles| roles.span().start);
        reader.problem(at, ProblemKind::NoRoles);
    }
    (permissions, roles)
}

/// `Cow<str>` as `&str`, named for reading.
trait RefStr {
    fn ref_str(&self) -> &str;
}

impl RefStr for std::borrow::Cow<'_, str> {
    fn ref_str(&self) -> &str {
        self
    }
}

fn read_permissions(reader: &mut Reader<'_>, table: &DeTable<'_>) -> Vec<DraftPermission> {
    let mut permissions = Vec::new();
    for (key, value) in in_file_order(table) {
        let name = key.get_ref().ref_str().to_owned();
        let description = match value.get_ref() {
            DeValue::String(text) => text.trim().to_owned(),
            DeValue::Table(_) => {
                // `[permissions.orders]` or a dotted key: a nested table.
                wrong_type(
                    reader,
                    key.span().start,
                    format!("permission `{name}`"),
                    "a description string, with a quoted name when it has dots: `\"orders.read\" = \"read any order\"`",
                    value.get_ref(),
                );
                continue;
            }
            other => {
                wrong_type(
                    reader,
                    value.span().start,
                    format!("the description of permission `{name}`"),
                    "a string saying what it allows: `\"orders.read\" = \"read any order\"`",
                    other,
                );
                continue;
            }
        };
        if description.is_empty() {
            reader.problem(
                value.span().start,
                ProblemKind::EmptyDescription { name: name.clone() },
            );
        }
        permissions.push(DraftPermission {
            name: Named {
                name,
                span: key.span(),
            },
            description,
        });
    }
    permissions
}

fn read_roles(reader: &mut Reader<'_>, table: &DeTable<'_>) -> Vec<DraftRole> {
    let mut roles = Vec::new();
    for (key, value) in in_file_order(table) {
        let name = key.get_ref().ref_str().to_owned();
        let DeValue::Table(body) = value.get_ref() else {
            wrong_type(
                reader,
                value.span().start,
                format!("role `{name}`"),
                "a table: `[roles.customer]` followed by `permissions = [..]` and `inherits = [..]`",
                value.get_ref(),
            );
            continue;
        };
        let mut role = DraftRole {
            name: Named {
                name,
                span: key.span(),
            },
            description: None,
            inherits: Vec::new(),
            permissions: Vec::new(),
        };
        for (field, value) in in_file_order(body) {
            let role_name = &role.name.name;
            match field.get_ref().ref_str() {
                "inherits" => {
                    role.inherits = read_names(
                        reader,
                        value,
                        format!("the `inherits` of role `{role_name}`"),
                        "a list of role names: `inherits = [\"customer\"]`",
                    );
                }
                "permissions" => {
                    role.permissions = read_names(
                        reader,
                        value,
                        format!("the `permissions` of role `{role_name}`"),
                        "a list of permission names: `permissions = [\"orders.read\"]`",
                    );
                }
                "description" => match value.get_ref() {
                    DeValue::String(text) => role.description = Some(text.trim().to_owned()),
                    other => wrong_type(
                        reader,
                        value.span().start,
                        format!("the `description` of role `{role_name}`"),
                        "a string: `description = \"a signed-up buyer\"`",
                        other,
                    ),
                },
                unknown => {
                    let place = format!("in `[roles.{role_name}]`");
                    unknown_key(
                        reader,
                        field,
                        unknown,
                        place,
                        "`inherits`, `permissions` or `description`",
                        ROLE_KEYS,
                    );
                }
            }
        }
        roles.push(role);
    }
    roles
}

fn read_names(
    reader: &mut Reader<'_>,
    value: &Spanned<DeValue<'_>>,
    what: String,
    expected: &'static str,
) -> Vec<Named> {
    let DeValue::Array(items) = value.get_ref() else {
        wrong_type(reader, value.span().start, what, expected, value.get_ref());
        return Vec::new();
    };
    let mut names = Vec::new();
    for item in items {
        match item.get_ref() {
            DeValue::String(name) => names.push(Named {
                name: name.ref_str().to_owned(),
                span: item.span(),
            }),
            other => wrong_type(
                reader,
                item.span().start,
                format!("each of {what}"),
                "a string, the name in double quotes",
                other,
            ),
        }
    }
    names
}

fn wrong_type(
    reader: &mut Reader<'_>,
    at: usize,
    what: String,
    expected: &'static str,
    found: &DeValue<'_>,
) {
    let found = match found {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    };
    reader.problem(
        at,
        ProblemKind::WrongType {
            what,
            expected,
            found,
        },
    );
}

fn unknown_key(
    reader: &mut Reader<'_>,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    name: &str,
    place: String,
    expected: &'static str,
    known: &[&str],
) {
    let suggestion = nearest(name, known.iter().copied());
    reader.problem(
        key.span().start,
        ProblemKind::UnknownKey {
            key: name.to_owned(),
            place,
            expected,
            suggestion,
        },
    );
}

/// Why `name` is not a valid name, if it is not.
fn invalid_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("it is empty");
    }
    if name.len() > MAX_NAME {
        return Some("it is longer than 100 bytes");
    }
    let bytes = name.as_bytes();
    if !bytes.first().is_some_and(u8::is_ascii_lowercase) {
        return Some("it must start with a lowercase ASCII letter");
    }
    let separator = |b: &u8| matches!(b, b'.' | b'_' | b'-' | b':');
    if let Some(bad) = bytes
        .iter()
        .find(|b| !(b.is_ascii_lowercase() || b.is_ascii_digit() || separator(b)))
    {
        return Some(if bad.is_ascii_uppercase() {
            "it has an uppercase letter"
        } else if bad.is_ascii_whitespace() {
            "it has a space"
        } else {
            "it has a character other than `a`-`z`, `0`-`9`, `.`, `_`, `-` and `:`"
        });
    }
    if bytes.windows(2).any(|pair| pair.iter().all(separator)) {
        return Some("it has two separators in a row");
    }
    if bytes.last().is_some_and(separator) {
        return Some("it ends with a separator");
    }
    None
}

/// The Rust type name `codegen` writes for `name`: each word capitalized, the
/// separators dropped (`orders.read.own` is `OrdersReadOwn`).
pub(super) fn typed_name(name: &str) -> String {
    name.split(['.', '_', '-', ':'])
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// Valid names, and no two that become the same Rust type name.
fn check_names<'n>(
    reader: &mut Reader<'_>,
    kind: NameKind,
    names: impl Iterator<Item = &'n Named>,
) {
    let mut typed: HashMap<String, &Named> = HashMap::new();
    for named in names {
        let name = &named.name;
        if let Some(reason) = invalid_name(name) {
            let shown = if name.contains(char::is_control) {
                format!("{name:?}")
            } else {
                name.clone()
            };
            reader.problem(
                named.span.start,
                ProblemKind::InvalidName {
                    kind,
                    name: shown,
                    reason,
                },
            );
            continue;
        }
        let rust = typed_name(name);
        if rust == "Self" {
            reader.problem(
                named.span.start,
                ProblemKind::InvalidName {
                    kind,
                    name: name.clone(),
                    reason: "its typed name would be `Self`, a Rust keyword",
                },
            );
            continue;
        }
        if let Some(other) = typed.get(&rust) {
            let other_line = reader.line(other.span.start);
            let other = other.name.clone();
            reader.problem(
                named.span.start,
                ProblemKind::AmbiguousName {
                    kind,
                    name: name.clone(),
                    other,
                    other_line,
                    typed: rust,
                },
            );
        } else {
            typed.insert(rust, named);
        }
    }
}

/// Resolves every reference, refuses cycles, and flattens inheritance.
fn resolve(
    reader: &mut Reader<'_>,
    permissions: &[DraftPermission],
    roles: &[DraftRole],
) -> Option<Inner> {
    let permission_index: HashMap<Box<str>, usize, RandomState> = permissions
        .iter()
        .enumerate()
        .map(|(i, p)| (Box::from(p.name.name.as_str()), i))
        .collect();
    let role_index: HashMap<Box<str>, usize, RandomState> = roles
        .iter()
        .enumerate()
        .map(|(i, r)| (Box::from(r.name.name.as_str()), i))
        .collect();

    let mut own: Vec<Vec<usize>> = Vec::with_capacity(roles.len());
    let mut inherits: Vec<Vec<usize>> = Vec::with_capacity(roles.len());
    for role in roles {
        let role_name = &role.name.name;
        own.push(references(
            reader,
            &role.permissions,
            &permission_index,
            || permissions.iter().map(|p| p.name.name.as_str()),
            |name, suggestion| ProblemKind::UnknownPermission {
                role: role_name.clone(),
                name,
                suggestion,
            },
            |name, first_line| ProblemKind::DuplicatePermission {
                role: role_name.clone(),
                name,
                first_line,
            },
        ));
        inherits.push(references(
            reader,
            &role.inherits,
            &role_index,
            || roles.iter().map(|r| r.name.name.as_str()),
            |name, suggestion| ProblemKind::UnknownRole {
                role: role_name.clone(),
                name,
                suggestion,
            },
            |name, first_line| ProblemKind::DuplicateInherit {
                role: role_name.clone(),
                name,
                first_line,
            },
        ));
    }

    let order = topological(reader, roles, &inherits)?;

    // Parents before children: each role's closure is its own plus its parents'.
    let mut includes: Vec<Bits> = vec![Bits::new(roles.len()); roles.len()];
    let mut grants: Vec<Bits> = vec![Bits::new(permissions.len()); roles.len()];
    for &role in &order {
        let mut role_includes = Bits::new(roles.len());
        let mut role_grants = Bits::new(permissions.len());
        role_includes.set(role);
        for &permission in own.get(role)? {
            role_grants.set(permission);
        }
        for &parent in inherits.get(role)? {
            role_includes.union_with(includes.get(parent)?);
            role_grants.union_with(grants.get(parent)?);
        }
        *includes.get_mut(role)? = role_includes;
        *grants.get_mut(role)? = role_grants;
    }

    let roles = roles
        .iter()
        .zip(inherits)
        .zip(includes.into_iter().zip(grants))
        .map(|((role, inherits), (includes, grants))| RoleEntry {
            name: Box::from(role.name.name.as_str()),
            description: role.description.as_deref().map(Box::from),
            line: reader.line(role.name.span.start),
            inherits,
            includes,
            grants,
        })
        .collect();
    let permissions = permissions
        .iter()
        .map(|p| PermissionEntry {
            name: Box::from(p.name.name.as_str()),
            description: Box::from(p.description.as_str()),
            line: reader.line(p.name.span.start),
        })
        .collect();
    Some(Inner {
        file: reader.file.clone(),
        roles,
        role_index,
        permissions,
        permission_index,
    })
}

/// The indices of the names a role lists, each once; a problem for each unknown
/// or repeated one.
fn references<'k, K: Iterator<Item = &'k str>>(
    reader: &mut Reader<'_>,
    listed: &[Named],
    index: &HashMap<Box<str>, usize, RandomState>,
    known: impl Fn() -> K,
    unknown: impl Fn(String, Option<String>) -> ProblemKind,
    repeated: impl Fn(String, usize) -> ProblemKind,
) -> Vec<usize> {
    let mut found: Vec<(usize, &Named)> = Vec::new();
    for named in listed {
        let Some(&i) = index.get(named.name.as_str()) else {
            let suggestion = nearest(&named.name, known());
            reader.problem(named.span.start, unknown(named.name.clone(), suggestion));
            continue;
        };
        if let Some((_, first)) = found.iter().find(|(seen, _)| *seen == i) {
            let first_line = reader.line(first.span.start);
            reader.problem(named.span.start, repeated(named.name.clone(), first_line));
            continue;
        }
        found.push((i, named));
    }
    found.into_iter().map(|(i, _)| i).collect()
}

/// The roles, every role after all it inherits; `None` (with a problem per cycle)
/// when inheritance goes round.
fn topological(
    reader: &mut Reader<'_>,
    roles: &[DraftRole],
    inherits: &[Vec<usize>],
) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks = vec![Mark::New; roles.len()];
    let mut order = Vec::with_capacity(roles.len());
    let mut cyclic = false;
    // Iterative depth-first search: a file of a million roles in a chain must not
    // overflow the stack. Each frame is a role and how many parents it has visited.
    for start in 0..roles.len() {
        if marks.get(start) != Some(&Mark::New) {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        if let Some(mark) = marks.get_mut(start) {
            *mark = Mark::Open;
        }
        while let Some(&mut (role, ref mut next)) = stack.last_mut() {
            let parents = inherits.get(role).map_or(&[][..], Vec::as_slice);
            if let Some(&parent) = parents.get(*next) {
                *next += 1;
                match marks.get(parent).copied() {
                    Some(Mark::New) => {
                        if let Some(mark) = marks.get_mut(parent) {
                            *mark = Mark::Open;
                        }
                        stack.push((parent, 0));
                    }
                    Some(Mark::Open) => {
                        cyclic = true;
                        report_cycle(reader, roles, &stack, parent);
                    }
                    _ => {}
                }
            } else {
                stack.pop();
                if let Some(mark) = marks.get_mut(role) {
                    *mark = Mark::Done;
                }
                order.push(role);
            }
        }
    }
    (!cyclic).then_some(order)
}

/// A cycle closes at `parent`, already on the `stack`: report it once, at the
/// `inherits` entry that closes it.
fn report_cycle(
    reader: &mut Reader<'_>,
    roles: &[DraftRole],
    stack: &[(usize, usize)],
    parent: usize,
) {
    let Some(from) = stack.iter().position(|&(role, _)| role == parent) else {
        return;
    };
    let name = |i: usize| {
        roles
            .get(i)
            .map_or_else(String::new, |r| r.name.name.clone())
    };
    // Written the way the file reads: each role inherits the next.
    let mut cycle: Vec<String> = stack
        .get(from..)
        .unwrap_or_default()
        .iter()
        .map(|&(role, _)| name(role))
        .collect();
    cycle.push(name(parent));
    let Some(&(last, _)) = stack.last() else {
        return;
    };
    let closing = roles
        .get(last)
        .and_then(|role| role.inherits.iter().find(|n| n.name == name(parent)))
        .map_or(0, |named| named.span.start);
    reader.problem(closing, ProblemKind::Cycle { cycle });
}

/// The known name nearest `name`, if it is close enough to be a typo.
fn nearest<'k>(name: &str, known: impl Iterator<Item = &'k str>) -> Option<String> {
    known
        .map(|k| (distance(name, k), k))
        .filter(|&(d, k)| d > 0 && d <= 2.max(k.len() / 4))
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k.to_owned())
}

/// Levenshtein distance, with a swap of two neighbours counting one
/// (`orders.raed` is one away from `orders.read`).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(MAX_NAME + 1).collect();
    let b: Vec<char> = b.chars().take(MAX_NAME + 1).collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    let at = |i: usize, j: usize| i * width + j;
    for i in 0..=a.len() {
        if let Some(cell) = d.get_mut(at(i, 0)) {
            *cell = i;
        }
    }
    for j in 0..=b.len() {
        if let Some(cell) = d.get_mut(j) {
            *cell = j;
        }
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let get = |i: usize, j: usize| d.get(at(i, j)).copied().unwrap_or(usize::MAX / 2);
            let cost = usize::from(a.get(i - 1) != b.get(j - 1));
            let mut best = (get(i - 1, j) + 1)
                .min(get(i, j - 1) + 1)
                .min(get(i - 1, j - 1) + cost);
            if i > 1 && j > 1 && a.get(i - 1) == b.get(j - 2) && a.get(i - 2) == b.get(j - 1) {
                best = best.min(get(i - 2, j - 2) + 1);
            }
            if let Some(cell) = d.get_mut(at(i, j)) {
                *cell = best;
            }
        }
    }
    d.last().copied().unwrap_or(0)
}
