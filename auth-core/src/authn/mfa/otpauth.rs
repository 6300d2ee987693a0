//! The `otpauth://` URI authenticator apps import (Google's Key URI format).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::TotpSecret;
use super::totp::{DIGITS, PERIOD};

/// Everything but RFC 3986's unreserved characters is percent-encoded, `:` and
/// `@` included, so neither the issuer nor the label can end the label early.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The longest account label accepted, in bytes.
pub(crate) const MAX_LABEL: usize = 256;

/// Whether `text` can be an issuer or account label: not empty, at most
/// [`MAX_LABEL`] bytes, no `:` (the label's separator, which some apps split on
/// even percent-encoded) and no control characters.
pub(crate) fn is_valid_label(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_LABEL && !text.chars().any(|c| c == ':' || c.is_control())
}

/// `otpauth://totp/{issuer}:{label}?secret=..&issuer=..&algorithm=SHA1&digits=6&period=30`.
///
/// The parameters are written out even at their defaults, for apps that do not
/// assume them.
pub(crate) fn uri(issuer: &str, label: &str, secret: &TotpSecret) -> String {
    let issuer = utf8_percent_encode(issuer, COMPONENT);
    let label = utf8_percent_encode(label, COMPONENT);
    format!(
        "otpauth://totp/{issuer}:{label}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={PERIOD}",
        secret.to_base32()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uri_is_exactly_the_key_uri_format() {
        let secret = TotpSecret::from_bytes(*b"12345678901234567890");
        assert_eq!(
            uri("ACME Co", "alice@example.com", &secret),
            "otpauth://totp/ACME%20Co:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(
            uri("Orders", "a&b=c?d/é", &secret),
            "otpauth://totp/Orders:a%26b%3Dc%3Fd%2F%C3%A9?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Orders&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn labels_without_separators_or_controls() {
        assert!(is_valid_label("alice@example.com"));
        assert!(is_valid_label("Ünïcode ok"));
        for bad in ["", "a:b", "a\nb", "a\0"] {
            assert!(!is_valid_label(bad), "{bad:?}");
        }
        assert!(is_valid_label(&"a".repeat(MAX_LABEL)));
        assert!(!is_valid_label(&"a".repeat(MAX_LABEL + 1)));
    }
}
