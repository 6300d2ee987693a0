//! Reading one named cookie out of a request's `Cookie` headers (RFC 6265 §5.4),
//! shared by every credential that travels in a cookie (a JWT, a session id) and
//! by a chain's test of which credentials a request carries.
//!
//! Written here rather than with a cookie crate: finding one name in a header is
//! the whole need, and a crate would bring percent-decoding and a jar that a
//! credential must not have (the value is compared byte for byte).

use http::HeaderMap;
use http::header::COOKIE;

/// The cookie was sent twice (in one `Cookie` header or across several).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DuplicateCookie;

/// The value of the cookie `name` across every `Cookie` header: `None` when it is
/// absent, [`DuplicateCookie`] when it appears twice. Pairs are split on `;` and
/// trimmed of ASCII whitespace; a pair without `=` is skipped; names compare
/// exactly (case-sensitive); a value in double quotes (RFC 6265 allows them) is
/// returned without them. The bytes need not be UTF-8.
pub(crate) fn find<'r>(
    headers: &'r HeaderMap,
    name: &str,
) -> Result<Option<&'r [u8]>, DuplicateCookie> {
    let mut found = None;
    for header in headers.get_all(COOKIE) {
        for pair in header.as_bytes().split(|&b| b == b';') {
            let pair = pair.trim_ascii();
            let Some(eq) = pair.iter().position(|&b| b == b'=') else {
                continue;
            };
            let (cookie_name, value) = (pair.get(..eq), pair.get(eq + 1..));
            if cookie_name != Some(name.as_bytes()) {
                continue;
            }
            if found.is_some() {
                return Err(DuplicateCookie);
            }
            let value = value.unwrap_or_default();
            let value = value
                .strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(value);
            found = Some(value);
        }
    }
    Ok(found)
}

/// Whether `name` is an RFC 6265 cookie name (an RFC 2616 token).
#[cfg_attr(
    not(any(feature = "jwt", feature = "session")),
    allow(dead_code, reason = "the cookie authenticators name their cookies")
)]
pub(crate) fn is_cookie_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}
