//! [`SigningKey`]: one private key or shared secret, pinned to one algorithm,
//! checked once and paired with the [`VerifyingKey`] that verifies what it signs.

use std::fmt;

use jsonwebtoken::EncodingKey;
use jsonwebtoken::jwk::EllipticCurve;

use super::{Algorithm, EcAlgorithm, HmacAlgorithm, KeyError, RsaAlgorithm, VerifyingKey, backend};

/// What a new key signs once, at construction, to prove it works with its own
/// public half before any token depends on it.
const SELF_TEST: &[u8] = b"auth-core signing key self-test";

/// A key that signs with exactly one [`Algorithm`], for a
/// [`TokenIssuer`](super::TokenIssuer).
///
/// Like [`VerifyingKey`], the constructors take the algorithm family as a type, so a
/// key cannot be pinned to an algorithm of another family, and `none` cannot be
/// named. Each constructor checks the key once:
///
/// - an HMAC secret must be at least as long as the hash output (32, 48 or 64
///   bytes) and not blank, exactly the rule a [`VerifyingKey`] enforces;
/// - a private key must be a private key (a public key is refused with
///   [`SigningKeyError::PublicKey`]), of the algorithm's type and curve;
/// - its public half is derived and must pass every [`VerifyingKey`] check (RSA
///   moduli of 2048 bits or more, no ROCA fingerprint, ...);
/// - it signs a test message that its public half then verifies.
///
/// [`verifying_key`](Self::verifying_key) is that public half (or, for HMAC, the
/// same secret), ready for a [`KeySet`](super::KeySet).
///
/// Private keys are PKCS#8 (`PRIVATE KEY`); RSA keys may also be PKCS#1 (`RSA
/// PRIVATE KEY`). Encrypted keys and SEC1 `EC PRIVATE KEY` blocks are refused:
/// convert them with `openssl pkcs8 -topk8 -nocrypt`.
///
/// ```
/// use auth_core::jwt::{HmacAlgorithm, SigningKey, SigningKeyError};
///
/// let key = SigningKey::hmac(HmacAlgorithm::HS256, [7u8; 32])?;
/// assert_eq!(key.algorithm().as_str(), "HS256");
/// assert_eq!(key.verifying_key().algorithm().as_str(), "HS256");
///
/// // Shorter than SHA-256's output: refused before any token is signed.
/// assert!(SigningKey::hmac(HmacAlgorithm::HS256, b"secret").is_err());
/// # Ok::<(), SigningKeyError>(())
/// ```
///
/// An Ed25519 key from PEM (an RSA or EC key reads the same way):
///
/// ```
/// use auth_core::jwt::{SigningKey, SigningKeyError};
///
/// // A throwaway key, published here and so worthless: read yours from a secret store.
/// let pem = "-----BEGIN PRIVATE KEY-----
/// MC4CAQAwBQYDK2VwBCIEIPDSk4gVuvmZejzZLgebZQvNMduxLzP48tre+gIZ+EBr
/// -----END PRIVATE KEY-----";
/// let key = SigningKey::ed25519_pem(pem)?;
/// assert_eq!(key.algorithm().as_str(), "EdDSA");
/// # Ok::<(), SigningKeyError>(())
/// ```
#[derive(Clone)]
pub struct SigningKey {
    algorithm: Algorithm,
    /// Zeroized on drop by `jsonwebtoken`.
    encoding: EncodingKey,
    verifying: VerifyingKey,
}

impl SigningKey {
    /// A shared secret for HMAC.
    ///
    /// # Errors
    ///
    /// [`SigningKeyError::Key`] with [`KeyError::WeakHmacSecret`] when `secret` is
    /// shorter than the hash output, [`KeyError::BlankHmacSecret`] when it is only
    /// whitespace.
    pub fn hmac(
        algorithm: HmacAlgorithm,
        secret: impl AsRef<[u8]>,
    ) -> Result<Self, SigningKeyError> {
        let secret = secret.as_ref();
        let verifying = VerifyingKey::hmac(algorithm, secret)?;
        Self::checked(
            algorithm.into(),
            EncodingKey::from_secret(secret),
            verifying,
        )
    }

    /// An RSA private key in PEM: `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY`
    /// (PKCS#1).
    ///
    /// # Errors
    ///
    /// A [`SigningKeyError`] when the PEM is not an RSA private key, or its public
    /// half is not a key a [`VerifyingKey`] accepts (a modulus under 2048 bits, an
    /// unusual exponent, the ROCA fingerprint).
    pub fn rsa_pem(
        algorithm: RsaAlgorithm,
        pem: impl AsRef<[u8]>,
    ) -> Result<Self, SigningKeyError> {
        let pem = pem.as_ref();
        expect_private_pem(pem, &["PRIVATE KEY", "RSA PRIVATE KEY"])?;
        let encoding = EncodingKey::from_rsa_pem(pem).map_err(|_| invalid(algorithm.into()))?;
        let (n, e) = (backend::provider()
            .key_utils
            .rsa_pub_components_from_private_key)(encoding.as_bytes())
        .map_err(|_| invalid(algorithm.into()))?;
        let verifying = VerifyingKey::rsa_components(algorithm, &n, &e)?;
        Self::checked(algorithm.into(), encoding, verifying)
    }

    /// An RSA private key in DER: PKCS#8 `PrivateKeyInfo` or PKCS#1
    /// `RSAPrivateKey`.
    ///
    /// # Errors
    ///
    /// As [`rsa_pem`](Self::rsa_pem).
    pub fn rsa_der(
        algorithm: RsaAlgorithm,
        der: impl AsRef<[u8]>,
    ) -> Result<Self, SigningKeyError> {
        let der = der.as_ref();
        match Self::rsa_pem(algorithm, pem_encode("PRIVATE KEY", der)) {
            Ok(key) => Ok(key),
            Err(SigningKeyError::InvalidKey { .. }) => {
                Self::rsa_pem(algorithm, pem_encode("RSA PRIVATE KEY", der))
            }
            Err(other) => Err(other),
        }
    }

    /// An EC private key in PEM (`PRIVATE KEY`, PKCS#8) on the curve of
    /// `algorithm`.
    ///
    /// # Errors
    ///
    /// A [`SigningKeyError`] when the PEM is not a PKCS#8 EC private key on that
    /// curve.
    pub fn ec_pem(algorithm: EcAlgorithm, pem: impl AsRef<[u8]>) -> Result<Self, SigningKeyError> {
        let pem = pem.as_ref();
        expect_private_pem(pem, &["PRIVATE KEY"])?;
        let encoding = EncodingKey::from_ec_pem(pem).map_err(|_| invalid(algorithm.into()))?;
        Self::ec_encoding(algorithm, encoding)
    }

    /// An EC private key in DER (PKCS#8 `PrivateKeyInfo`) on the curve of
    /// `algorithm`.
    ///
    /// # Errors
    ///
    /// As [`ec_pem`](Self::ec_pem).
    pub fn ec_der(algorithm: EcAlgorithm, der: impl AsRef<[u8]>) -> Result<Self, SigningKeyError> {
        Self::ec_pem(algorithm, pem_encode("PRIVATE KEY", der.as_ref()))
    }

    /// An Ed25519 private key (`EdDSA`) in PEM (`PRIVATE KEY`, PKCS#8).
    ///
    /// # Errors
    ///
    /// A [`SigningKeyError`] when the PEM is not a PKCS#8 Ed25519 private key.
    pub fn ed25519_pem(pem: impl AsRef<[u8]>) -> Result<Self, SigningKeyError> {
        let pem = pem.as_ref();
        expect_private_pem(pem, &["PRIVATE KEY"])?;
        let encoding = EncodingKey::from_ed_pem(pem).map_err(|_| invalid(Algorithm::EdDSA))?;
        let public = (backend::provider()
            .key_utils
            .ed_pub_components_from_private_key)(
            encoding.as_bytes(), &EllipticCurve::Ed25519
        )
        .map_err(|_| invalid(Algorithm::EdDSA))?;
        let verifying = VerifyingKey::ed25519_raw(&public)?;
        Self::checked(Algorithm::EdDSA, encoding, verifying)
    }

    /// An Ed25519 private key (`EdDSA`) in DER (PKCS#8 `PrivateKeyInfo`).
    ///
    /// # Errors
    ///
    /// As [`ed25519_pem`](Self::ed25519_pem).
    pub fn ed25519_der(der: impl AsRef<[u8]>) -> Result<Self, SigningKeyError> {
        Self::ed25519_pem(pem_encode("PRIVATE KEY", der.as_ref()))
    }

    /// The one algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The key that verifies this key's signatures: the public half, or for HMAC
    /// the same secret.
    ///
    /// ```
    /// use auth_core::jwt::{HmacAlgorithm, KeySet, SigningKey};
    ///
    /// let key = SigningKey::hmac(HmacAlgorithm::HS256, [7u8; 32])?;
    /// let keys = KeySet::new().with_key("2025-06", key.verifying_key().clone())?;
    /// # let _ = keys;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying
    }

    /// Signs `signing_input` with `jsonwebtoken`'s signer of the backend this build
    /// uses (never the process default, which panics when both backends are on).
    pub(crate) fn sign(&self, signing_input: &[u8]) -> Option<Vec<u8>> {
        let signer =
            (backend::provider().signer_factory)(&self.algorithm.to_jsonwebtoken(), &self.encoding)
                .ok()?;
        signer.try_sign(signing_input).ok()
    }

    fn ec_encoding(algorithm: EcAlgorithm, encoding: EncodingKey) -> Result<Self, SigningKeyError> {
        let alg = Algorithm::from(algorithm);
        let (_curve, x, y) = (backend::provider()
            .key_utils
            .ec_pub_components_from_private_key)(
            encoding.as_bytes(), alg.to_jsonwebtoken()
        )
        .map_err(|_| SigningKeyError::InvalidKey {
            algorithm: alg,
            reason: "not a PKCS#8 private key on the algorithm's curve",
        })?;
        let verifying = VerifyingKey::ec_coordinates(algorithm, &x, &y)?;
        Self::checked(alg, encoding, verifying)
    }

    /// Pairs the keys after one signature made with `encoding` verified with
    /// `verifying`.
    fn checked(
        algorithm: Algorithm,
        encoding: EncodingKey,
        verifying: VerifyingKey,
    ) -> Result<Self, SigningKeyError> {
        let key = SigningKey {
            algorithm,
            encoding,
            verifying,
        };
        let signature = key
            .sign(SELF_TEST)
            .ok_or(SigningKeyError::Backend(algorithm))?;
        key.verifying
            .verify(SELF_TEST, &signature)
            .map_err(|_| SigningKeyError::Backend(algorithm))?;
        Ok(key)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// Why a signing key was refused. Never contains key material.
///
/// ```
/// use auth_core::jwt::{RsaAlgorithm, SigningKey, SigningKeyError};
///
/// let public = "-----BEGIN PUBLIC KEY-----
/// MCowBQYDK2VwAyEA0D5SoSwAxVi3QlGPUmPtsTu1twl1ildN1eXZPvm7o/Y=
/// -----END PUBLIC KEY-----";
/// let refused = SigningKey::rsa_pem(RsaAlgorithm::RS256, public);
/// assert!(matches!(refused, Err(SigningKeyError::PublicKey)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigningKeyError {
    /// The key, or its public half, fails a check every [`VerifyingKey`] passes:
    /// a weak or blank HMAC secret, an RSA modulus under 2048 bits, the ROCA
    /// fingerprint.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The input is not PEM.
    #[error("not a PEM document")]
    InvalidPem,
    /// A public key (or certificate) was given where the private key belongs.
    #[error("a public key was given: signing needs the private key")]
    PublicKey,
    /// The PEM block is not a private key this crate reads.
    #[error(
        "expected a `PRIVATE KEY` (PKCS#8) PEM block, or `RSA PRIVATE KEY` for RSA, found `{label}`; convert it with `openssl pkcs8 -topk8 -nocrypt`"
    )]
    PemLabel {
        /// The label found after `-----BEGIN `.
        label: String,
    },
    /// The key material is not a private key for the algorithm.
    #[error("not a valid `{algorithm}` private key: {reason}")]
    InvalidKey {
        /// The algorithm the key was meant for.
        algorithm: Algorithm,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The crypto backend could not sign with the key, or the signature did not
    /// verify with the key's own public half.
    #[error("the crypto backend cannot sign with the `{0}` key")]
    Backend(Algorithm),
}

fn invalid(algorithm: Algorithm) -> SigningKeyError {
    SigningKeyError::InvalidKey {
        algorithm,
        reason: "not a private key of the algorithm's type",
    }
}

/// Refuses anything but a private-key PEM block with one of `labels`.
fn expect_private_pem(input: &[u8], labels: &[&str]) -> Result<(), SigningKeyError> {
    let block = pem::parse(input).map_err(|_| SigningKeyError::InvalidPem)?;
    let label = block.tag();
    if labels.contains(&label) {
        Ok(())
    } else if label.contains("PUBLIC KEY") || label.contains("CERTIFICATE") {
        Err(SigningKeyError::PublicKey)
    } else {
        Err(SigningKeyError::PemLabel {
            label: label.to_owned(),
        })
    }
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    pem::encode(&pem::Pem::new(label, der.to_vec()))
}
