//! Building one enforcer snapshot: the model checked, the policy read line by
//! line with its errors located, the enforcer built off the hot path.

use std::panic::AssertUnwindSafe;

use casbin::{CoreApi, DefaultModel, Enforcer, Model, NullAdapter};

use super::CasbinError;
use super::list::ListShape;

/// The request tokens this module fills, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token {
    Sub,
    Dom,
    Obj,
    Act,
}

impl Token {
    fn parse(name: &str) -> Option<Token> {
        match name {
            "sub" => Some(Token::Sub),
            "dom" => Some(Token::Dom),
            "obj" => Some(Token::Obj),
            "act" => Some(Token::Act),
            _ => None,
        }
    }
}

/// One loaded model and policy: what every decision reads, never changed once
/// built (a reload builds another).
pub(super) struct Snapshot {
    pub(super) enforcer: Enforcer,
    /// The request definition `r`, in order.
    pub(super) request: Vec<Token>,
    /// How lists are answered, or why they cannot be.
    pub(super) lists: Result<ListShape, String>,
    /// 1 for the first load, then one more per reload.
    pub(super) generation: u64,
    /// The model's and the policy's text, for a file source: what the watcher
    /// compares the files with.
    pub(super) files: Option<(String, String)>,
    /// The names `g` rules give roles (their second field): a principal whose
    /// subject is one of them would hold that role.
    pub(super) roles: std::collections::HashSet<String>,
}

/// The role names of `model`'s `g` rules.
pub(super) fn role_names(model: &DefaultModel) -> std::collections::HashSet<String> {
    model
        .get_model()
        .get("g")
        .into_iter()
        .flat_map(|g| g.values())
        .flat_map(|assertion| assertion.policy.iter())
        .filter_map(|rule| rule.get(1).cloned())
        .collect()
}

/// The effects casbin's default effector knows; any other panics inside casbin
/// at the first decision, so it is refused at load.
const EFFECTS: [&str; 4] = [
    "some(where (p_eft == allow))",
    "!some(where (p_eft == deny))",
    "some(where (p_eft == allow)) && !some(where (p_eft == deny))",
    "priority(p_eft) || deny",
];

/// The model, parsed and checked.
pub(super) async fn model(text: &str, file: &str) -> Result<DefaultModel, CasbinError> {
    let error = |message: String| CasbinError::Model {
        file: file.to_owned(),
        message,
    };
    let model = DefaultModel::from_str(text)
        .await
        .map_err(|e| error(lowercase(&e.to_string())))?;
    let sections = model.get_model();
    for (key, name) in [
        ("r", "[request_definition] with `r = sub, obj, act`"),
        ("p", "[policy_definition] with `p = sub, obj, act`"),
        (
            "e",
            "[policy_effect] with `e = some(where (p.eft == allow))`",
        ),
        ("m", "[matchers] with `m = ..`"),
    ] {
        if sections.get(key).and_then(|s| s.get(key)).is_none() {
            return Err(error(format!("no `{key}` definition: write a {name}")));
        }
    }
    request_tokens(&model).map_err(error)?;
    if let Some(effect) = sections.get("e").and_then(|s| s.get("e"))
        && !EFFECTS.contains(&effect.value.as_str())
    {
        return Err(error(format!(
            "unsupported policy effect `{}`: write one of `some(where (p.eft == allow))`, `!some(where (p.eft == deny))`, `some(where (p.eft == allow)) && !some(where (p.eft == deny))` or `priority(p.eft) || deny`",
            effect.value.replace("p_eft", "p.eft")
        )));
    }
    if let Some(roles) = sections.get("g") {
        for (key, role) in roles {
            let arity = role.value.matches('_').count();
            if arity != 2 && arity != 3 {
                return Err(error(format!(
                    "role definition `{key} = {}`: write `{key} = _, _` (roles) or `{key} = _, _, _` (roles within a domain)",
                    role.value
                )));
            }
        }
    }
    Ok(model)
}

/// The request definition's tokens, each one this module fills.
pub(super) fn request_tokens(model: &DefaultModel) -> Result<Vec<Token>, String> {
    let Some(r) = model.get_model().get("r").and_then(|s| s.get("r")) else {
        return Err(
            "no `r` definition: write `[request_definition]` with `r = sub, obj, act`".to_owned(),
        );
    };
    let mut tokens = Vec::with_capacity(r.tokens.len());
    for token in &r.tokens {
        let name = token.strip_prefix("r_").unwrap_or(token);
        let Some(parsed) = Token::parse(name) else {
            return Err(format!(
                "request definition `r = {}`: `{name}` is not filled by auth-core; write `r = sub, obj, act` or `r = sub, dom, obj, act`",
                r.value
            ));
        };
        if tokens.contains(&parsed) {
            return Err(format!(
                "request definition `r = {}`: `{name}` twice",
                r.value
            ));
        }
        tokens.push(parsed);
    }
    for needed in [Token::Sub, Token::Obj, Token::Act] {
        if !tokens.contains(&needed) {
            return Err(format!(
                "request definition `r = {}` lacks `{}`: write `r = sub, obj, act` or `r = sub, dom, obj, act`",
                r.value,
                match needed {
                    Token::Sub => "sub",
                    Token::Obj => "obj",
                    Token::Act | Token::Dom => "act",
                }
            ));
        }
    }
    Ok(tokens)
}

/// How many fields a rule of `ptype` has in this model, if the model has it.
fn arity(model: &DefaultModel, ptype: &str) -> Option<usize> {
    let section = ptype.get(..1)?;
    let assertion = model.get_model().get(section)?.get(ptype)?;
    match section {
        "p" => Some(assertion.tokens.len()),
        "g" => Some(assertion.value.matches('_').count()),
        _ => None,
    }
}

/// The policy text, read into `model` line by line: every line a rule the model
/// has, with as many fields as its definition, none empty.
pub(super) fn policy_text(
    model: &mut DefaultModel,
    text: &str,
    file: &str,
) -> Result<(), CasbinError> {
    for (index, line) in text.lines().enumerate() {
        let error = |message: String| CasbinError::Policy {
            file: file.to_owned(),
            line: index + 1,
            message,
        };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields = split_csv(line).map_err(error)?;
        let Some((ptype, rule)) = fields.split_first() else {
            continue;
        };
        let Some(expected) = arity(model, ptype) else {
            return Err(error(format!(
                "`{ptype}` is not defined by the model: a line starts with a policy type the model defines (`p`, or `g` for roles)"
            )));
        };
        check_rule(ptype, rule, expected).map_err(error)?;
        let section = if ptype.starts_with('g') { "g" } else { "p" };
        model.add_policy(section, ptype, rule.to_vec());
    }
    Ok(())
}

/// The rules an adapter loaded, checked as a file's are.
pub(super) fn check_loaded(model: &DefaultModel) -> Result<(), CasbinError> {
    for section in ["p", "g"] {
        let Some(assertions) = model.get_model().get(section) else {
            continue;
        };
        for (ptype, assertion) in assertions {
            let Some(expected) = arity(model, ptype) else {
                continue;
            };
            for rule in &assertion.policy {
                check_rule(ptype, rule, expected).map_err(|message| CasbinError::Adapter {
                    message: format!("rule `{ptype}, {}`: {message}", rule.join(", ")),
                })?;
            }
        }
    }
    Ok(())
}

fn check_rule(ptype: &str, rule: &[String], expected: usize) -> Result<(), String> {
    if rule.len() != expected {
        return Err(format!(
            "`{ptype}` rules have {expected} fields after the type, this one has {}",
            rule.len()
        ));
    }
    if let Some(position) = rule.iter().position(String::is_empty) {
        return Err(format!(
            "field {} of the `{ptype}` rule is empty: write a value (an empty field matches only an empty request value, which auth-core never sends)",
            position + 1
        ));
    }
    Ok(())
}

/// One line's fields: comma-separated, trimmed, a field in double quotes may
/// hold commas (casbin's CSV).
fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut rest = line;
    loop {
        let trimmed = rest.trim_start();
        if let Some(quoted) = trimmed.strip_prefix('"') {
            let Some(end) = quoted.find('"') else {
                return Err("a quoted field is not closed: end it with `\"`".to_owned());
            };
            fields.push(quoted.get(..end).unwrap_or_default().to_owned());
            let after = quoted.get(end + 1..).unwrap_or_default().trim_start();
            if after.is_empty() {
                return Ok(fields);
            }
            let Some(next) = after.strip_prefix(',') else {
                return Err("text after a quoted field: separate fields with `,`".to_owned());
            };
            rest = next;
        } else {
            let Some(comma) = trimmed.find(',') else {
                fields.push(trimmed.trim().to_owned());
                return Ok(fields);
            };
            fields.push(trimmed.get(..comma).unwrap_or_default().trim().to_owned());
            rest = trimmed.get(comma + 1..).unwrap_or_default();
        }
    }
}

/// How many `p` rules the model holds.
pub(super) fn rules(model: &DefaultModel) -> usize {
    model
        .get_model()
        .get("p")
        .map_or(0, |p| p.values().map(|a| a.policy.len()).sum())
}

/// The enforcer over `model`, its role links built, and one probe decision, so
/// that a matcher that cannot be evaluated fails the load, not a request.
pub(super) async fn enforcer(
    model: DefaultModel,
    request: &[Token],
    file: &str,
) -> Result<Enforcer, CasbinError> {
    let error = |message: String| CasbinError::Model {
        file: file.to_owned(),
        message,
    };
    // A `NullAdapter`: the snapshot can never write the policy back anywhere.
    let mut enforcer = Enforcer::new_raw(model, NullAdapter)
        .await
        .map_err(|e| error(lowercase(&e.to_string())))?;
    // casbin's default logger (required by `explain`) runs a thread per enforcer;
    // it is replaced here, on the reload path, and logs nothing.
    enforcer.set_logger(Box::new(Silent));
    enforcer
        .build_role_links()
        .map_err(|e| error(lowercase(&e.to_string())))?;
    // Probes: a request no rule names, and the first rule's own values (so
    // that the matcher is evaluated past its equalities). A matcher error on
    // another path still fails closed, as a 503, at the request that meets it.
    let mut probes = vec![
        request
            .iter()
            .map(|_| "\u{0}probe".to_owned())
            .collect::<Vec<_>>(),
    ];
    if let Some(first) = first_rule(&enforcer, request) {
        probes.push(first);
    }
    for probe in probes {
        match std::panic::catch_unwind(AssertUnwindSafe(|| {
            casbin::CoreApi::enforce_ex(&enforcer, probe)
        })) {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                return Err(error(format!(
                    "the matcher cannot be evaluated: {}",
                    lowercase(&e.to_string())
                )));
            }
            Err(_) => return Err(error("the matcher panicked when evaluated".to_owned())),
        }
    }
    Ok(enforcer)
}

/// The first `p` rule as a request: each request field from the rule's field
/// of the same name.
fn first_rule(enforcer: &Enforcer, request: &[Token]) -> Option<Vec<String>> {
    let p = enforcer.get_model().get_model().get("p")?.get("p")?;
    let rule = p.policy.iter().next()?;
    request
        .iter()
        .map(|token| {
            let name = match token {
                Token::Sub => "p_sub",
                Token::Dom => "p_dom",
                Token::Obj => "p_obj",
                Token::Act => "p_act",
            };
            let at = p.tokens.iter().position(|t| t == name)?;
            rule.get(at).cloned()
        })
        .collect()
}

/// casbin's messages start with a capital; ours do not.
pub(super) fn lowercase(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A logger that logs nothing: decisions are audited by auth-core.
struct Silent;

impl casbin::Logger for Silent {
    fn enable_log(&mut self, _: bool) {}
    fn is_enabled(&self) -> bool {
        false
    }
    fn print_enforce_log(&self, _: Vec<String>, _: bool, _: bool) {}
    fn print_mgmt_log(&self, _: &casbin::EventData) {}
    fn print_explain_log(&self, _: Vec<String>) {}
    fn print_status_log(&self, _: bool) {}
}

#[cfg(test)]
mod tests {
    use super::split_csv;

    #[test]
    fn csv_fields_are_trimmed_and_quotes_hold_commas() {
        assert_eq!(
            split_csv("p, alice , \"a, b\", read"),
            Ok(vec![
                "p".into(),
                "alice".into(),
                "a, b".into(),
                "read".into()
            ])
        );
        assert!(split_csv("p, \"open").is_err());
        assert!(split_csv("p, \"a\" b").is_err());
        assert_eq!(
            split_csv("p,,x"),
            Ok(vec!["p".into(), String::new(), "x".into()])
        );
    }
}
