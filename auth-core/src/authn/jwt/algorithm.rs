//! Signature algorithms: one closed enum per key family, so a key can only be pinned
//! to an algorithm of its own family and `none` cannot be named at all.

use std::fmt;
use std::str::FromStr;

use super::KeyError;

/// A JWS signature algorithm this crate verifies (RFC 7518 §3, RFC 8037).
///
/// There is no `none` and no "any of a family": every configured key is pinned to
/// exactly one `Algorithm`, and a token whose header `alg` differs is refused
/// ([`TokenError::AlgorithmMismatch`](crate::TokenError::AlgorithmMismatch)).
///
/// ```
/// use auth_core::jwt::Algorithm;
///
/// assert_eq!("PS256".parse::<Algorithm>().ok(), Some(Algorithm::PS256));
/// assert!("none".parse::<Algorithm>().is_err());
/// assert!("ps256".parse::<Algorithm>().is_err()); // names are case-sensitive
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// `EdDSA` on Ed25519.
    EdDSA,
}

impl Algorithm {
    /// The `alg` name, exactly as it appears in a JWS header.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// The algorithm named `name`, compared case-sensitively as RFC 7515 requires.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "HS256" => Algorithm::HS256,
            "HS384" => Algorithm::HS384,
            "HS512" => Algorithm::HS512,
            "RS256" => Algorithm::RS256,
            "RS384" => Algorithm::RS384,
            "RS512" => Algorithm::RS512,
            "PS256" => Algorithm::PS256,
            "PS384" => Algorithm::PS384,
            "PS512" => Algorithm::PS512,
            "ES256" => Algorithm::ES256,
            "ES384" => Algorithm::ES384,
            "EdDSA" => Algorithm::EdDSA,
            _ => return None,
        })
    }

    pub(crate) const fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Algorithm::HS256 => jsonwebtoken::Algorithm::HS256,
            Algorithm::HS384 => jsonwebtoken::Algorithm::HS384,
            Algorithm::HS512 => jsonwebtoken::Algorithm::HS512,
            Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
            Algorithm::RS384 => jsonwebtoken::Algorithm::RS384,
            Algorithm::RS512 => jsonwebtoken::Algorithm::RS512,
            Algorithm::PS256 => jsonwebtoken::Algorithm::PS256,
            Algorithm::PS384 => jsonwebtoken::Algorithm::PS384,
            Algorithm::PS512 => jsonwebtoken::Algorithm::PS512,
            Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
            Algorithm::ES384 => jsonwebtoken::Algorithm::ES384,
            Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        }
    }

    /// The family this algorithm belongs to, as the typed sub-enum.
    pub(crate) const fn family(self) -> Family {
        match self {
            Algorithm::HS256 => Family::Hmac(HmacAlgorithm::HS256),
            Algorithm::HS384 => Family::Hmac(HmacAlgorithm::HS384),
            Algorithm::HS512 => Family::Hmac(HmacAlgorithm::HS512),
            Algorithm::RS256 => Family::Rsa(RsaAlgorithm::RS256),
            Algorithm::RS384 => Family::Rsa(RsaAlgorithm::RS384),
            Algorithm::RS512 => Family::Rsa(RsaAlgorithm::RS512),
            Algorithm::PS256 => Family::Rsa(RsaAlgorithm::PS256),
            Algorithm::PS384 => Family::Rsa(RsaAlgorithm::PS384),
            Algorithm::PS512 => Family::Rsa(RsaAlgorithm::PS512),
            Algorithm::ES256 => Family::Ec(EcAlgorithm::ES256),
            Algorithm::ES384 => Family::Ec(EcAlgorithm::ES384),
            Algorithm::EdDSA => Family::Ed25519,
        }
    }
}

/// An [`Algorithm`] split by key type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Hmac(HmacAlgorithm),
    Rsa(RsaAlgorithm),
    Ec(EcAlgorithm),
    Ed25519,
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = KeyError;

    fn from_str(name: &str) -> Result<Self, KeyError> {
        Algorithm::from_name(name).ok_or_else(|| KeyError::UnsupportedAlgorithm(name.to_owned()))
    }
}

/// The HMAC algorithms: the only ones a shared secret can be pinned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HmacAlgorithm {
    /// HMAC with SHA-256; secrets of at least 32 bytes.
    HS256,
    /// HMAC with SHA-384; secrets of at least 48 bytes.
    HS384,
    /// HMAC with SHA-512; secrets of at least 64 bytes.
    HS512,
}

impl HmacAlgorithm {
    /// The shortest secret accepted: the hash output size (RFC 7518 §3.2).
    pub const fn min_secret_len(self) -> usize {
        match self {
            HmacAlgorithm::HS256 => 32,
            HmacAlgorithm::HS384 => 48,
            HmacAlgorithm::HS512 => 64,
        }
    }
}

/// The RSA algorithms, PKCS#1 v1.5 (`RS*`) and PSS (`PS*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RsaAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
}

/// The ECDSA algorithms; each names its curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EcAlgorithm {
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
}

impl EcAlgorithm {
    /// The JWK `crv` name of the curve.
    pub const fn curve(self) -> &'static str {
        match self {
            EcAlgorithm::ES256 => "P-256",
            EcAlgorithm::ES384 => "P-384",
        }
    }

    /// The size of one coordinate, in bytes.
    pub(crate) const fn coordinate_len(self) -> usize {
        match self {
            EcAlgorithm::ES256 => 32,
            EcAlgorithm::ES384 => 48,
        }
    }
}

macro_rules! into_algorithm {
    ($family:ident { $($variant:ident),* }) => {
        impl From<$family> for Algorithm {
            fn from(algorithm: $family) -> Algorithm {
                match algorithm {
                    $($family::$variant => Algorithm::$variant,)*
                }
            }
        }

        impl fmt::Display for $family {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(Algorithm::from(*self).as_str())
            }
        }
    };
}

into_algorithm!(HmacAlgorithm {
    HS256,
    HS384,
    HS512
});
into_algorithm!(RsaAlgorithm {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512
});
into_algorithm!(EcAlgorithm { ES256, ES384 });
