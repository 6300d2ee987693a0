//! The synchronizer CSRF token: made at login and rotation, kept with the session,
//! required in `X-CSRF-Token` on every unsafe request, compared in constant time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::HeaderName;
use http::request::Parts;
use subtle::ConstantTimeEq as _;

use super::id::random;
use crate::AuthError;

/// The request header the CSRF token is read from: `X-CSRF-Token`.
pub const CSRF_HEADER: HeaderName = HeaderName::from_static("x-csrf-token");

/// A fresh token: 256 random bits, unpadded base64url.
pub(crate) fn new_token() -> Result<String, AuthError> {
    Ok(URL_SAFE_NO_PAD.encode(random::<32>()?))
}

/// Why the CSRF token of a request was refused: the audit reason of its 403.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CsrfRefusal {
    Missing,
    Twice,
    Wrong,
}

impl CsrfRefusal {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            CsrfRefusal::Missing => {
                "csrf token refused: missing token (no `X-CSRF-Token` header on an unsafe method)"
            }
            CsrfRefusal::Twice => "csrf token refused: two `X-CSRF-Token` headers",
            CsrfRefusal::Wrong => {
                "csrf token refused: wrong token (`X-CSRF-Token` is not the session's token)"
            }
        }
    }
}

/// Checks `request` against the session's `expected` token: a safe method
/// (`GET`, `HEAD`, `OPTIONS`, `TRACE`) needs none; any other needs exactly one
/// `X-CSRF-Token` header equal to it, compared in constant time.
pub(crate) fn check(request: &Parts, expected: &str) -> Result<(), CsrfRefusal> {
    if request.method.is_safe() {
        return Ok(());
    }
    let mut values = request.headers.get_all(CSRF_HEADER).iter();
    let sent = values.next().ok_or(CsrfRefusal::Missing)?;
    if values.next().is_some() {
        return Err(CsrfRefusal::Twice);
    }
    // Lengths are public (every token has 43 characters); the bytes are compared
    // without an early exit.
    if bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) && !expected.is_empty() {
        Ok(())
    } else {
        Err(CsrfRefusal::Wrong)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn request(method: &str, tokens: &[&str]) -> Parts {
        let mut builder = http::Request::builder().method(method).uri("/");
        for token in tokens {
            builder = builder.header("x-csrf-token", *token);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn tokens_are_random_and_43_characters() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }

    #[test]
    fn safe_methods_need_no_token_and_unsafe_ones_the_right_one() {
        let token = new_token().unwrap();
        for method in ["GET", "HEAD", "OPTIONS", "TRACE"] {
            assert_eq!(check(&request(method, &[]), &token), Ok(()));
        }
        for method in ["POST", "PUT", "PATCH", "DELETE", "PURGE"] {
            assert_eq!(check(&request(method, &[&token]), &token), Ok(()));
            assert_eq!(
                check(&request(method, &[]), &token),
                Err(CsrfRefusal::Missing)
            );
            assert_eq!(
                check(&request(method, &[&token[..42]]), &token),
                Err(CsrfRefusal::Wrong)
            );
            assert_eq!(
                check(&request(method, &[&new_token().unwrap()]), &token),
                Err(CsrfRefusal::Wrong)
            );
            assert_eq!(
                check(&request(method, &[""]), &token),
                Err(CsrfRefusal::Wrong)
            );
            assert_eq!(
                check(&request(method, &[&token, &token]), &token),
                Err(CsrfRefusal::Twice)
            );
        }
        // An empty expected token (a corrupt record) matches nothing.
        assert_eq!(check(&request("POST", &[""]), ""), Err(CsrfRefusal::Wrong));
    }
}
