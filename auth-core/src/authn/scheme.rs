//! [`Scheme`]: where a credential travels, for challenges and for a
//! [`Chain`](crate::Chain) of authenticators.

use std::sync::Arc;

use http::HeaderName;
use http::header::AUTHORIZATION;
use http::request::Parts;

use crate::AuthError;

/// How a kind of credential travels in a request: what a 401 challenges the
/// client for, and how a [`Chain`](crate::Chain) tells, without verifying
/// anything, which credentials a request carries.
///
/// [`Authenticator::schemes`](crate::Authenticator::schemes) says which ones an
/// authenticator reads; the default is [`Scheme::Bearer`].
///
/// | scheme | presented when the request has | challenge |
/// |---|---|---|
/// | [`Bearer`](Scheme::Bearer) | an `Authorization` header (any scheme: a `Basic` one is refused by the bearer authenticator, never passed on) | `Bearer realm=".."` (RFC 6750), with `error` and `error_description` |
/// | [`Cookie`](Scheme::Cookie) | a cookie of that name | `Cookie realm="..", cookie-name=".."` (the `Cookie` scheme of the expired draft-broyer-http-cookie-auth; no registered scheme exists) |
/// | [`Header`](Scheme::Header) | that header, e.g. `X-API-Key` | `ApiKey realm="..", header=".."` |
///
/// ```
/// use auth_core::Scheme;
///
/// let (request, ()) = http::Request::builder()
///     .header("cookie", "theme=dark; __Host-session=abc")
///     .body(())
///     .unwrap()
///     .into_parts();
/// assert!(Scheme::cookie("__Host-session").is_presented(&request));
/// assert!(!Scheme::Bearer.is_presented(&request));
/// assert!(!Scheme::header(http::HeaderName::from_static("x-api-key")).is_presented(&request));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scheme {
    /// `Authorization: Bearer <token>` (RFC 6750).
    Bearer,
    /// A cookie, such as a server session's.
    Cookie {
        /// The cookie's name.
        name: Arc<str>,
    },
    /// A header of its own, such as `X-API-Key`.
    Header {
        /// The header's name.
        name: HeaderName,
    },
}

impl Scheme {
    /// A credential in the cookie `name`.
    pub fn cookie(name: impl Into<Arc<str>>) -> Self {
        Scheme::Cookie { name: name.into() }
    }

    /// A credential in the header `name`.
    pub fn header(name: HeaderName) -> Self {
        Scheme::Header { name }
    }

    /// Whether `request` carries a credential of this kind, verified or not.
    pub fn is_presented(&self, request: &Parts) -> bool {
        match self {
            Scheme::Bearer => request.headers.contains_key(AUTHORIZATION),
            Scheme::Header { name } => request.headers.contains_key(name),
            // Sent twice is presented too: the authenticator then refuses it.
            Scheme::Cookie { name } => !matches!(
                crate::authn::cookie_header::find(&request.headers, name),
                Ok(None)
            ),
        }
    }

    /// The challenge for `error` in `realm`. `with_error` adds the `error` and
    /// `error_description` attributes (for the scheme whose credential failed).
    pub(crate) fn challenge(&self, realm: &str, error: &AuthError, with_error: bool) -> String {
        if let Scheme::Bearer = self {
            let challenge = if with_error {
                error.challenge(realm)
            } else {
                AuthError::MissingCredentials.challenge(realm)
            };
            return challenge.unwrap_or_else(|| "Bearer".to_owned());
        }
        let (scheme, parameter, value): (&str, &str, &str) = match self {
            Scheme::Cookie { name } => ("Cookie", "cookie-name", name),
            Scheme::Header { name } => ("ApiKey", "header", name.as_str()),
            Scheme::Bearer => ("Bearer", "", ""),
        };
        let mut challenge = String::with_capacity(64);
        challenge.push_str(scheme);
        let mut first = true;
        let mut push = |challenge: &mut String, key: &str, value: &str| {
            challenge.push_str(if first { " " } else { ", " });
            first = false;
            challenge.push_str(key);
            challenge.push('=');
            crate::error::push_quoted(challenge, value);
        };
        if !realm.is_empty() {
            push(&mut challenge, "realm", realm);
        }
        push(&mut challenge, parameter, value);
        if with_error && !matches!(error, AuthError::MissingCredentials) {
            push(&mut challenge, "error", error.code());
            push(
                &mut challenge,
                "error_description",
                error.public_description(),
            );
        }
        challenge
    }
}

impl std::fmt::Display for Scheme {
    /// `bearer token`, ``cookie `name` ``, ``header `name` ``: how the
    /// [authorization matrix](crate::inventory::Matrix) lists it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scheme::Bearer => f.write_str("bearer token"),
            Scheme::Cookie { name } => write!(f, "cookie `{name}`"),
            Scheme::Header { name } => write!(f, "header `{name}`"),
        }
    }
}

/// The challenges of a 401 from an authenticator that reads `schemes`: one per
/// scheme. The `error` attributes go on the schemes the request presented (on the
/// only scheme, when there is one, as RFC 6750 has it).
pub(crate) fn challenges(
    schemes: &[Scheme],
    realm: &str,
    error: &AuthError,
    request: &Parts,
) -> Vec<String> {
    let only = schemes.len() == 1;
    schemes
        .iter()
        .map(|scheme| scheme.challenge(realm, error, only || scheme.is_presented(request)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder();
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).map_or_else(
            |_| http::Request::new(()).into_parts().0,
            |request| request.into_parts().0,
        )
    }

    #[test]
    fn a_cookie_is_presented_by_its_exact_name() {
        let scheme = Scheme::cookie("__Host-s");
        assert!(scheme.is_presented(&request(&[("cookie", "__Host-s=1")])));
        assert!(scheme.is_presented(&request(&[("cookie", "a=b;  __Host-s=")])));
        assert!(scheme.is_presented(&request(&[("cookie", "a=b"), ("cookie", "__Host-s=x")])));
        assert!(!scheme.is_presented(&request(&[("cookie", "__Host-s2=1; x__Host-s=1")])));
        assert!(!scheme.is_presented(&request(&[("cookie", "__Host-s")])));
        assert!(!scheme.is_presented(&request(&[])));
    }

    #[test]
    fn challenges_name_each_scheme_and_the_error_where_it_was_presented() {
        let schemes = [
            Scheme::Bearer,
            Scheme::cookie("__Host-s"),
            Scheme::header(HeaderName::from_static("x-api-key")),
        ];
        let missing = challenges(
            &schemes,
            "api",
            &AuthError::MissingCredentials,
            &request(&[]),
        );
        assert_eq!(
            missing,
            [
                r#"Bearer realm="api""#,
                r#"Cookie realm="api", cookie-name="__Host-s""#,
                r#"ApiKey realm="api", header="x-api-key""#,
            ]
        );
        let bad_key = AuthError::InvalidToken(crate::TokenError::Malformed);
        let refused = challenges(&schemes, "", &bad_key, &request(&[("x-api-key", "oak_x")]));
        assert_eq!(
            refused,
            [
                "Bearer",
                r#"Cookie cookie-name="__Host-s""#,
                r#"ApiKey header="x-api-key", error="invalid_token", error_description="the access token is invalid""#,
            ]
        );
        // One scheme: as RFC 6750 writes it, whatever was presented.
        assert_eq!(
            challenges(&[Scheme::Bearer], "api", &bad_key, &request(&[])),
            [
                r#"Bearer realm="api", error="invalid_token", error_description="the access token is invalid""#
            ]
        );
    }
}
