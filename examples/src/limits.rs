//! The bounds on what a client may send and ask for: request body size, page
//! size, orders per user (configurable), and field lengths (part of the API, so
//! constants).
//!
//! Without them one client fills the database and the memory of every later
//! listing: 100 orders of 2 MB each make `GET /orders` a 200 MB answer.

use crate::config::ConfigError;

/// The longest `item` of an order, in characters.
pub const MAX_ITEM_CHARS: usize = 200;
/// The largest `amount` of an order, in cents (one million).
pub const MAX_AMOUNT_CENTS: i64 = 100_000_000;
/// The longest sign-in email, in bytes (RFC 5321's limit on a path).
pub const MAX_EMAIL_BYTES: usize = 254;
/// The longest password, in bytes. Argon2 accepts any length; this bounds the
/// work and the memory of a login.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// The longest requested `scope`, in bytes.
pub const MAX_SCOPE_BYTES: usize = 256;
/// The longest refresh token, in bytes (the service's are far shorter).
pub const MAX_REFRESH_TOKEN_BYTES: usize = 512;
/// The page size of a listing without `limit`, unless the maximum is lower.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// The configurable limits, with secure defaults ([`Limits::default`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `ORDERS_API_MAX_BODY_BYTES`, default 16384 (16 KiB), 1024 to 1048576: a
    /// larger request body is refused with 413 before it is parsed.
    pub max_body_bytes: usize,
    /// `ORDERS_API_MAX_PAGE_SIZE`, default 100, 1 to 1000: the largest `limit` a
    /// listing accepts.
    pub max_page_size: u32,
    /// `ORDERS_API_MAX_ORDERS_PER_USER`, default 1000, 1 to 1000000: one more
    /// order is refused with 409.
    pub max_orders_per_user: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 * 1024,
            max_page_size: 100,
            max_orders_per_user: 1000,
        }
    }
}

impl Limits {
    /// Reads the limits through `lookup`; an unset variable keeps its default.
    ///
    /// # Errors
    /// The first variable that is not a number in its range.
    pub fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Limits, ConfigError> {
        let defaults = Limits::default();
        Ok(Limits {
            max_body_bytes: number(
                lookup,
                "ORDERS_API_MAX_BODY_BYTES",
                1024..=1024 * 1024,
                defaults.max_body_bytes,
            )?,
            max_page_size: number(
                lookup,
                "ORDERS_API_MAX_PAGE_SIZE",
                1..=1000,
                defaults.max_page_size,
            )?,
            max_orders_per_user: number(
                lookup,
                "ORDERS_API_MAX_ORDERS_PER_USER",
                1..=1_000_000,
                defaults.max_orders_per_user,
            )?,
        })
    }

    /// The page size of a listing that names no `limit`.
    pub fn default_page_size(&self) -> u32 {
        DEFAULT_PAGE_SIZE.min(self.max_page_size)
    }
}

fn number<N>(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    range: std::ops::RangeInclusive<N>,
    default: N,
) -> Result<N, ConfigError>
where
    N: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    let Some(text) = lookup(variable) else {
        return Ok(default);
    };
    match text.trim().parse::<N>() {
        Ok(value) if range.contains(&value) => Ok(value),
        _ => Err(ConfigError {
            variable,
            problem: format!(
                "expected a number from {} to {}, found {text:?}",
                range.start(),
                range.end()
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_variables_keep_the_defaults() {
        assert_eq!(Limits::from_lookup(&|_| None).ok(), Some(Limits::default()));
    }

    #[test]
    fn a_value_out_of_range_names_its_variable() {
        let error = Limits::from_lookup(&|name| {
            (name == "ORDERS_API_MAX_PAGE_SIZE").then(|| "0".to_owned())
        })
        .err();
        assert_eq!(
            error.map(|e| e.to_string()),
            Some(
                "ORDERS_API_MAX_PAGE_SIZE: expected a number from 1 to 1000, found \"0\""
                    .to_owned()
            )
        );
    }

    #[test]
    fn the_default_page_never_exceeds_the_maximum() {
        let limits = Limits {
            max_page_size: 10,
            ..Limits::default()
        };
        assert_eq!(limits.default_page_size(), 10);
        assert_eq!(Limits::default().default_page_size(), DEFAULT_PAGE_SIZE);
    }
}
