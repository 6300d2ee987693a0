//! JSON Web Keys (RFC 7517) and JWK Sets, read into [`VerifyingKey`]s.
//!
//! A JWK becomes a key only when everything it says agrees: `use` is `sig` (or
//! absent), `key_ops` (if present) include `verify`, `alg` names an algorithm this
//! crate verifies and fits the `kty`, `crv` is that algorithm's curve, and no private
//! member is present.

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::algorithm::Family;
use super::{Algorithm, KeyError, VerifyingKey, strict_json};

/// One JWK, as JSON says it. Unknown members (`x5c`, `x5t`, ...) are ignored: they
/// never choose or change a key.
#[derive(Deserialize)]
struct RawJwk {
    kty: Option<String>,
    #[serde(rename = "use")]
    public_key_use: Option<String>,
    key_ops: Option<Vec<String>>,
    alg: Option<String>,
    kid: Option<String>,
    crv: Option<String>,
    k: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
    d: Option<IgnoredAny>,
    p: Option<IgnoredAny>,
    q: Option<IgnoredAny>,
    dp: Option<IgnoredAny>,
    dq: Option<IgnoredAny>,
    qi: Option<IgnoredAny>,
    oth: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct RawJwkSet {
    keys: Vec<RawJwk>,
}

/// A key read from a JWK, with its key id.
pub(crate) struct LoadedJwk {
    pub(crate) kid: Option<String>,
    pub(crate) key: VerifyingKey,
}

/// What reading a JWK Set produced: the usable keys, and the ones set aside with why.
pub(crate) struct LoadedSet {
    pub(crate) keys: Vec<LoadedJwk>,
    pub(crate) skipped: Vec<(Option<String>, KeyError)>,
}

/// Reads one JWK; any problem is an error.
pub(crate) fn load_jwk(json: &str, pinned: Option<Algorithm>) -> Result<LoadedJwk, KeyError> {
    let raw: RawJwk = parse(json)?;
    load(raw, pinned)
}

/// Reads a JWK Set. Keys that are not for verifying signatures with a supported
/// algorithm (`use: enc`, `key_ops` without `verify`, an encryption or unsupported
/// `alg`, another algorithm than `pinned`) are skipped; a key that claims to verify
/// but cannot be trusted (weak, malformed, private, inconsistent) fails the whole set.
pub(crate) fn load_jwk_set(json: &str, pinned: Option<Algorithm>) -> Result<LoadedSet, KeyError> {
    let raw: RawJwkSet = parse(json)?;
    let mut loaded = LoadedSet {
        keys: Vec::with_capacity(raw.keys.len()),
        skipped: Vec::new(),
    };
    for jwk in raw.keys {
        let kid = jwk.kid.clone();
        match load(jwk, pinned) {
            Ok(key) => loaded.keys.push(key),
            Err(
                error @ (KeyError::NotForSignatures
                | KeyError::VerifyNotAllowed
                | KeyError::UnsupportedAlgorithm(_)
                | KeyError::AlgorithmConflict { .. }),
            ) => loaded.skipped.push((kid, error)),
            Err(error) => return Err(error),
        }
    }
    let symmetric = loaded.keys.iter().any(|k| k.key.is_symmetric());
    let asymmetric = loaded.keys.iter().any(|k| !k.key.is_symmetric());
    if symmetric && asymmetric {
        return Err(KeyError::MixedKeySet);
    }
    if loaded.keys.is_empty() {
        return Err(KeyError::EmptyKeySet);
    }
    Ok(loaded)
}

fn parse<'a, T: Deserialize<'a>>(json: &'a str) -> Result<T, KeyError> {
    strict_json::check_no_duplicates(json).map_err(|error| KeyError::InvalidJwk {
        reason: if error.is_syntax() || error.is_eof() {
            "not JSON"
        } else {
            "a member name appears twice"
        },
    })?;
    serde_json::from_str(json).map_err(|_| KeyError::InvalidJwk {
        reason: "not an object of the JWK or JWK Set shape",
    })
}

fn load(raw: RawJwk, pinned: Option<Algorithm>) -> Result<LoadedJwk, KeyError> {
    if raw.public_key_use.as_deref().is_some_and(|u| u != "sig") {
        return Err(KeyError::NotForSignatures);
    }
    if let Some(ops) = &raw.key_ops {
        let mut seen = HashSet::with_capacity(ops.len());
        let repeated = !ops.iter().all(|op| seen.insert(op.as_str()));
        if repeated {
            return Err(KeyError::InvalidJwk {
                reason: "`key_ops` repeats an operation",
            });
        }
        if !ops.iter().any(|op| op == "verify") {
            return Err(KeyError::VerifyNotAllowed);
        }
    }
    let algorithm = match (raw.alg.as_deref(), pinned) {
        (Some(name), pinned) => {
            let named = Algorithm::from_name(name)
                .ok_or_else(|| KeyError::UnsupportedAlgorithm(name.to_owned()))?;
            match pinned {
                Some(pinned) if pinned != named => {
                    return Err(KeyError::AlgorithmConflict {
                        jwk: name.to_owned(),
                        pinned,
                    });
                }
                _ => named,
            }
        }
        (None, Some(pinned)) => pinned,
        (None, None) => return Err(KeyError::MissingAlgorithm),
    };
    let has_private_member = raw.d.is_some()
        || raw.p.is_some()
        || raw.q.is_some()
        || raw.dp.is_some()
        || raw.dq.is_some()
        || raw.qi.is_some()
        || raw.oth.is_some();
    let kty = raw.kty.as_deref().unwrap_or_default();
    let mismatch = || KeyError::KeyTypeMismatch {
        kty: kty.to_owned(),
        algorithm,
    };
    let key = match (kty, algorithm.family()) {
        ("oct", Family::Hmac(hmac)) => {
            let secret = required(
                raw.k.as_deref(),
                "an `oct` key needs `k`",
                "`k` is not base64url",
            )?;
            VerifyingKey::hmac(hmac, secret)?
        }
        ("RSA", Family::Rsa(rsa)) => {
            refuse_private(has_private_member)?;
            let n = required(
                raw.n.as_deref(),
                "an `RSA` key needs `n`",
                "`n` is not base64url",
            )?;
            let e = required(
                raw.e.as_deref(),
                "an `RSA` key needs `e`",
                "`e` is not base64url",
            )?;
            VerifyingKey::rsa_components(rsa, &n, &e)?
        }
        ("EC", Family::Ec(ec)) => {
            refuse_private(has_private_member)?;
            expect_curve(raw.crv.as_deref(), ec.curve(), algorithm)?;
            let x = required(
                raw.x.as_deref(),
                "an `EC` key needs `x`",
                "`x` is not base64url",
            )?;
            let y = required(
                raw.y.as_deref(),
                "an `EC` key needs `y`",
                "`y` is not base64url",
            )?;
            VerifyingKey::ec_coordinates(ec, &x, &y)?
        }
        ("OKP", Family::Ed25519) => {
            refuse_private(has_private_member)?;
            expect_curve(raw.crv.as_deref(), "Ed25519", algorithm)?;
            let x = required(
                raw.x.as_deref(),
                "an `OKP` key needs `x`",
                "`x` is not base64url",
            )?;
            VerifyingKey::ed25519_raw(&x)?
        }
        _ => return Err(mismatch()),
    };
    Ok(LoadedJwk { kid: raw.kid, key })
}

fn refuse_private(has_private_member: bool) -> Result<(), KeyError> {
    if has_private_member {
        Err(KeyError::PrivateKey)
    } else {
        Ok(())
    }
}

fn expect_curve(crv: Option<&str>, expected: &str, algorithm: Algorithm) -> Result<(), KeyError> {
    match crv {
        Some(crv) if crv == expected => Ok(()),
        crv => Err(KeyError::CurveMismatch {
            crv: crv.unwrap_or("(none)").to_owned(),
            algorithm,
        }),
    }
}

/// Decodes a required base64url member, refusing padding and non-canonical encodings.
fn required(
    value: Option<&str>,
    missing: &'static str,
    invalid: &'static str,
) -> Result<Vec<u8>, KeyError> {
    let value = value.ok_or(KeyError::InvalidJwk { reason: missing })?;
    URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| KeyError::InvalidJwk { reason: invalid })
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    /// Found while writing the `jwk` fuzz target (`fuzz/`; its inputs are too small
    /// to show it): repeated `key_ops` were looked for by comparing every pair, so
    /// one key with tens of thousands of operations (a JWK Set within the fetcher's
    /// 256 KiB limit) held a thread for seconds; 34 s here for this one, unoptimized.
    #[test]
    fn key_ops_are_checked_in_linear_time() {
        let secret = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let jwk = |ops: &str| {
            format!(r#"{{"kty":"oct","alg":"HS256","k":"{secret}","key_ops":[{ops}]}}"#)
        };

        let mut many = String::from(r#""verify""#);
        for i in 0..60_000 {
            let _ = write!(many, r#","op{i}""#);
        }
        let started = std::time::Instant::now();
        assert!(load_jwk(&jwk(&many), None).is_ok());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );

        let repeated = format!(r#"{many},"op59999""#);
        assert!(matches!(
            load_jwk(&jwk(&repeated), None),
            Err(KeyError::InvalidJwk {
                reason: "`key_ops` repeats an operation"
            })
        ));
        assert!(matches!(
            load_jwk(&jwk(r#""sign""#), None),
            Err(KeyError::VerifyNotAllowed)
        ));
    }
}
