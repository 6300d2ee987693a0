//! Each thread's `jsonwebtoken` verifiers, kept across tokens.
//!
//! Building a verifier costs as much as a tenth of an HS256 verification (AWS-LC
//! derives the HMAC key afresh), and `jsonwebtoken`'s `Box<dyn JwtVerifier>` is
//! neither `Send` nor `Sync`, so a [`VerifyingKey`](super::VerifyingKey) cannot hold
//! one. Each thread instead keeps the verifiers of the keys it used last, at most
//! [`PER_THREAD`], oldest evicted first.
//!
//! An entry is found by the address of the key's shared [`Prepared`] material, held
//! through a `Weak`: while the entry lives, that allocation is not freed, so no other
//! key can ever have the same address and two keys never share a verifier. Entries
//! whose key was dropped are released on the next miss, so rotated keys do not pile
//! up. When the cache cannot be used (a re-entrant call, a thread being torn down) a
//! verifier is built for the one call, as before.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::{Arc, Weak};

use jsonwebtoken::crypto::JwtVerifier;

use super::key::Prepared;
use crate::TokenError;

/// Verifiers kept per thread: more keys than a key set rotating through a few
/// generations uses at once, few enough that a linear scan is the fastest lookup.
const PER_THREAD: usize = 16;

struct Entry {
    key: Weak<Prepared>,
    verifier: Box<dyn JwtVerifier>,
}

thread_local! {
    static VERIFIERS: RefCell<VecDeque<Entry>> = const { RefCell::new(VecDeque::new()) };
}

/// Verifies `signature` over `message` with `key`, through this thread's verifier
/// for it.
pub(super) fn verify(
    key: &Arc<Prepared>,
    message: &[u8],
    signature: &Vec<u8>,
) -> Result<(), TokenError> {
    let cached = VERIFIERS
        .try_with(|cell| {
            let mut entries = cell.try_borrow_mut().ok()?;
            Some(verify_cached(&mut entries, key, message, signature))
        })
        .ok()
        .flatten();
    match cached {
        Some(result) => result,
        None => check(key.verifier()?.as_ref(), message, signature),
    }
}

fn verify_cached(
    entries: &mut VecDeque<Entry>,
    key: &Arc<Prepared>,
    message: &[u8],
    signature: &Vec<u8>,
) -> Result<(), TokenError> {
    let address = Arc::as_ptr(key);
    if let Some(entry) = entries.iter().find(|entry| entry.key.as_ptr() == address) {
        return check(entry.verifier.as_ref(), message, signature);
    }
    let verifier = key.verifier()?;
    let result = check(verifier.as_ref(), message, signature);
    entries.retain(|entry| entry.key.strong_count() > 0);
    if entries.len() >= PER_THREAD {
        entries.pop_front();
    }
    entries.push_back(Entry {
        key: Arc::downgrade(key),
        verifier,
    });
    result
}

fn check(
    verifier: &dyn JwtVerifier,
    message: &[u8],
    signature: &Vec<u8>,
) -> Result<(), TokenError> {
    verifier
        .verify(message, signature)
        .map_err(|_| TokenError::InvalidSignature)
}

/// How many verifiers this thread holds.
#[cfg(test)]
fn len() -> usize {
    VERIFIERS.with(|cell| cell.borrow().len())
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use jsonwebtoken::EncodingKey;

    use super::*;
    use crate::authn::jwt::{HmacAlgorithm, VerifyingKey, backend};

    /// An HS256 key and the signature it makes over `message`.
    fn key_and_signature(secret: u8, message: &[u8]) -> (VerifyingKey, Vec<u8>) {
        let secret = [secret; 32];
        let key = match VerifyingKey::hmac(HmacAlgorithm::HS256, secret) {
            Ok(key) => key,
            Err(error) => panic!("test key refused: {error}"),
        };
        let signer = match (backend::provider().signer_factory)(
            &jsonwebtoken::Algorithm::HS256,
            &EncodingKey::from_secret(&secret),
        ) {
            Ok(signer) => signer,
            Err(error) => panic!("no signer: {error}"),
        };
        match signer.try_sign(message) {
            Ok(signature) => (key, signature),
            Err(error) => panic!("signing failed: {error}"),
        }
    }

    #[test]
    fn a_cached_verifier_still_rejects_a_bad_signature() {
        let message = b"header.payload";
        let (key, signature) = key_and_signature(1, message);
        for _ in 0..3 {
            assert_eq!(key.verify(message, &signature), Ok(()));
        }
        let mut forged = signature.clone();
        if let Some(byte) = forged.last_mut() {
            *byte ^= 1;
        }
        assert_eq!(
            key.verify(message, &forged),
            Err(TokenError::InvalidSignature)
        );
        assert_eq!(
            key.verify(b"header.other", &signature),
            Err(TokenError::InvalidSignature)
        );
        assert_eq!(key.verify(message, &signature), Ok(()));
    }

    #[test]
    fn two_keys_on_one_thread_never_share_a_verifier() {
        let message = b"header.payload";
        let (a, signed_by_a) = key_and_signature(2, message);
        let (b, signed_by_b) = key_and_signature(3, message);
        assert_eq!(a.verify(message, &signed_by_a), Ok(()));
        assert_eq!(
            b.verify(message, &signed_by_a),
            Err(TokenError::InvalidSignature),
            "key B accepted key A's signature after A was used"
        );
        assert_eq!(b.verify(message, &signed_by_b), Ok(()));
        assert_eq!(
            a.verify(message, &signed_by_b),
            Err(TokenError::InvalidSignature),
            "key A accepted key B's signature after B was used"
        );
        // A clone is the same key: it shares the entry, and still verifies.
        let before = len();
        assert_eq!(a.clone().verify(message, &signed_by_a), Ok(()));
        assert_eq!(len(), before);
    }

    #[test]
    fn the_cache_stays_bounded_and_drops_released_keys() {
        let message = b"header.payload";
        let (oldest, signed_by_oldest) = key_and_signature(4, message);
        assert_eq!(oldest.verify(message, &signed_by_oldest), Ok(()));
        let keys: Vec<_> = (50..90)
            .map(|secret| key_and_signature(secret, message))
            .collect();
        for (key, signature) in &keys {
            assert_eq!(key.verify(message, signature), Ok(()));
            assert!(len() <= PER_THREAD);
        }
        assert_eq!(len(), PER_THREAD);
        // The evicted key gets a new verifier, which still tells signatures apart.
        assert_eq!(oldest.verify(message, &signed_by_oldest), Ok(()));
        let Some((_, signed_by_another)) = keys.first() else {
            panic!("no keys");
        };
        assert_eq!(
            oldest.verify(message, signed_by_another),
            Err(TokenError::InvalidSignature)
        );
        // Rotated out: the next miss releases their verifiers.
        drop(keys);
        let (last, signed_by_last) = key_and_signature(95, message);
        assert_eq!(last.verify(message, &signed_by_last), Ok(()));
        assert_eq!(len(), 2);
    }

    #[test]
    fn a_busy_cache_falls_back_to_a_verifier_per_call() {
        let message = b"header.payload";
        let (key, signature) = key_and_signature(96, message);
        VERIFIERS.with(|cell| {
            let _held = cell.borrow();
            assert_eq!(key.verify(message, &signature), Ok(()));
            assert_eq!(
                key.verify(message, &b"not a signature".to_vec()),
                Err(TokenError::InvalidSignature)
            );
        });
    }
}
