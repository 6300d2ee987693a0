//! The cross-site check on a credential read from a cookie (a JWT in a cookie, a
//! server session).
//!
//! A browser attaches a cookie to every request for its site, including those a page
//! of *another* site makes it send (a form posted to your API, a `fetch` with
//! `credentials: "include"`): cross-site request forgery. A token in the
//! `Authorization` header has no such problem, since a page can only send it by
//! reading it first. So an unsafe request (any method but `GET`, `HEAD`, `OPTIONS`
//! and `TRACE`, RFC 9110 §9.2.1), or a WebSocket handshake (a `GET`, but the page
//! that opens it reads and writes the socket: cross-site WebSocket hijacking), whose
//! token came from the cookie must show that a trusted page sent it, with the
//! headers a browser sets and a page cannot:
//!
//! 1. `Sec-Fetch-Site: same-origin` (Fetch Metadata): the page that sent it is of
//!    this very origin; or
//! 2. an `Origin` (RFC 6454) equal to one of the configured trusted origins:
//!    a front end on another origin that this service trusts.
//!
//! Anything else is refused: `Sec-Fetch-Site: cross-site`, `same-site` (a sibling
//! subdomain is another origin, and maybe another owner) or `none` (a user typed
//! the address: no page sends an unsafe method that way) without a trusted
//! `Origin`; an untrusted `Origin`; `Origin: null` (sandboxed frames, `data:`
//! URLs, cross-origin redirects: an opaque origin is anyone); a malformed one; two
//! of either header; and neither header at all, since every browser that can be
//! steered into a forgery sends at least one of them on a `POST` (`Origin` since
//! Chrome 66, Firefox 70, Safari 12; `Sec-Fetch-Site` since Chrome 76, Firefox 90,
//! Safari 16.4). `Referer` is not consulted: a `Referrer-Policy` or a privacy
//! extension strips it, so it would only ever turn a refusal into an allow for
//! browsers old enough to send no `Origin`.
//!
//! The request's own `Host` is not compared with the `Origin` either: behind a
//! proxy that terminates TLS the service cannot tell which scheme the browser
//! used, nor trust the `Host` it is handed. That is what the trusted origins are
//! for.

use std::fmt;

use http::header::{HeaderName, ORIGIN, UPGRADE};
use http::request::Parts;

/// `Sec-Fetch-Site` (Fetch Metadata Request Headers, W3C).
const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// What an unsafe request or a WebSocket handshake with the token cookie must show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CrossSiteCheck {
    /// `Sec-Fetch-Site: same-origin`, or an `Origin` in this list: origins
    /// serialized by [`serialize_origin`].
    On { trusted: Vec<String> },
    /// `dangerous_without_cross_site_check`: no check.
    Off,
}

impl CrossSiteCheck {
    /// Checks `request`, whose token came from the cookie.
    ///
    /// # Errors
    ///
    /// Why the request is refused, for the audit log.
    pub(crate) fn check(&self, request: &Parts) -> Result<(), Refusal> {
        let CrossSiteCheck::On { trusted } = self else {
            return Ok(());
        };
        if request.method.is_safe() && !is_websocket_handshake(request) {
            return Ok(());
        }
        let fetch_site = single(request, &SEC_FETCH_SITE)
            .map_err(|TwoHeaders| Refusal::TwoFetchSiteHeaders)?
            .map(FetchSite::parse);
        let origin = match single(request, &ORIGIN).map_err(|TwoHeaders| Refusal::TwoOrigins)? {
            None => None,
            Some(value) if value.trim_ascii().eq_ignore_ascii_case(b"null") => {
                return Err(Refusal::NullOrigin);
            }
            Some(value) => {
                Some(serialize_origin(value.trim_ascii()).ok_or(Refusal::MalformedOrigin)?)
            }
        };
        if fetch_site == Some(FetchSite::SameOrigin) {
            return Ok(());
        }
        match (origin, fetch_site) {
            (Some(origin), _) if trusted.contains(&origin) => Ok(()),
            (origin, Some(site)) => Err(Refusal::FetchSite { site, origin }),
            (Some(origin), None) => Err(Refusal::UntrustedOrigin(origin)),
            (None, None) => Err(Refusal::NoOriginHeaders),
        }
    }
}

/// Why a request with the token cookie was refused. Its text goes to the
/// audit log (the `reason` of a 403); the client only sees `forbidden`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `Sec-Fetch-Site` is not `same-origin`, and no trusted `Origin` was sent.
    FetchSite {
        site: FetchSite,
        /// The `Origin`, serialized, if one was sent.
        origin: Option<String>,
    },
    /// No `Sec-Fetch-Site`, and an `Origin` that is not trusted.
    UntrustedOrigin(String),
    /// `Origin: null`: an opaque origin.
    NullOrigin,
    /// An `Origin` that is not `scheme://host[:port]`.
    MalformedOrigin,
    /// Two `Origin` headers (or one sent twice).
    TwoOrigins,
    /// Two `Sec-Fetch-Site` headers.
    TwoFetchSiteHeaders,
    /// Neither `Sec-Fetch-Site` nor `Origin`: where it came from is unknown.
    NoOriginHeaders,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("request with the credential cookie refused (cross-site check): ")?;
        match self {
            Refusal::FetchSite { site, origin: None } => {
                write!(f, "`Sec-Fetch-Site: {site}` and no `Origin`")
            }
            Refusal::FetchSite {
                site,
                origin: Some(origin),
            } => write!(
                f,
                "`Sec-Fetch-Site: {site}` and the `Origin` `{origin}` is not trusted"
            ),
            Refusal::UntrustedOrigin(origin) => {
                write!(f, "the `Origin` `{origin}` is not trusted")
            }
            Refusal::NullOrigin => f.write_str("`Origin: null` (an opaque origin)"),
            Refusal::MalformedOrigin => f.write_str("the `Origin` is malformed"),
            Refusal::TwoOrigins => f.write_str("two `Origin` headers"),
            Refusal::TwoFetchSiteHeaders => f.write_str("two `Sec-Fetch-Site` headers"),
            Refusal::NoOriginHeaders => {
                f.write_str("neither `Sec-Fetch-Site` nor `Origin`: the sender is unknown")
            }
        }
    }
}

/// The value of `Sec-Fetch-Site`, compared case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FetchSite {
    SameOrigin,
    SameSite,
    CrossSite,
    /// A user-initiated navigation (typed address, bookmark).
    None,
    /// Anything else: garbage, or a value a future browser may define.
    Unknown,
}

impl FetchSite {
    fn parse(value: &[u8]) -> Self {
        let value = value.trim_ascii();
        [
            (&b"same-origin"[..], FetchSite::SameOrigin),
            (b"same-site", FetchSite::SameSite),
            (b"cross-site", FetchSite::CrossSite),
            (b"none", FetchSite::None),
        ]
        .into_iter()
        .find_map(|(name, site)| value.eq_ignore_ascii_case(name).then_some(site))
        .unwrap_or(FetchSite::Unknown)
    }
}

impl fmt::Display for FetchSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FetchSite::SameOrigin => "same-origin",
            FetchSite::SameSite => "same-site",
            FetchSite::CrossSite => "cross-site",
            FetchSite::None => "none",
            // Never the raw value: it is request data, and this text is logged.
            FetchSite::Unknown => "<unknown value>",
        })
    }
}

/// Whether `request` asks to upgrade to a WebSocket (RFC 6455 §4.1): any
/// `Upgrade` header that lists `websocket`, in any case.
pub(crate) fn is_websocket_handshake(request: &Parts) -> bool {
    request.headers.get_all(UPGRADE).iter().any(|value| {
        value
            .as_bytes()
            .split(|&b| b == b',')
            .any(|protocol| protocol.trim_ascii().eq_ignore_ascii_case(b"websocket"))
    })
}

struct TwoHeaders;

/// The one value of header `name`: `None` when absent, an error when repeated.
fn single<'r>(request: &'r Parts, name: &HeaderName) -> Result<Option<&'r [u8]>, TwoHeaders> {
    let mut values = request.headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(TwoHeaders);
    }
    Ok(first.map(http::HeaderValue::as_bytes))
}

/// The longest host name DNS allows (RFC 1035 §2.3.4); also what keeps a logged
/// origin short.
const MAX_HOST_LEN: usize = 253;

/// The ASCII serialization of the origin `value` (RFC 6454 §6.1): the scheme
/// (`https` or `http`) and the host in lowercase, the port only when it is not the
/// scheme's default. `None` for anything that is not exactly
/// `scheme://host[:port]`: a path (even `/`), a query, user info, `null`, a
/// wildcard, an empty host or port, a port above 65535, a host longer than 253
/// bytes, or a host that is neither a DNS name in ASCII (browsers send punycode)
/// nor a bracketed IPv6 address.
///
/// Browsers already send this form; serializing both sides makes
/// `HTTPS://App.Example.com:443` and `https://app.example.com` one origin. Written
/// here rather than with `http::Uri`, whose authority also accepts user info,
/// percent-escapes and sub-delimiters (`*`, `!`, `$`) that no origin has.
pub(crate) fn serialize_origin(value: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(value).ok()?;
    let (scheme, rest) = text.split_once("://")?;
    let (scheme, default_port) = if scheme.eq_ignore_ascii_case("https") {
        ("https", 443)
    } else if scheme.eq_ignore_ascii_case("http") {
        ("http", 80)
    } else {
        return None;
    };
    let (host, after) = if let Some(ipv6) = rest.strip_prefix('[') {
        let (address, after) = ipv6.split_once(']')?;
        if address.is_empty()
            || !address
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'))
        {
            return None;
        }
        // The brackets are part of the host.
        (rest.get(..address.len() + 2)?, after)
    } else {
        let (host, after) = rest.find(':').map_or((rest, ""), |at| rest.split_at(at));
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'))
        {
            return None;
        }
        (host, after)
    };
    if host.len() > MAX_HOST_LEN {
        return None;
    }
    let port = match after {
        "" => None,
        after => {
            let digits = after.strip_prefix(':')?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(digits.parse::<u16>().ok()?)
        }
    };
    let host = host.to_ascii_lowercase();
    Some(match port {
        Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    const APP: &str = "https://app.example.com";

    fn check(method: &str, headers: &[(&str, &[u8])]) -> Result<(), Refusal> {
        let mut builder = http::Request::builder().method(method).uri("/orders");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = match builder.body(()) {
            Ok(request) => request.into_parts().0,
            Err(error) => panic!("bad test request: {error}"),
        };
        CrossSiteCheck::On {
            trusted: vec![APP.to_owned()],
        }
        .check(&request)
    }

    #[test]
    fn origins_serialize_as_browsers_send_them() {
        for (input, expected) in [
            ("https://app.example.com", "https://app.example.com"),
            ("HTTPS://App.Example.COM", "https://app.example.com"),
            ("https://app.example.com:443", "https://app.example.com"),
            (
                "https://app.example.com:8443",
                "https://app.example.com:8443",
            ),
            ("http://localhost:80", "http://localhost"),
            ("http://localhost:3000", "http://localhost:3000"),
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
            ("https://[::1]:8443", "https://[::1]:8443"),
            ("https://[::1]", "https://[::1]"),
            (
                "https://xn--bcher-kva.example",
                "https://xn--bcher-kva.example",
            ),
        ] {
            assert_eq!(
                serialize_origin(input.as_bytes()).as_deref(),
                Some(expected),
                "{input}"
            );
        }
    }

    #[test]
    fn anything_but_an_origin_is_refused() {
        for input in [
            &b""[..],
            b"null",
            b"*",
            b"app.example.com",
            b"https://",
            b"https://app.example.com/",
            b"https://app.example.com/path",
            b"https://app.example.com?q",
            b"https://app.example.com#f",
            b"https://user@app.example.com",
            b"https://app.example.com:",
            b"https://app.example.com:99999",
            b"https://app.example.com:+443",
            b"https://app.example.com:44a",
            b"https://app.example.com\\@evil.example",
            b"https://app example.com",
            b"ftp://app.example.com",
            b"file://",
            b"https://\xc3\xa9.example",
            b"\xff\xfe",
            b"https://app.example.com, https://evil.example",
            b"https://*.example.com",
            b"https://app.example.com%2f",
            b"https://[]",
            b"https://[::1",
            b"https://[::1]x",
            b"https://[fe80::1%25eth0]",
            b"https://a..example:+1",
        ] {
            assert_eq!(
                serialize_origin(input),
                None,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn hosts_are_at_most_253_bytes() {
        let longest = format!("https://{}", "a".repeat(MAX_HOST_LEN));
        assert_eq!(serialize_origin(longest.as_bytes()), Some(longest.clone()));
        let longer = format!("https://{}", "a".repeat(MAX_HOST_LEN + 1));
        assert_eq!(serialize_origin(longer.as_bytes()), None);
    }

    #[test]
    fn safe_methods_are_not_checked() {
        for method in ["GET", "HEAD", "OPTIONS", "TRACE"] {
            assert_eq!(check(method, &[("sec-fetch-site", b"cross-site")]), Ok(()));
        }
    }

    #[test]
    fn a_websocket_handshake_is_checked_like_an_unsafe_method() {
        for upgrade in [&b"websocket"[..], b"WebSocket", b"h2c, websocket"] {
            assert_eq!(
                check(
                    "GET",
                    &[("upgrade", upgrade), ("sec-fetch-site", b"cross-site")]
                ),
                Err(Refusal::FetchSite {
                    site: FetchSite::CrossSite,
                    origin: None,
                })
            );
            assert_eq!(
                check("GET", &[("upgrade", upgrade), ("origin", APP.as_bytes())]),
                Ok(())
            );
        }
        assert_eq!(
            check(
                "GET",
                &[("upgrade", b"h2c"), ("sec-fetch-site", b"cross-site")]
            ),
            Ok(())
        );
    }

    #[test]
    fn unsafe_methods_need_same_origin_or_a_trusted_origin() {
        for method in ["POST", "PUT", "PATCH", "DELETE", "PURGE"] {
            assert_eq!(check(method, &[("sec-fetch-site", b"same-origin")]), Ok(()));
            assert_eq!(check(method, &[("sec-fetch-site", b"Same-Origin")]), Ok(()));
            assert_eq!(check(method, &[("origin", APP.as_bytes())]), Ok(()));
            assert_eq!(
                check(method, &[("origin", b"https://APP.example.com:443")]),
                Ok(())
            );
            assert_eq!(
                check(
                    method,
                    &[("sec-fetch-site", b"same-site"), ("origin", APP.as_bytes())]
                ),
                Ok(())
            );
            assert!(check(method, &[]).is_err());
        }
    }

    #[test]
    fn each_refusal_says_why() {
        let evil = &b"https://evil.example"[..];
        for (headers, refusal) in [
            (
                vec![("sec-fetch-site", &b"cross-site"[..])],
                Refusal::FetchSite {
                    site: FetchSite::CrossSite,
                    origin: None,
                },
            ),
            (
                vec![("sec-fetch-site", b"cross-site"), ("origin", evil)],
                Refusal::FetchSite {
                    site: FetchSite::CrossSite,
                    origin: Some("https://evil.example".to_owned()),
                },
            ),
            (
                vec![("sec-fetch-site", b"same-site")],
                Refusal::FetchSite {
                    site: FetchSite::SameSite,
                    origin: None,
                },
            ),
            (
                vec![("sec-fetch-site", b"none")],
                Refusal::FetchSite {
                    site: FetchSite::None,
                    origin: None,
                },
            ),
            (
                vec![("sec-fetch-site", b"same-origin, cross-site")],
                Refusal::FetchSite {
                    site: FetchSite::Unknown,
                    origin: None,
                },
            ),
            (
                vec![("origin", evil)],
                Refusal::UntrustedOrigin("https://evil.example".to_owned()),
            ),
            (
                vec![("origin", b"https://app.example.com.evil.example")],
                Refusal::UntrustedOrigin("https://app.example.com.evil.example".to_owned()),
            ),
            (
                vec![("origin", b"http://app.example.com")],
                Refusal::UntrustedOrigin("http://app.example.com".to_owned()),
            ),
            (vec![("origin", b"null")], Refusal::NullOrigin),
            (vec![("origin", b"NULL")], Refusal::NullOrigin),
            (
                vec![("sec-fetch-site", b"same-origin"), ("origin", b"null")],
                Refusal::NullOrigin,
            ),
            (
                vec![("origin", b"https://app.example.com/")],
                Refusal::MalformedOrigin,
            ),
            (vec![("origin", b"\xff")], Refusal::MalformedOrigin),
            (
                vec![("origin", APP.as_bytes()), ("origin", APP.as_bytes())],
                Refusal::TwoOrigins,
            ),
            (
                vec![
                    ("sec-fetch-site", b"same-origin"),
                    ("sec-fetch-site", b"same-origin"),
                ],
                Refusal::TwoFetchSiteHeaders,
            ),
            (vec![], Refusal::NoOriginHeaders),
        ] {
            assert_eq!(check("POST", &headers), Err(refusal), "{headers:?}");
        }
    }

    #[test]
    fn the_reason_never_echoes_raw_header_bytes() {
        // Obs-text and quotes are valid header bytes; the log must not carry them.
        let refusal = check("POST", &[("sec-fetch-site", b"\"injected\xff")]);
        let text = refusal.map_err(|r| r.to_string()).err().unwrap_or_default();
        assert!(!text.contains("injected"), "{text}");
        assert!(text.contains("cross-site check"), "{text}");
    }

    #[test]
    fn off_checks_nothing() {
        let (request, ()) = http::Request::post("/orders")
            .header("sec-fetch-site", "cross-site")
            .body(())
            .unwrap_or_default()
            .into_parts();
        assert_eq!(CrossSiteCheck::Off.check(&request), Ok(()));
    }
}
