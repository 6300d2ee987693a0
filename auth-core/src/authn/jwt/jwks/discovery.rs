//! OIDC discovery (OIDC Discovery 1.0 §4): the issuer's
//! configuration document names its `jwks_uri`.

use serde::Deserialize;

use super::JwksError;
use crate::authn::jwt::strict_json;

/// The discovery document members read here; the rest is ignored.
#[derive(Deserialize)]
struct Document {
    issuer: Option<String>,
    jwks_uri: Option<String>,
}

/// The discovery URL of `issuer`: `/.well-known/openid-configuration` appended to
/// it, after one trailing `/` is removed (§4).
pub(super) fn url(issuer: &str) -> String {
    let base = issuer.strip_suffix('/').unwrap_or(issuer);
    format!("{base}/.well-known/openid-configuration")
}

/// The `jwks_uri` of a discovery document, once its `issuer` is exactly `expected`
/// (§4.3): a document that names another issuer would hand over its keys.
pub(super) fn jwks_uri(body: &[u8], expected: &str, url: &str) -> Result<String, JwksError> {
    let invalid = |reason| JwksError::InvalidDiscovery {
        url: url.to_owned(),
        reason,
    };
    let json = std::str::from_utf8(body).map_err(|_| invalid("not UTF-8"))?;
    strict_json::check_no_duplicates(json).map_err(|error| {
        invalid(if error.is_syntax() || error.is_eof() {
            "not JSON"
        } else {
            "a member name appears twice"
        })
    })?;
    let document: Document = serde_json::from_str(json)
        .map_err(|_| invalid("not an object with string `issuer` and `jwks_uri`"))?;
    let issuer = document.issuer.ok_or_else(|| invalid("no `issuer`"))?;
    if issuer != expected {
        return Err(JwksError::IssuerMismatch {
            expected: expected.to_owned(),
            found: issuer,
        });
    }
    document.jwks_uri.ok_or_else(|| invalid("no `jwks_uri`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_url_follows_section_4() {
        assert_eq!(
            url("https://idp.example"),
            "https://idp.example/.well-known/openid-configuration"
        );
        assert_eq!(
            url("https://idp.example/realms/shop/"),
            "https://idp.example/realms/shop/.well-known/openid-configuration"
        );
    }

    #[test]
    fn the_issuer_must_be_identical() {
        let doc = br#"{"issuer":"https://idp.example","jwks_uri":"https://keys.example/jwks"}"#;
        assert_eq!(
            jwks_uri(doc, "https://idp.example", "u").ok().as_deref(),
            Some("https://keys.example/jwks")
        );
        for expected in [
            "https://idp.example/",
            "https://IDP.example",
            "https://idp.exampl",
        ] {
            assert!(
                matches!(
                    jwks_uri(doc, expected, "u"),
                    Err(JwksError::IssuerMismatch { .. })
                ),
                "{expected}"
            );
        }
    }

    #[test]
    fn malformed_documents_are_refused() {
        for doc in [
            &b"not json"[..],
            br#"{"issuer":"https://idp.example"}"#,
            br#"{"jwks_uri":"https://keys.example/jwks"}"#,
            br#"{"issuer":"https://idp.example","jwks_uri":7}"#,
            br#"{"issuer":"https://evil.example","issuer":"https://idp.example","jwks_uri":"x"}"#,
            br#"["https://idp.example"]"#,
            b"\xff",
        ] {
            assert!(
                matches!(
                    jwks_uri(doc, "https://idp.example", "u"),
                    Err(JwksError::InvalidDiscovery { .. })
                ),
                "{:?}",
                String::from_utf8_lossy(doc)
            );
        }
    }
}
