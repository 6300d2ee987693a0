//! Compact JWS (RFC 7515 §7.1): three segments, strict base64url, a checked header,
//! one signature verification with the key the `kid` selects.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{Deserializer as _, MapAccess, Visitor};

use super::KeySet;
use super::strict_json::{CowStr, Loose, MemberNames, NoDuplicates};
use crate::TokenError;

/// The token type a header `typ` must name (RFC 7515 §4.1.9, RFC 9068 §4).
#[derive(Debug, Clone)]
pub(crate) struct TypeRule {
    /// The full media type, lowercase: `application/at+jwt`.
    full: String,
    /// The short form a `typ` may use when the type is under `application/`.
    short: Option<String>,
}

impl TypeRule {
    pub(crate) fn new(typ: &str) -> Self {
        let lower = typ.to_ascii_lowercase();
        let full = if lower.contains('/') {
            lower
        } else {
            format!("application/{lower}")
        };
        let short = full.strip_prefix("application/").map(str::to_owned);
        TypeRule { full, short }
    }

    /// Media types compare case-insensitively, and a `typ` without `/` means
    /// `application/` + `typ`.
    fn matches(&self, typ: &str) -> bool {
        if typ.contains('/') {
            typ.eq_ignore_ascii_case(&self.full)
        } else {
            self.short
                .as_deref()
                .is_some_and(|short| typ.eq_ignore_ascii_case(short))
        }
    }
}

/// Verifies the compact JWS `token` and returns its decoded payload.
///
/// The caller has already capped the token's size.
pub(crate) fn verify(
    keys: &KeySet,
    token: &[u8],
    typ: Option<&TypeRule>,
) -> Result<Vec<u8>, TokenError> {
    let mut segments = token.split(|&b| b == b'.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(TokenError::Malformed);
    };
    if header_b64.is_empty() || signature_b64.is_empty() {
        return Err(TokenError::Malformed);
    }

    let header_json = decode(header_b64)?;
    let header = Header::parse(&header_json)?;
    let key = keys.select(header.kid.as_deref())?;
    if header.alg != key.algorithm().as_str() {
        return Err(TokenError::AlgorithmMismatch);
    }
    if let Some(rule) = typ
        && !header.typ.as_deref().is_some_and(|t| rule.matches(t))
    {
        return Err(TokenError::InvalidType);
    }

    let payload = decode(payload_b64)?;
    let signature = decode(signature_b64)?;
    // The signing input is the token's own bytes up to the second dot, never a
    // re-encoding of what was decoded.
    let signing_input = token
        .get(..header_b64.len() + 1 + payload_b64.len())
        .ok_or(TokenError::Malformed)?;
    key.verify(signing_input, &signature)?;
    Ok(payload)
}

/// Strict base64url: no padding, no whitespace, no stray characters, and the unused
/// bits of the last character must be zero, so each value has exactly one encoding.
fn decode(segment: &[u8]) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| TokenError::Malformed)
}

/// The header members this verifier acts on. Everything else is checked for
/// well-formedness and ignored; in particular `jku`, `x5u`, `jwk` and `x5c` never
/// choose a key.
struct Header<'a> {
    alg: Cow<'a, str>,
    kid: Option<Cow<'a, str>>,
    typ: Option<Cow<'a, str>>,
}

#[derive(Default)]
struct RawHeader<'a> {
    alg: Option<Loose<'a>>,
    kid: Option<Loose<'a>>,
    typ: Option<Loose<'a>>,
    b64: Option<Loose<'a>>,
    crit: bool,
}

impl<'a> Header<'a> {
    fn parse(json: &'a [u8]) -> Result<Self, TokenError> {
        let mut deserializer = serde_json::Deserializer::from_slice(json);
        let raw = deserializer
            .deserialize_map(HeaderVisitor)
            .map_err(|_| TokenError::Malformed)?;
        deserializer.end().map_err(|_| TokenError::Malformed)?;

        // No extension is understood, so any `crit` names one that is not (RFC 7515
        // §4.1.11).
        if raw.crit {
            return Err(TokenError::UnsupportedCritical);
        }
        // RFC 7797 unencoded payloads are not supported.
        if raw.b64.is_some_and(|b64| !matches!(b64, Loose::Bool(true))) {
            return Err(TokenError::Malformed);
        }
        Ok(Header {
            alg: string(raw.alg)?.ok_or(TokenError::Malformed)?,
            kid: string(raw.kid)?,
            typ: string(raw.typ)?,
        })
    }
}

fn string(value: Option<Loose<'_>>) -> Result<Option<Cow<'_, str>>, TokenError> {
    match value {
        None => Ok(None),
        Some(Loose::Str(s)) => Ok(Some(s)),
        Some(_) => Err(TokenError::Malformed),
    }
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = RawHeader<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawHeader<'de>, A::Error> {
        let mut names = MemberNames::new();
        let mut raw = RawHeader::default();
        while let Some(CowStr(name)) = map.next_key()? {
            names.insert::<A::Error>(name.clone())?;
            match name.as_ref() {
                "alg" => raw.alg = Some(map.next_value()?),
                "kid" => raw.kid = Some(map.next_value()?),
                "typ" => raw.typ = Some(map.next_value()?),
                "b64" => raw.b64 = Some(map.next_value()?),
                "crit" => {
                    map.next_value::<NoDuplicates>()?;
                    raw.crit = true;
                }
                _ => {
                    map.next_value::<NoDuplicates>()?;
                }
            }
        }
        Ok(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_compare_as_media_types() {
        let rule = TypeRule::new("at+jwt");
        assert!(rule.matches("at+jwt"));
        assert!(rule.matches("AT+JWT"));
        assert!(rule.matches("application/at+jwt"));
        assert!(rule.matches("Application/AT+JWT"));
        assert!(!rule.matches("jwt"));
        assert!(!rule.matches("text/at+jwt"));
        assert!(!rule.matches("at+jwt "));
    }

    #[test]
    fn headers_are_strict() {
        assert!(Header::parse(br#"{"alg":"HS256"}"#).is_ok());
        assert!(Header::parse(br#"{"alg":"HS256","alg":"none"}"#).is_err());
        assert!(Header::parse(br#"{"alg":1}"#).is_err());
        assert!(Header::parse(br#"{"kid":"a"}"#).is_err());
        assert!(Header::parse(br#"{"alg":"HS256"} x"#).is_err());
        assert!(Header::parse(br#"["alg"]"#).is_err());
        assert!(matches!(
            Header::parse(br#"{"alg":"HS256","crit":["exp"],"exp":1}"#),
            Err(TokenError::UnsupportedCritical)
        ));
        assert!(Header::parse(br#"{"alg":"HS256","b64":false}"#).is_err());
        assert!(Header::parse(br#"{"alg":"HS256","jwk":{"k":1,"k":2}}"#).is_err());
    }
}
