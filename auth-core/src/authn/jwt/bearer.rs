//! Where a bearer token is read from: the `Authorization` header (RFC 6750 §2.1) or,
//! when configured, one named cookie. Never the URL query (RFC 6750 §2.3 and ASVS
//! 3.1.1: URLs end up in logs, history and `Referer` headers).
//!
//! A token from the cookie is sent by the browser on its own, also to requests
//! another site makes it send; [`CookieSource::admit`] runs the cross-site check
//! on those ([`crate::authn::cross_site`]).

use http::header::AUTHORIZATION;
use http::request::Parts;

use crate::authn::cookie_header::{self, DuplicateCookie};
use crate::authn::cross_site::CrossSiteCheck;
use crate::{AuthError, TokenError};

const TWO_AUTHORIZATION_HEADERS: &str = "send one `Authorization` header";
const TWO_TOKEN_COOKIES: &str = "send the access token cookie once";
const HEADER_AND_COOKIE: &str =
    "send the access token once: in the `Authorization` header or in the cookie, not both";

/// Where the authenticator looks for the token.
#[derive(Debug, Clone, Default)]
pub(crate) struct CredentialSource {
    pub(crate) cookie: Option<CookieSource>,
}

/// The cookie the token may come in, and what a request carrying it must show.
#[derive(Debug, Clone)]
pub(crate) struct CookieSource {
    pub(crate) name: String,
    pub(crate) cross_site: CrossSiteCheck,
}

/// Where the token of a request was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carrier {
    /// `Authorization: Bearer`: a page can only send it by reading it first.
    Header,
    /// The cookie: the browser sends it by itself, wherever the request comes from.
    Cookie,
}

/// A token found in a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Credential<'r> {
    pub(crate) token: &'r [u8],
    pub(crate) carrier: Carrier,
}

impl CredentialSource {
    /// The token bytes of `request`, at most `max_len` long.
    ///
    /// - no credential: [`AuthError::MissingCredentials`] (an `Authorization` header
    ///   with another scheme is not a bearer credential);
    /// - two credentials (two `Authorization` headers, the cookie twice, or header
    ///   and cookie): [`AuthError::InvalidRequest`];
    /// - a bearer credential that is too long or not a `b64token`:
    ///   [`TokenError::TooLarge`] or [`TokenError::Malformed`], checked in that
    ///   order so an oversized value is never scanned.
    pub(crate) fn extract<'r>(
        &self,
        request: &'r Parts,
        max_len: usize,
    ) -> Result<Credential<'r>, AuthError> {
        let mut headers = request.headers.get_all(AUTHORIZATION).iter();
        let header = headers.next();
        if headers.next().is_some() {
            return Err(AuthError::invalid_request(TWO_AUTHORIZATION_HEADERS));
        }
        let from_header = header.and_then(|value| bearer_credential(value.as_bytes()));
        let from_cookie = match &self.cookie {
            Some(cookie) => cookie_credential(request, &cookie.name)?,
            None => None,
        };
        let (token, carrier) = match (from_header, from_cookie) {
            (Some(_), Some(_)) => return Err(AuthError::invalid_request(HEADER_AND_COOKIE)),
            (Some(token), None) => (token, Carrier::Header),
            (None, Some(token)) => (token, Carrier::Cookie),
            (None, None) => return Err(AuthError::MissingCredentials),
        };
        if token.len() > max_len {
            return Err(TokenError::TooLarge.into());
        }
        if !is_b64token(token) {
            return Err(TokenError::Malformed.into());
        }
        Ok(Credential { token, carrier })
    }

    /// Whether `request` may use `credential`, once it verified: a token from the
    /// cookie on an unsafe method must pass the cross-site check.
    ///
    /// # Errors
    ///
    /// [`AuthError::Forbidden`] (403) whose reason, for the audit log, says which
    /// header failed the check.
    pub(crate) fn admit(
        &self,
        credential: &Credential<'_>,
        request: &Parts,
    ) -> Result<(), AuthError> {
        match (credential.carrier, &self.cookie) {
            (Carrier::Cookie, Some(cookie)) => cookie
                .cross_site
                .check(request)
                .map_err(|refusal| AuthError::forbidden(refusal.to_string())),
            _ => Ok(()),
        }
    }
}

/// The credential of an `Authorization` value if its scheme is `Bearer`
/// (case-insensitive): everything after exactly one space. `None` for another scheme.
fn bearer_credential(value: &[u8]) -> Option<&[u8]> {
    const SCHEME: &[u8] = b"bearer";
    let scheme = value.get(..SCHEME.len())?;
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return None;
    }
    match value.get(SCHEME.len()) {
        // `Bearer` alone: a bearer credential with an empty token.
        None => Some(&[]),
        Some(b' ') => value.get(SCHEME.len() + 1..),
        // `Bearer\t...` is a malformed bearer credential; `Bearerx` is another scheme.
        Some(b'\t') => Some(b"\t"),
        Some(_) => None,
    }
}

/// The value of the cookie `name`, across every `Cookie` header. Two cookies of that
/// name are two credentials.
fn cookie_credential<'r>(request: &'r Parts, name: &str) -> Result<Option<&'r [u8]>, AuthError> {
    cookie_header::find(&request.headers, name)
        .map_err(|DuplicateCookie| AuthError::invalid_request(TWO_TOKEN_COOKIES))
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
fn is_b64token(token: &[u8]) -> bool {
    let body_len = token.len() - token.iter().rev().take_while(|&&b| b == b'=').count();
    let (body, _padding) = token.split_at(body_len);
    !body.is_empty()
        && body.iter().all(|&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().uri("/orders?access_token=abc");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        match builder.body(()) {
            Ok(request) => request.into_parts().0,
            Err(error) => panic!("bad test request: {error}"),
        }
    }

    fn extract(source: &CredentialSource, headers: &[(&str, &str)]) -> Result<Vec<u8>, AuthError> {
        source
            .extract(&request(headers), 64)
            .map(|credential| credential.token.to_vec())
    }

    #[test]
    fn the_scheme_is_case_insensitive_and_takes_one_space() {
        let source = CredentialSource::default();
        for header in ["Bearer abc.def", "bearer abc.def", "BEARER abc.def"] {
            assert_eq!(
                extract(&source, &[("authorization", header)]).ok(),
                Some(b"abc.def".to_vec())
            );
        }
        for header in [
            "Bearer  abc",
            "Bearer",
            "Bearer ",
            "Bearer\tabc",
            "Bearer a b",
            "Bearer a\"b",
        ] {
            assert!(
                matches!(
                    extract(&source, &[("authorization", header)]),
                    Err(AuthError::InvalidToken(TokenError::Malformed))
                ),
                "{header:?}"
            );
        }
        assert!(matches!(
            extract(&source, &[("authorization", "Basic dXNlcjpwYXNz")]),
            Err(AuthError::MissingCredentials)
        ));
        assert!(matches!(
            extract(&source, &[("authorization", "Bearerabc")]),
            Err(AuthError::MissingCredentials)
        ));
    }

    #[test]
    fn the_query_is_never_read() {
        let source = CredentialSource::default();
        assert!(matches!(
            extract(&source, &[]),
            Err(AuthError::MissingCredentials)
        ));
    }

    #[test]
    fn size_is_checked_before_the_charset() {
        let source = CredentialSource::default();
        let long = format!("Bearer {}", "\"".repeat(65));
        assert!(matches!(
            extract(&source, &[("authorization", &long)]),
            Err(AuthError::InvalidToken(TokenError::TooLarge))
        ));
    }

    #[test]
    fn cookies_count_as_credentials() {
        let source = CredentialSource {
            cookie: Some(CookieSource {
                name: "at".to_owned(),
                cross_site: CrossSiteCheck::On {
                    trusted: Vec::new(),
                },
            }),
        };
        assert_eq!(
            extract(&source, &[("cookie", "a=1; at=tok.en; b=2")]).ok(),
            Some(b"tok.en".to_vec())
        );
        assert_eq!(
            extract(&source, &[("cookie", "at=\"tok\"")]).ok(),
            Some(b"tok".to_vec())
        );
        assert!(matches!(
            extract(&source, &[("cookie", "at=1"), ("cookie", "at=2")]),
            Err(AuthError::InvalidRequest { .. })
        ));
        assert!(matches!(
            extract(
                &source,
                &[("cookie", "at=1"), ("authorization", "Bearer x")]
            ),
            Err(AuthError::InvalidRequest { .. })
        ));
        assert!(matches!(
            extract(
                &source,
                &[("authorization", "Bearer a"), ("authorization", "Bearer b")]
            ),
            Err(AuthError::InvalidRequest { .. })
        ));
        assert!(matches!(
            extract(&source, &[("cookie", "other=1")]),
            Err(AuthError::MissingCredentials)
        ));
    }

    #[test]
    fn only_a_cookie_credential_is_checked_for_cross_site_requests() {
        let source = CredentialSource {
            cookie: Some(CookieSource {
                name: "at".to_owned(),
                cross_site: CrossSiteCheck::On {
                    trusted: Vec::new(),
                },
            }),
        };
        let post = |header: (&str, &str)| match http::Request::post("/orders")
            .header("sec-fetch-site", "cross-site")
            .header(header.0, header.1)
            .body(())
        {
            Ok(request) => request.into_parts().0,
            Err(error) => panic!("bad test request: {error}"),
        };
        let from_cookie = post(("cookie", "at=tok.en"));
        let credential = source.extract(&from_cookie, 64);
        assert!(matches!(
            credential,
            Ok(Credential {
                carrier: Carrier::Cookie,
                ..
            })
        ));
        if let Ok(credential) = credential {
            assert!(matches!(
                source.admit(&credential, &from_cookie),
                Err(AuthError::Forbidden { .. })
            ));
        }
        let from_header = post(("authorization", "Bearer tok.en"));
        let credential = source.extract(&from_header, 64);
        assert!(matches!(
            credential,
            Ok(Credential {
                carrier: Carrier::Header,
                ..
            })
        ));
        if let Ok(credential) = credential {
            assert!(source.admit(&credential, &from_header).is_ok());
        }
    }

    #[test]
    fn b64token_allows_trailing_equals_only() {
        assert!(is_b64token(b"aZ09-._~+/=="));
        assert!(!is_b64token(b"=="));
        assert!(!is_b64token(b"a=b"));
        assert!(!is_b64token(b""));
        assert!(!is_b64token(b"a b"));
    }
}
