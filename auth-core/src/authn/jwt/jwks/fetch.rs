//! The HTTP client: one bounded `GET`, on hyper and rustls.
//!
//! What it refuses is what keeps a key set honest: another scheme than `https`
//! (unless explicitly allowed), credentials or fragments in a URL, redirects, any
//! status but 200, and bodies over the size limit (checked against
//! `Content-Length` first, then while reading). Time is bounded by the caller
//! (one timeout around the whole fetch) and here by the connect timeout.

use std::error::Error as StdError;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use http::header::{ACCEPT, CACHE_CONTROL, CONTENT_LENGTH, USER_AGENT};
use http::{Request, StatusCode, Uri};
use http_body_util::{BodyExt as _, Empty, LengthLimitError, Limited};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

use super::JwksError;

const AGENT: &str = concat!("auth-core/", env!("CARGO_PKG_VERSION"), " (jwks)");

/// A response that passed every check.
#[derive(Debug)]
pub(super) struct Fetched {
    pub(super) body: Vec<u8>,
    /// `Cache-Control: max-age`, or zero for `no-cache` / `no-store`.
    pub(super) max_age: Option<Duration>,
}

/// The client settings, as the builder collected them.
pub(super) struct ClientSettings<'a> {
    pub(super) connect_timeout: Duration,
    pub(super) max_response_bytes: usize,
    pub(super) allow_http: bool,
    pub(super) extra_roots_pem: &'a [Vec<u8>],
}

pub(super) struct HttpFetcher {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    max_response_bytes: usize,
}

impl HttpFetcher {
    pub(super) fn new(settings: &ClientSettings<'_>) -> Result<Self, JwksError> {
        let roots = root_store(settings.extra_roots_pem, settings.allow_http)?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| JwksError::Tls {
                reason: error.to_string(),
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();

        let mut http = HttpConnector::new();
        // The HTTPS connector below decides which schemes pass; the TCP connector
        // must not refuse `https` itself.
        http.enforce_http(false);
        http.set_connect_timeout(Some(settings.connect_timeout));
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls);
        let https = if settings.allow_http {
            https.https_or_http()
        } else {
            https.https_only()
        };
        let connector = https.enable_http1().wrap_connector(http);

        // One fetch every few minutes: a pooled connection would be stale by then.
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(connector);
        Ok(HttpFetcher {
            client,
            max_response_bytes: settings.max_response_bytes,
        })
    }

    /// `GET url`, accepting only a 200 whose body fits the limit. The caller bounds
    /// the time.
    pub(super) async fn get(&self, url: &Uri) -> Result<Fetched, JwksError> {
        let request = Request::get(url.clone())
            .header(ACCEPT, "application/json, application/jwk-set+json")
            .header(USER_AGENT, AGENT)
            .body(Empty::new())
            .map_err(|_| JwksError::InvalidUrl {
                url: url.to_string(),
                reason: "not a valid request target",
            })?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|error| JwksError::Connect {
                url: url.to_string(),
                reason: error_chain(&error),
            })?;

        let status = response.status();
        if status.is_redirection() {
            return Err(JwksError::Redirect {
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
        if status != StatusCode::OK {
            return Err(JwksError::Status {
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
        let too_large = || JwksError::TooLarge {
            url: url.to_string(),
            limit: self.max_response_bytes,
        };
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if declared.is_some_and(|length| {
            usize::try_from(length).map_or(true, |length| length > self.max_response_bytes)
        }) {
            return Err(too_large());
        }
        let max_age = max_age(response.headers().get_all(CACHE_CONTROL).iter());

        let body = Limited::new(response.into_body(), self.max_response_bytes)
            .collect()
            .await
            .map_err(|error| {
                if error.downcast_ref::<LengthLimitError>().is_some() {
                    too_large()
                } else {
                    JwksError::Connect {
                        url: url.to_string(),
                        reason: error_chain(&*error),
                    }
                }
            })?
            .to_bytes();
        Ok(Fetched {
            body: body.to_vec(),
            max_age,
        })
    }
}

/// Parses `url` and checks it is one this client fetches.
pub(super) fn check_url(url: &str, allow_http: bool) -> Result<Uri, JwksError> {
    let invalid = |reason| JwksError::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    // `http::Uri` drops a fragment silently; a URL with one is a mistake.
    if url.contains('#') {
        return Err(invalid("a fragment (`#`) has no meaning here"));
    }
    let uri: Uri = url
        .parse()
        .map_err(|_| invalid("not an absolute URL (host names must be ASCII)"))?;
    let authority = uri
        .authority()
        .ok_or_else(|| invalid("not an absolute URL"))?;
    if authority.as_str().contains('@') {
        return Err(invalid("credentials in a URL are refused"));
    }
    if authority.host().is_empty() {
        return Err(invalid("the host is empty"));
    }
    match uri.scheme_str() {
        Some(scheme) if scheme.eq_ignore_ascii_case("https") => Ok(uri),
        Some(scheme) if scheme.eq_ignore_ascii_case("http") => {
            if allow_http {
                Ok(uri)
            } else {
                Err(JwksError::InsecureUrl {
                    url: url.to_owned(),
                })
            }
        }
        _ => Err(invalid("the scheme must be `https`")),
    }
}

/// The system's trusted roots, plus the ones the builder added.
fn root_store(extra_roots_pem: &[Vec<u8>], allow_http: bool) -> Result<RootCertStore, JwksError> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let (_added, _ignored) = roots.add_parsable_certificates(native.certs);
    for pem in extra_roots_pem {
        let mut found = false;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|error| JwksError::InvalidRootCertificate {
                reason: error.to_string(),
            })?;
            roots
                .add(cert)
                .map_err(|error| JwksError::InvalidRootCertificate {
                    reason: error.to_string(),
                })?;
            found = true;
        }
        if !found {
            return Err(JwksError::InvalidRootCertificate {
                reason: "no `CERTIFICATE` PEM block".to_owned(),
            });
        }
    }
    // Without roots every `https` fetch fails; say so at startup rather than as a
    // TLS error on each fetch. A configuration that allows `http` may not need any.
    if roots.is_empty() && !allow_http {
        return Err(JwksError::NoRootCertificates);
    }
    Ok(roots)
}

/// The `max-age` of `Cache-Control` values; `no-cache` and `no-store` count as 0.
/// Several `max-age` directives (a malformed response) yield the smallest.
fn max_age<'a>(values: impl Iterator<Item = &'a http::HeaderValue>) -> Option<Duration> {
    let mut age: Option<u64> = None;
    for value in values {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let directive = directive.trim();
            let (name, argument) = match directive.split_once('=') {
                Some((name, argument)) => (name.trim(), Some(argument.trim().trim_matches('"'))),
                None => (directive, None),
            };
            let seconds = if name.eq_ignore_ascii_case("max-age") {
                argument.and_then(|a| a.parse::<u64>().ok())
            } else if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store")
            {
                Some(0)
            } else {
                None
            };
            if let Some(seconds) = seconds {
                age = Some(age.map_or(seconds, |age| age.min(seconds)));
            }
        }
    }
    age.map(Duration::from_secs)
}

/// An error and its causes on one line, for logs: hyper's own messages are terse
/// ("client error (Connect)") and the cause says what happened.
fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !out.ends_with(&cause_text) {
            let _ = write!(out, ": {cause_text}");
        }
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn age(values: &[&'static str]) -> Option<Duration> {
        let values: Vec<HeaderValue> = values.iter().map(|v| HeaderValue::from_static(v)).collect();
        max_age(values.iter())
    }

    #[test]
    fn cache_control_max_age() {
        assert_eq!(age(&[]), None);
        assert_eq!(
            age(&["public, max-age=300"]),
            Some(Duration::from_secs(300))
        );
        assert_eq!(age(&["Max-Age=\"60\""]), Some(Duration::from_secs(60)));
        assert_eq!(age(&["no-cache"]), Some(Duration::ZERO));
        assert_eq!(age(&["max-age=300", "no-store"]), Some(Duration::ZERO));
        assert_eq!(
            age(&["max-age=300, max-age=30"]),
            Some(Duration::from_secs(30))
        );
        assert_eq!(age(&["max-age=-1", "private"]), None);
        assert_eq!(age(&["s-maxage=10"]), None);
    }

    #[test]
    fn urls() {
        assert!(check_url("https://idp.example/jwks", false).is_ok());
        assert!(check_url("HTTPS://idp.example:8443/a?b=c", false).is_ok());
        assert!(matches!(
            check_url("http://127.0.0.1:1/jwks", false),
            Err(JwksError::InsecureUrl { .. })
        ));
        assert!(check_url("http://127.0.0.1:1/jwks", true).is_ok());
        for bad in [
            "ftp://idp.example/jwks",
            "file:///etc/jwks.json",
            "/jwks",
            "idp.example/jwks",
            "https://user:pass@idp.example/jwks",
            "https://idp.example/jwks#keys",
            "https://",
            "https://ïdp.example/",
        ] {
            assert!(
                matches!(check_url(bad, true), Err(JwksError::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }
}
