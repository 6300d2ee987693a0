//! Which of `jsonwebtoken`'s crypto providers checks signatures.
//!
//! `jsonwebtoken` 11 picks a process-wide provider from its own features, and when
//! both `aws_lc_rs` and `rust_crypto` are enabled (Cargo unifies features, so another
//! crate in the build can turn the second one on) it installs a provider that panics
//! on first use. This crate never goes through that process default: it names the
//! provider its own features select, so a build with both backends still verifies,
//! on AWS-LC.

#[cfg(not(any(feature = "aws_lc_rs", feature = "rust_crypto")))]
compile_error!(
    "auth-core's `jwt` feature needs a crypto backend: enable the `aws_lc_rs` feature \
     (the default) or the `rust_crypto` feature of `auth-core`"
);

use jsonwebtoken::crypto::CryptoProvider;

/// The provider this build verifies with: `aws_lc_rs` when enabled, else `rust_crypto`.
pub(crate) fn provider() -> &'static CryptoProvider {
    #[cfg(feature = "aws_lc_rs")]
    {
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
    }
    #[cfg(all(feature = "rust_crypto", not(feature = "aws_lc_rs")))]
    {
        &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
    }
    #[cfg(not(any(feature = "aws_lc_rs", feature = "rust_crypto")))]
    {
        // Unreachable: the `compile_error!` above stops the build. This stub only keeps
        // that error the single one the user sees.
        &stub::PROVIDER
    }
}

/// The name of the crypto backend this build verifies signatures with:
/// `"aws_lc_rs"` or `"rust_crypto"`.
///
/// ```
/// let backend = auth_core::jwt::crypto_backend();
/// assert!(backend == "aws_lc_rs" || backend == "rust_crypto");
/// ```
pub fn crypto_backend() -> &'static str {
    if cfg!(feature = "aws_lc_rs") {
        "aws_lc_rs"
    } else {
        "rust_crypto"
    }
}

/// The largest RSA modulus the backend verifies with, in bits.
pub(crate) const MAX_RSA_BITS: usize = if cfg!(feature = "aws_lc_rs") {
    8192
} else {
    // The `rsa` crate refuses larger public keys.
    4096
};

#[cfg(not(any(feature = "aws_lc_rs", feature = "rust_crypto")))]
mod stub {
    use jsonwebtoken::crypto::{CryptoProvider, KeyUtils};
    use jsonwebtoken::errors::ErrorKind;

    pub(super) static PROVIDER: CryptoProvider = CryptoProvider {
        signer_factory: |_, _| Err(ErrorKind::InvalidAlgorithm.into()),
        verifier_factory: |_, _| Err(ErrorKind::InvalidAlgorithm.into()),
        key_utils: KeyUtils::new_unimplemented(),
    };
}
