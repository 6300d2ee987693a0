//! What a well-formed request body is, beyond its JSON shape: field lengths and
//! ranges ([`crate::limits`]).
//!
//! The JSON extractor ([`crate::extract::Json`]) runs [`Validate`] on every body
//! before a handler sees it, so no handler can forget. A refusal is a 400
//! `invalid_request` whose description names the field and the rule, never the
//! value.

use crate::domain::NewOrder;
use crate::error::ApiError;
use crate::limits::{
    MAX_AMOUNT_CENTS, MAX_EMAIL_BYTES, MAX_ITEM_CHARS, MAX_PASSWORD_BYTES, MAX_REFRESH_TOKEN_BYTES,
    MAX_SCOPE_BYTES,
};
use crate::service::{
    ApiKeyRequest, CodeRequest, LoginRequest, MAX_ROLES_PER_USER, RefreshRequest, RolesRequest,
    SessionRequest,
};

/// A request body that checks its own fields.
pub trait Validate {
    /// Checks the fields.
    ///
    /// # Errors
    /// [`ApiError::BadRequest`] naming the first field that breaks its rule.
    fn validate(&self) -> Result<(), ApiError>;
}

/// Refuses with `reason` unless `ok`.
/// A character that does not show as itself: a control character, or an
/// invisible formatting one that can disguise text in an admin's view (bidi
/// overrides and isolates such as U+202E, zero-width characters, the BOM).
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

fn require(ok: bool, reason: &'static str) -> Result<(), ApiError> {
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadRequest(reason))
    }
}

impl Validate for NewOrder {
    fn validate(&self) -> Result<(), ApiError> {
        // Counting stops one past the limit: a long item costs no more to refuse.
        let chars = self.item.chars().take(MAX_ITEM_CHARS + 1).count();
        require(
            !self.item.trim().is_empty()
                && chars <= MAX_ITEM_CHARS
                && !self.item.chars().any(is_hidden),
            "item must be 1 to 200 characters, without control or invisible formatting characters",
        )?;
        require(
            (1..=MAX_AMOUNT_CENTS).contains(&self.amount),
            "amount must be a positive number of cents, at most 100000000",
        )
    }
}

impl Validate for LoginRequest {
    fn validate(&self) -> Result<(), ApiError> {
        require(
            !self.email.is_empty() && self.email.len() <= MAX_EMAIL_BYTES,
            "email must be 1 to 254 bytes",
        )?;
        require(
            !self.password.is_empty() && self.password.len() <= MAX_PASSWORD_BYTES,
            "password must be 1 to 1024 bytes",
        )?;
        require(
            self.scope
                .as_ref()
                .is_none_or(|s| s.len() <= MAX_SCOPE_BYTES),
            "scope must be at most 256 bytes",
        )
    }
}

impl Validate for RefreshRequest {
    fn validate(&self) -> Result<(), ApiError> {
        require(
            !self.refresh_token.is_empty() && self.refresh_token.len() <= MAX_REFRESH_TOKEN_BYTES,
            "refresh_token must be 1 to 512 bytes",
        )
    }
}

impl Validate for RolesRequest {
    fn validate(&self) -> Result<(), ApiError> {
        // Each at most once, and short: the service then checks each against
        // the roles file (`Service::set_roles`).
        let known = self.roles.iter().all(|r| !r.is_empty() && r.len() <= 100);
        let distinct = self
            .roles
            .iter()
            .enumerate()
            .all(|(i, r)| !self.roles.iter().take(i).any(|earlier| earlier == r));
        require(
            !self.roles.is_empty() && self.roles.len() <= MAX_ROLES_PER_USER && known && distinct,
            "roles must be a non-empty list of at most 16 distinct role names",
        )
    }
}

impl Validate for SessionRequest {
    fn validate(&self) -> Result<(), ApiError> {
        require(
            !self.email.is_empty() && self.email.len() <= MAX_EMAIL_BYTES,
            "email must be 1 to 254 bytes",
        )?;
        require(
            !self.password.is_empty() && self.password.len() <= MAX_PASSWORD_BYTES,
            "password must be 1 to 1024 bytes",
        )
    }
}

impl Validate for ApiKeyRequest {
    /// The name and scopes are checked by `ApiKeys::create`, which says which
    /// rule failed; here only the sizes, so a huge list costs nothing.
    fn validate(&self) -> Result<(), ApiError> {
        require(
            self.name.len() <= 400 && self.scopes.len() <= 16,
            "name must be at most 100 characters and scopes at most 16",
        )?;
        require(
            self.scopes.iter().all(|scope| scope.len() <= 64),
            "a scope is at most 64 bytes",
        )
    }
}

impl Validate for CodeRequest {
    /// Six digits; anything else is still counted as a failed attempt by the
    /// factor, so it is passed on unless it is too long to be worth reading.
    fn validate(&self) -> Result<(), ApiError> {
        require(self.code.len() <= 16, "code must be at most 16 bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(item: &str, amount: i64) -> NewOrder {
        NewOrder {
            item: item.to_owned(),
            amount,
        }
    }

    #[test]
    fn an_item_has_no_invisible_formatting_characters() {
        for hidden in [
            "pay\u{202E}lanif",
            "a\u{200B}b",
            "\u{FEFF}x",
            "x\u{2066}y",
            "tab\there",
        ] {
            assert!(order(hidden, 1).validate().is_err(), "{hidden:?}");
        }
        assert!(order("Café ☕ 注文", 1).validate().is_ok());
    }

    #[test]
    fn an_item_is_bounded_in_characters_not_bytes() {
        assert!(order(&"é".repeat(MAX_ITEM_CHARS), 1).validate().is_ok());
        assert!(
            order(&"a".repeat(MAX_ITEM_CHARS + 1), 1)
                .validate()
                .is_err()
        );
        assert!(order(" ", 1).validate().is_err());
        assert!(order("mug\u{1b}[2J", 1).validate().is_err());
    }

    #[test]
    fn an_amount_is_positive_and_bounded() {
        assert!(order("mug", 0).validate().is_err());
        assert!(order("mug", MAX_AMOUNT_CENTS).validate().is_ok());
        assert!(order("mug", MAX_AMOUNT_CENTS + 1).validate().is_err());
    }

    #[test]
    fn roles_are_distinct_and_few() {
        let roles = |list: &[&str]| RolesRequest {
            roles: list.iter().map(|r| (*r).to_owned()).collect(),
        };
        assert!(roles(&["customer", "admin"]).validate().is_ok());
        assert!(roles(&[]).validate().is_err());
        assert!(roles(&["admin", "admin"]).validate().is_err());
        assert!(roles(&[""]).validate().is_err());
        assert!(roles(&[&"r".repeat(101)]).validate().is_err());
        let many: Vec<String> = (0..=MAX_ROLES_PER_USER).map(|i| format!("r{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(roles(&many).validate().is_err());
        // Whether a role exists is the roles file's to say: `Service::set_roles`.
        assert!(roles(&["root"]).validate().is_ok());
    }
}
