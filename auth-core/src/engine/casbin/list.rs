//! Lists: which objects a subject may act on, from casbin's implicit
//! permissions, for the model shapes whose matcher is exactly "these fields are
//! equal" (and roles); every other matcher is refused, never approximated.

use casbin::{DefaultModel, Model};

use super::load::Token;

/// A model whose matcher is a conjunction this module understands: the subject
/// (directly or through roles, within the domain), the domain, the object and
/// the action compared for equality, the object and the action optionally
/// matching a `*` rule, and an allow-only effect.
#[derive(Debug, Clone)]
pub(super) struct ListShape {
    /// Where `sub`, `dom`, `obj`, `act` are in a `p` rule.
    pub(super) p_sub: usize,
    pub(super) p_dom: Option<usize>,
    pub(super) p_obj: usize,
    pub(super) p_act: usize,
    /// Through `g(r.sub, p.sub[, r.dom])`.
    pub(super) roles: bool,
    /// `p.obj == "*"` matches every object.
    pub(super) any_object: bool,
    /// `p.act == "*"` matches every action.
    pub(super) any_action: bool,
}

const SHAPES: &str = "supported matchers are conjunctions of `g(r.sub, p.sub)` (or `g(r.sub, p.sub, r.dom)`) or `r.sub == p.sub`, `r.dom == p.dom` when the request has a domain, `r.obj == p.obj` (or `(r.obj == p.obj || p.obj == \"*\")`) and `r.act == p.act` (or `(r.act == p.act || p.act == \"*\")`), with the effect `some(where (p.eft == allow))`";

/// The list shape of `model`, or why it has none.
pub(super) fn shape(model: &DefaultModel, request: &[Token]) -> Result<ListShape, String> {
    let sections = model.get_model();
    let effect = sections
        .get("e")
        .and_then(|e| e.get("e"))
        .map(|e| e.value.as_str())
        .unwrap_or_default();
    if effect != "some(where (p_eft == allow))" {
        return Err(format!(
            "the effect `{}` is not allow-only; {SHAPES}",
            effect.replace("p_eft", "p.eft")
        ));
    }
    let p = sections
        .get("p")
        .and_then(|p| p.get("p"))
        .ok_or_else(|| "no `p` definition".to_owned())?;
    let position = |name: &str| p.tokens.iter().position(|t| t == &format!("p_{name}"));
    let has_dom = request.contains(&Token::Dom);
    let (Some(p_sub), Some(p_obj), Some(p_act)) =
        (position("sub"), position("obj"), position("act"))
    else {
        return Err(format!(
            "the policy definition `p = {}` lacks `sub`, `obj` or `act`; {SHAPES}",
            p.value
        ));
    };
    let p_dom = position("dom");
    if has_dom != p_dom.is_some() {
        return Err(format!(
            "the request and the policy definitions do not both have `dom`; {SHAPES}"
        ));
    }
    let g_arity = sections
        .get("g")
        .and_then(|g| g.get("g"))
        .map(|g| g.value.matches('_').count());
    let matcher: String = sections
        .get("m")
        .and_then(|m| m.get("m"))
        .map(|m| m.value.chars().filter(|c| !c.is_whitespace()).collect())
        .unwrap_or_default();

    let mut shape = ListShape {
        p_sub,
        p_dom,
        p_obj,
        p_act,
        roles: false,
        any_object: false,
        any_action: false,
    };
    let (mut sub, mut dom, mut obj, mut act) = (false, false, false, false);
    for clause in conjuncts(&matcher) {
        let seen = match clause {
            "g(r_sub,p_sub)" if g_arity == Some(2) && !has_dom => {
                shape.roles = true;
                &mut sub
            }
            "g(r_sub,p_sub,r_dom)" if g_arity == Some(3) && has_dom => {
                shape.roles = true;
                &mut sub
            }
            "r_sub==p_sub" | "p_sub==r_sub" => &mut sub,
            "r_dom==p_dom" | "p_dom==r_dom" if has_dom => &mut dom,
            "r_obj==p_obj" | "p_obj==r_obj" => &mut obj,
            "(r_obj==p_obj||p_obj==\"*\")" | "(p_obj==\"*\"||r_obj==p_obj)" => {
                shape.any_object = true;
                &mut obj
            }
            "r_act==p_act" | "p_act==r_act" => &mut act,
            "(r_act==p_act||p_act==\"*\")" | "(p_act==\"*\"||r_act==p_act)" => {
                shape.any_action = true;
                &mut act
            }
            other => {
                return Err(format!(
                    "the matcher's clause `{}` cannot be turned into a filter; {SHAPES}",
                    other.replace("r_", "r.").replace("p_", "p.")
                ));
            }
        };
        if std::mem::replace(seen, true) {
            return Err(format!(
                "the matcher compares the same field twice; {SHAPES}"
            ));
        }
    }
    if !(sub && obj && act && dom == has_dom) {
        return Err(format!(
            "the matcher does not compare every request field; {SHAPES}"
        ));
    }
    Ok(shape)
}

/// The top-level `&&` operands of a matcher without whitespace.
fn conjuncts(matcher: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start, mut quoted) = (0_i32, 0, false);
    let bytes = matcher.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'"') => quoted = !quoted,
            Some(b'(') if !quoted => depth += 1,
            Some(b')') if !quoted => depth -= 1,
            Some(b'&') if !quoted && depth == 0 && bytes.get(i + 1) == Some(&b'&') => {
                parts.push(matcher.get(start..i).unwrap_or_default());
                start = i + 2;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(matcher.get(start..).unwrap_or_default());
    parts
}

#[cfg(test)]
mod tests {
    use super::conjuncts;

    #[test]
    fn conjuncts_split_at_the_top_level_only() {
        assert_eq!(
            conjuncts("g(r_sub,p_sub)&&(r_obj==p_obj||p_obj==\"&&\")&&r_act==p_act"),
            [
                "g(r_sub,p_sub)",
                "(r_obj==p_obj||p_obj==\"&&\")",
                "r_act==p_act"
            ]
        );
    }
}
