//! [`SessionCookie`]: the `__Host-` cookie a session id travels in, its
//! `Set-Cookie` values, and finding it in a request.

use http::{HeaderMap, HeaderValue};

use super::{ConfigError, SessionId};
use crate::authn::cookie_header::{self, DuplicateCookie};
use crate::{AuthError, TokenError};

/// The attributes of every session cookie, in the order they are written.
const ATTRIBUTES: &str = "; Secure; HttpOnly; SameSite=Lax; Path=/";

/// The session cookie: `__Host-<name>`, `Secure; HttpOnly; SameSite=Lax; Path=/`,
/// no `Domain`.
///
/// - `__Host-` (RFC 6265bis §4.1.3.2): a browser accepts the cookie only from a
///   secure origin, with `Path=/` and without `Domain`, so a sibling subdomain
///   cannot set or overwrite it (cookie tossing), and it is sent to this host only.
/// - `Secure`: never over plain HTTP. `HttpOnly`: no script reads it, so an XSS
///   cannot exfiltrate the id (it can still act as the user while it runs).
/// - `SameSite=Lax`: not sent on cross-site subrequests and form posts, still sent
///   on top-level navigations (a link from a mail). A defense in depth only: the
///   CSRF token and the cross-site check do not depend on it.
/// - No `Max-Age`/`Expires`: a browser-session cookie. The server decides when a
///   session ends (idle and absolute timeouts); a cookie that outlives its session
///   is a 401.
///
/// ```
/// use auth_core::session::SessionCookie;
///
/// let cookie = SessionCookie::new("sid")?;
/// assert_eq!(cookie.name(), "__Host-sid");
/// assert_eq!(
///     cookie.clear().to_str()?,
///     "__Host-sid=; Secure; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCookie {
    name: String,
}

impl SessionCookie {
    /// The prefix every session cookie's name carries.
    pub const PREFIX: &'static str = "__Host-";
    /// The default name, `__Host-session`.
    pub const DEFAULT_NAME: &'static str = "session";

    /// The cookie `__Host-<name>`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidCookieName`] unless `name` is a non-empty RFC 6265
    /// token (letters, digits and ``!#$%&'*+-.^_`|~``), so that it can be written
    /// in a header and found again.
    pub fn new(name: &str) -> Result<Self, ConfigError> {
        if !cookie_header::is_cookie_name(name) {
            return Err(ConfigError::InvalidCookieName {
                name: name.to_owned(),
            });
        }
        Ok(SessionCookie {
            name: format!("{}{name}", Self::PREFIX),
        })
    }

    /// The full name, `__Host-` included.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `Set-Cookie` value that gives the browser `id`:
    /// `__Host-<name>=<id>; Secure; HttpOnly; SameSite=Lax; Path=/`.
    pub fn set(&self, id: &SessionId) -> HeaderValue {
        self.header(id.expose_secret(), "")
    }

    /// The `Set-Cookie` value that makes the browser forget the cookie:
    /// an empty value with `Max-Age=0`.
    pub fn clear(&self) -> HeaderValue {
        self.header("", "; Max-Age=0")
    }

    fn header(&self, value: &str, extra: &str) -> HeaderValue {
        let text = format!("{}={value}{ATTRIBUTES}{extra}", self.name);
        // The name is a token and the value base64url, both visible ASCII: always
        // a valid header value. The fallback is never taken.
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// The session id the request's `Cookie` headers carry.
    ///
    /// # Errors
    ///
    /// - [`AuthError::MissingCredentials`] when the cookie is absent;
    /// - [`AuthError::InvalidToken`]`(`[`TokenError::Malformed`]`)` (401) when it
    ///   is sent twice, or its value is not an id ([`SessionId::parse`]). Two
    ///   cookies of one name are refused rather than one picked: a `__Host-`
    ///   cookie cannot be set twice by this site, so a second one is a client
    ///   fault or an attack, and which the server picked would be a guess. It is
    ///   a 401, not a 400, so the client's answer is the same as for any other
    ///   bad session: sign in again (which sets one fresh cookie).
    pub fn id_in(&self, headers: &HeaderMap) -> Result<SessionId, AuthError> {
        let value = cookie_header::find(headers, &self.name)
            .map_err(|DuplicateCookie| AuthError::InvalidToken(TokenError::Malformed))?
            .ok_or(AuthError::MissingCredentials)?;
        SessionId::parse(value).ok_or(AuthError::InvalidToken(TokenError::Malformed))
    }
}

impl Default for SessionCookie {
    /// `__Host-session`.
    fn default() -> Self {
        SessionCookie {
            name: format!("{}{}", Self::PREFIX, Self::DEFAULT_NAME),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn headers(cookies: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for cookie in cookies {
            map.append(
                http::header::COOKIE,
                HeaderValue::from_bytes(cookie).unwrap(),
            );
        }
        map
    }

    #[test]
    fn set_and_clear_are_written_byte_for_byte() {
        let cookie = SessionCookie::new("sid").unwrap();
        let id = SessionId::parse(&[b'A'; 43]).unwrap();
        assert_eq!(
            cookie.set(&id).as_bytes(),
            b"__Host-sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; Secure; HttpOnly; SameSite=Lax; Path=/"
        );
        assert_eq!(
            cookie.clear().as_bytes(),
            b"__Host-sid=; Secure; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"
        );
        assert!(!cookie.set(&id).to_str().unwrap().contains("Domain"));
        assert_eq!(SessionCookie::default().name(), "__Host-session");
    }

    #[test]
    fn names_must_be_tokens() {
        for bad in ["", "a b", "a;b", "a=b", "é", "a\"", "a,b", "a\tb", "(x)"] {
            assert_eq!(
                SessionCookie::new(bad),
                Err(ConfigError::InvalidCookieName {
                    name: bad.to_owned()
                }),
                "{bad:?}"
            );
        }
        assert!(SessionCookie::new("my.app-sid_2").is_ok());
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let cookie = SessionCookie::new("sid").unwrap();
        let id = SessionId::generate().unwrap();
        let value = id.expose_secret();
        for header in [
            format!("__Host-sid={value}"),
            format!("a=1; __Host-sid={value}; b=2"),
            format!("  a=1 ;   __Host-sid={value}   ;b"),
            format!("__Host-sid=\"{value}\""),
            format!("sid=x; __host-sid=y; __Host-sid={value}"),
            format!("__Host-sid2=x; x__Host-sid=y; __Host-sid={value}"),
        ] {
            let found = cookie.id_in(&headers(&[header.as_bytes()])).unwrap();
            assert_eq!(found.key(), id.key(), "{header}");
        }
        // Across several `Cookie` headers, with non-UTF-8 bytes in another cookie.
        let found = cookie
            .id_in(&headers(&[
                b"other=\xff\xfe",
                format!("__Host-sid={value}").as_bytes(),
            ]))
            .unwrap();
        assert_eq!(found.key(), id.key());
    }

    #[test]
    fn absent_duplicated_or_malformed_cookies_are_refused() {
        let cookie = SessionCookie::new("sid").unwrap();
        let value = SessionId::generate().unwrap().expose_secret().to_owned();
        for absent in [
            &b""[..],
            b"sid=x",
            b"__Host-sid",
            b"__host-sid=x",
            b"a=1; b=2",
        ] {
            assert!(
                matches!(
                    cookie.id_in(&headers(&[absent])),
                    Err(AuthError::MissingCredentials)
                ),
                "{absent:?}"
            );
        }
        assert!(matches!(
            cookie.id_in(&HeaderMap::new()),
            Err(AuthError::MissingCredentials)
        ));
        let twice_in_one = format!("__Host-sid={value}; __Host-sid={value}");
        let once = format!("__Host-sid={value}");
        let malformed: [&[u8]; 7] = [
            twice_in_one.as_bytes(),
            b"__Host-sid=",
            b"__Host-sid=\"\"",
            b"__Host-sid=abc",
            b"__Host-sid=\xff\xfe\xfd",
            b"__Host-sid=\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            b"__Host-sid= AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA x",
        ];
        for bad in malformed {
            assert!(
                matches!(
                    cookie.id_in(&headers(&[bad])),
                    Err(AuthError::InvalidToken(TokenError::Malformed))
                ),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        // Twice across two headers.
        assert!(matches!(
            cookie.id_in(&headers(&[once.as_bytes(), once.as_bytes()])),
            Err(AuthError::InvalidToken(TokenError::Malformed))
        ));
    }
}
