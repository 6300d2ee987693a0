//! [`VerifyingKey`]: one public key or shared secret, pinned to one algorithm and
//! checked once, at configuration.

use std::fmt;
use std::sync::Arc;

use jsonwebtoken::DecodingKey;
use jsonwebtoken::crypto::JwtVerifier;

use super::algorithm::Family;
use super::{
    Algorithm, EcAlgorithm, HmacAlgorithm, KeyError, RsaAlgorithm, backend, roca, verifier_cache,
};
use crate::TokenError;

/// RSA keys below this size are refused (NIST SP 800-131A, RFC 7518 §3.3).
const MIN_RSA_BITS: usize = 2048;

/// Exponents at or above 2^33 are refused, as ring and AWS-LC do.
const MAX_RSA_EXPONENT: u64 = (1 << 33) - 1;

/// A key that verifies signatures of exactly one [`Algorithm`].
///
/// The constructors take the algorithm family as a type ([`HmacAlgorithm`],
/// [`RsaAlgorithm`], [`EcAlgorithm`]), so an RSA key pinned to `HS256` — the key
/// confusion of CVE-2015-9235 — cannot be written. They check the key once, here:
/// HMAC secrets at least as long as the hash output, RSA moduli of 2048 bits or more
/// without the ROCA fingerprint, public keys only; no request repeats these checks.
///
/// Signatures are verified by `jsonwebtoken`'s crypto provider. Its verifier for a key
/// (for HMAC, the keyed hash; for RSA and EC, the backend's copy of the key) cannot be
/// shared between threads, so each thread builds it the first time it verifies with
/// this key and reuses it afterwards, from a small per-thread cache of the most recently
/// used keys. Clones of a key share that verifier; a dropped key's verifier is released
/// by the next thread-local cache miss. (AWS-LC still loads an RSA key's modulus and
/// exponent in each verification.)
///
/// ```
/// use auth_core::jwt::{HmacAlgorithm, KeyError, VerifyingKey};
///
/// let key = VerifyingKey::hmac(HmacAlgorithm::HS256, [7u8; 32])?;
/// assert_eq!(key.algorithm().as_str(), "HS256");
///
/// // Shorter than SHA-256's output: refused before any token is seen.
/// let weak = VerifyingKey::hmac(HmacAlgorithm::HS256, b"secret");
/// assert!(matches!(weak, Err(KeyError::WeakHmacSecret { .. })));
/// # Ok::<(), KeyError>(())
/// ```
#[derive(Clone)]
pub struct VerifyingKey {
    prepared: Arc<Prepared>,
}

/// The checked key material, shared by every clone of a [`VerifyingKey`]. Its address
/// identifies the key in the per-thread verifier cache.
pub(super) struct Prepared {
    pub(super) algorithm: Algorithm,
    pub(super) decoding: DecodingKey,
}

impl Prepared {
    /// Asks the backend for a verifier of this key.
    pub(super) fn verifier(&self) -> Result<Box<dyn JwtVerifier>, TokenError> {
        (backend::provider().verifier_factory)(&self.algorithm.to_jsonwebtoken(), &self.decoding)
            .map_err(|_| TokenError::InvalidSignature)
    }
}

impl VerifyingKey {
    /// A shared secret for HMAC.
    ///
    /// # Errors
    ///
    /// [`KeyError::WeakHmacSecret`] when `secret` is shorter than the hash output
    /// (32, 48 or 64 bytes), [`KeyError::BlankHmacSecret`] when it is only whitespace.
    pub fn hmac(algorithm: HmacAlgorithm, secret: impl AsRef<[u8]>) -> Result<Self, KeyError> {
        let secret = secret.as_ref();
        let minimum = algorithm.min_secret_len();
        if secret.len() < minimum {
            return Err(KeyError::WeakHmacSecret {
                algorithm,
                length: secret.len(),
                minimum,
            });
        }
        if secret.iter().all(u8::is_ascii_whitespace) {
            return Err(KeyError::BlankHmacSecret { algorithm });
        }
        Self::prepared(algorithm.into(), DecodingKey::from_secret(secret))
    }

    /// An RSA public key in PEM: `PUBLIC KEY` (`SubjectPublicKeyInfo`) or
    /// `RSA PUBLIC KEY` (PKCS#1).
    ///
    /// # Errors
    ///
    /// A [`KeyError`] when the PEM is not an RSA public key, the modulus is outside
    /// 2048 bits to the backend's maximum, the exponent is unusual, or the modulus
    /// has the ROCA fingerprint.
    pub fn rsa_pem(algorithm: RsaAlgorithm, pem: impl AsRef<[u8]>) -> Result<Self, KeyError> {
        let pem = pem.as_ref();
        expect_public_pem(pem, &["PUBLIC KEY", "RSA PUBLIC KEY"])?;
        let pkcs1 = DecodingKey::from_rsa_pem(pem).map_err(|_| KeyError::KeyTypeMismatch {
            kty: "non-RSA".to_owned(),
            algorithm: algorithm.into(),
        })?;
        Self::from_pkcs1(algorithm, &pkcs1)
    }

    /// An RSA public key in DER: `SubjectPublicKeyInfo` or PKCS#1 `RSAPublicKey`.
    ///
    /// # Errors
    ///
    /// As [`rsa_pem`](Self::rsa_pem).
    pub fn rsa_der(algorithm: RsaAlgorithm, der: impl AsRef<[u8]>) -> Result<Self, KeyError> {
        let der = der.as_ref();
        let spki = pem_encode("PUBLIC KEY", der);
        match DecodingKey::from_rsa_pem(spki.as_bytes()) {
            Ok(pkcs1) => Self::from_pkcs1(algorithm, &pkcs1),
            Err(_) => Self::rsa_pem(algorithm, pem_encode("RSA PUBLIC KEY", der)),
        }
    }

    /// An RSA public key from its big-endian modulus `n` and exponent `e`.
    ///
    /// # Errors
    ///
    /// As [`rsa_pem`](Self::rsa_pem).
    pub fn rsa_components(
        algorithm: RsaAlgorithm,
        modulus: &[u8],
        exponent: &[u8],
    ) -> Result<Self, KeyError> {
        let n = strip_leading_zeros(modulus);
        let e = strip_leading_zeros(exponent);
        let bits = bit_length(n);
        let maximum = backend::MAX_RSA_BITS;
        if !(MIN_RSA_BITS..=maximum).contains(&bits) {
            return Err(KeyError::RsaModulusSize {
                bits,
                minimum: MIN_RSA_BITS,
                maximum,
            });
        }
        let exponent_value = if e.len() <= 8 {
            e.iter().fold(0_u64, |acc, &b| (acc << 8) | u64::from(b))
        } else {
            u64::MAX
        };
        if exponent_value < 3 || exponent_value % 2 == 0 || exponent_value > MAX_RSA_EXPONENT {
            return Err(KeyError::RsaExponent);
        }
        if roca::has_fingerprint(n) {
            return Err(KeyError::RsaRoca);
        }
        Self::prepared(algorithm.into(), DecodingKey::from_rsa_raw_components(n, e))
    }

    /// An EC public key in PEM (`PUBLIC KEY`, `SubjectPublicKeyInfo`) on the curve of
    /// `algorithm`.
    ///
    /// # Errors
    ///
    /// A [`KeyError`] when the PEM is not an uncompressed EC public key on that curve.
    pub fn ec_pem(algorithm: EcAlgorithm, pem: impl AsRef<[u8]>) -> Result<Self, KeyError> {
        let pem = pem.as_ref();
        expect_public_pem(pem, &["PUBLIC KEY"])?;
        let point = DecodingKey::from_ec_pem(pem).map_err(|_| KeyError::KeyTypeMismatch {
            kty: "non-EC".to_owned(),
            algorithm: algorithm.into(),
        })?;
        let point = point
            .try_get_as_bytes()
            .map_err(|_| KeyError::Backend(algorithm.into()))?;
        Self::ec_point(algorithm, point)
    }

    /// An EC public key in DER (`SubjectPublicKeyInfo`) on the curve of `algorithm`.
    ///
    /// # Errors
    ///
    /// As [`ec_pem`](Self::ec_pem).
    pub fn ec_der(algorithm: EcAlgorithm, der: impl AsRef<[u8]>) -> Result<Self, KeyError> {
        Self::ec_pem(algorithm, pem_encode("PUBLIC KEY", der.as_ref()))
    }

    /// An EC public key from its affine coordinates, each exactly the curve's size.
    ///
    /// # Errors
    ///
    /// [`KeyError::InvalidKey`] when a coordinate has the wrong length.
    pub fn ec_coordinates(algorithm: EcAlgorithm, x: &[u8], y: &[u8]) -> Result<Self, KeyError> {
        let size = algorithm.coordinate_len();
        if x.len() != size || y.len() != size {
            return Err(KeyError::InvalidKey {
                algorithm: algorithm.into(),
                reason: "a coordinate does not have the curve's size",
            });
        }
        let mut point = Vec::with_capacity(1 + 2 * size);
        point.push(0x04);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        Self::ec_point(algorithm, &point)
    }

    /// An Ed25519 public key (`EdDSA`) in PEM (`PUBLIC KEY`, `SubjectPublicKeyInfo`).
    ///
    /// # Errors
    ///
    /// A [`KeyError`] when the PEM is not an Ed25519 public key.
    pub fn ed25519_pem(pem: impl AsRef<[u8]>) -> Result<Self, KeyError> {
        let pem = pem.as_ref();
        expect_public_pem(pem, &["PUBLIC KEY"])?;
        let raw = DecodingKey::from_ed_pem(pem).map_err(|_| KeyError::KeyTypeMismatch {
            kty: "non-Ed25519".to_owned(),
            algorithm: Algorithm::EdDSA,
        })?;
        let raw = raw
            .try_get_as_bytes()
            .map_err(|_| KeyError::Backend(Algorithm::EdDSA))?;
        Self::ed25519_raw(raw)
    }

    /// An Ed25519 public key (`EdDSA`) in DER (`SubjectPublicKeyInfo`).
    ///
    /// # Errors
    ///
    /// As [`ed25519_pem`](Self::ed25519_pem).
    pub fn ed25519_der(der: impl AsRef<[u8]>) -> Result<Self, KeyError> {
        Self::ed25519_pem(pem_encode("PUBLIC KEY", der.as_ref()))
    }

    /// An Ed25519 public key (`EdDSA`) from its 32 raw bytes.
    ///
    /// # Errors
    ///
    /// [`KeyError::InvalidKey`] when `public_key` is not 32 bytes.
    pub fn ed25519_raw(public_key: &[u8]) -> Result<Self, KeyError> {
        if public_key.len() != 32 {
            return Err(KeyError::InvalidKey {
                algorithm: Algorithm::EdDSA,
                reason: "an Ed25519 public key is 32 bytes",
            });
        }
        Self::prepared(Algorithm::EdDSA, DecodingKey::from_ed_der(public_key))
    }

    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.prepared.algorithm
    }

    /// Whether this is a shared secret (HMAC) rather than a public key.
    pub fn is_symmetric(&self) -> bool {
        matches!(self.algorithm().family(), Family::Hmac(_))
    }

    /// Verifies `signature` over `signing_input` with `jsonwebtoken`'s crypto, through
    /// this thread's verifier for the key.
    pub(crate) fn verify(
        &self,
        signing_input: &[u8],
        signature: &Vec<u8>,
    ) -> Result<(), TokenError> {
        verifier_cache::verify(&self.prepared, signing_input, signature)
    }

    fn from_pkcs1(algorithm: RsaAlgorithm, pkcs1: &DecodingKey) -> Result<Self, KeyError> {
        let invalid = KeyError::InvalidKey {
            algorithm: algorithm.into(),
            reason: "not a DER-encoded RSA public key",
        };
        let der = pkcs1.try_get_as_bytes().map_err(|_| invalid.clone())?;
        let (n, e) = (backend::provider()
            .key_utils
            .rsa_pub_components_from_public_key)(der)
        .map_err(|_| invalid)?;
        Self::rsa_components(algorithm, &n, &e)
    }

    fn ec_point(algorithm: EcAlgorithm, point: &[u8]) -> Result<Self, KeyError> {
        let expected = 1 + 2 * algorithm.coordinate_len();
        if point.first() != Some(&0x04) {
            return Err(KeyError::InvalidKey {
                algorithm: algorithm.into(),
                reason: "only uncompressed points are supported",
            });
        }
        if point.len() != expected {
            return Err(KeyError::CurveMismatch {
                crv: format!("{}-byte point", point.len()),
                algorithm: algorithm.into(),
            });
        }
        Self::prepared(algorithm.into(), DecodingKey::from_ec_der(point))
    }

    /// Pairs the key with its algorithm, after the backend accepted it once.
    fn prepared(algorithm: Algorithm, decoding: DecodingKey) -> Result<Self, KeyError> {
        let prepared = Prepared {
            algorithm,
            decoding,
        };
        prepared
            .verifier()
            .map_err(|_| KeyError::Backend(algorithm))?;
        Ok(VerifyingKey {
            prepared: Arc::new(prepared),
        })
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

/// Refuses anything but a public-key PEM block with one of `labels`.
fn expect_public_pem(input: &[u8], labels: &[&str]) -> Result<(), KeyError> {
    let block = pem::parse(input).map_err(|_| KeyError::InvalidPem)?;
    let label = block.tag();
    if labels.contains(&label) {
        Ok(())
    } else if label.contains("PRIVATE KEY") {
        Err(KeyError::PrivateKey)
    } else {
        Err(KeyError::PemLabel {
            label: label.to_owned(),
        })
    }
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    pem::encode(&pem::Pem::new(label, der.to_vec()))
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

fn bit_length(n: &[u8]) -> usize {
    match n.first() {
        None => 0,
        Some(&top) => n.len() * 8 - top.leading_zeros() as usize,
    }
}
