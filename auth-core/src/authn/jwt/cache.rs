//! The verified-token cache: a repeated token skips signature verification and claim
//! parsing, never the revocation check or the claims mapper.
//!
//! Two generations of a hash map, keyed by the token's exact bytes. Inserts go to the
//! current generation; when it is full it becomes the previous one and the old
//! previous one is dropped, so memory stays under `capacity` entries with O(1) work
//! and no background task. A hit in the previous generation moves the entry back to
//! the current one, so tokens in use survive rotation. Entries are never served at or
//! after their `exp`.
//!
//! Each entry remembers the generation of the key set that verified it, and is served
//! only while that generation is current: when a remote key set changes, a token
//! whose key was removed is verified again (and refused), never served from here.
//!
//! A hit costs one lock, one or two hash lookups and an `Arc` clone: no allocation.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::mem;
use std::sync::{Arc, Mutex, PoisonError};

use foldhash::fast::{FoldHasher, RandomState};

use super::Claims;

type Map = HashMap<Box<[u8]>, Entry, TailHash>;

/// How many trailing bytes of a token its hash covers: all inside the signature,
/// whose shortest encoding (HS256) is 43 characters.
const HASHED_TAIL: usize = 32;

/// Hashes a token's length and its last [`HASHED_TAIL`] bytes, with a randomly
/// seeded `foldhash`; a hit still compares every byte.
///
/// Tokens enter the map only once verified, and the tail of a verified token is its
/// signature, which no sender can choose, so entries do not collide. A request can
/// send a token with a cached token's tail, but a lookup then compares one entry and
/// misses: it cannot make the map slower for others. Hashing every byte with
/// `SipHash` cost a fifth of a hit.
#[derive(Debug, Clone, Default)]
struct TailHash(RandomState);

impl BuildHasher for TailHash {
    type Hasher = TailHasher;

    fn build_hasher(&self) -> TailHasher {
        TailHasher(self.0.build_hasher())
    }
}

struct TailHasher(FoldHasher<'static>);

impl Hasher for TailHasher {
    fn write(&mut self, bytes: &[u8]) {
        let tail = bytes
            .get(bytes.len().saturating_sub(HASHED_TAIL)..)
            .unwrap_or(bytes);
        self.0.write(tail);
    }

    fn write_usize(&mut self, length: usize) {
        self.0.write_usize(length);
    }

    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

#[derive(Debug)]
pub(crate) struct TokenCache {
    generations: Mutex<Generations>,
    per_generation: usize,
}

#[derive(Debug, Default)]
struct Generations {
    current: Map,
    previous: Map,
}

#[derive(Debug)]
struct Entry {
    claims: Arc<Claims<'static>>,
    expires_at: u64,
    /// The generation of the key set that verified the token.
    generation: u64,
}

impl TokenCache {
    /// A cache of at most `capacity` tokens (at least 2).
    pub(crate) fn new(capacity: usize) -> Self {
        TokenCache {
            generations: Mutex::new(Generations::default()),
            per_generation: (capacity / 2).max(1),
        }
    }

    /// The verified claims of `token`, if it was verified before by the key set of
    /// `generation` and has not expired at `now` (seconds since the Unix epoch). An
    /// entry of another generation is a miss: its key may have been removed since.
    pub(crate) fn get(
        &self,
        token: &[u8],
        now: u64,
        generation: u64,
    ) -> Option<Arc<Claims<'static>>> {
        // A panic elsewhere while holding the lock leaves the maps consistent: every
        // mutation below is a single map operation.
        let mut generations = self
            .generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let generations = &mut *generations;
        if let Some(entry) = generations.current.get(token) {
            if entry.expires_at > now && entry.generation == generation {
                return Some(Arc::clone(&entry.claims));
            }
            generations.current.remove(token);
            return None;
        }
        let (key, entry) = generations.previous.remove_entry(token)?;
        if entry.expires_at <= now || entry.generation != generation {
            return None;
        }
        let claims = Arc::clone(&entry.claims);
        self.insert_current(generations, key, entry);
        Some(claims)
    }

    /// Remembers that `token` verified to `claims` with the key set of `generation`,
    /// until `exp`.
    pub(crate) fn insert(
        &self,
        token: &[u8],
        claims: Arc<Claims<'static>>,
        now: u64,
        generation: u64,
    ) {
        let expires_at = claims.expires_at_secs();
        if expires_at <= now {
            return;
        }
        let mut generations = self
            .generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.insert_current(
            &mut generations,
            token.into(),
            Entry {
                claims,
                expires_at,
                generation,
            },
        );
    }

    fn insert_current(&self, generations: &mut Generations, key: Box<[u8]>, entry: Entry) {
        if generations.current.len() >= self.per_generation
            && !generations.current.contains_key(&key)
        {
            generations.previous = mem::take(&mut generations.current);
        }
        generations.current.insert(key, entry);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        let generations = self
            .generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        generations.current.len() + generations.previous.len()
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    fn claims(exp: u64) -> Arc<Claims<'static>> {
        let json = format!(r#"{{"sub":"u","exp":{exp}}}"#);
        match Claims::parse(json.as_bytes()) {
            Ok(claims) => Arc::new(claims.into_owned()),
            Err(error) => panic!("test claims refused: {error}"),
        }
    }

    #[test]
    fn entries_expire_at_exp() {
        let cache = TokenCache::new(8);
        cache.insert(b"t", claims(100), 50, 0);
        assert!(cache.get(b"t", 99, 0).is_some());
        assert!(cache.get(b"t", 100, 0).is_none());
        assert!(
            cache.get(b"t", 99, 0).is_none(),
            "an expired entry is dropped"
        );
        cache.insert(b"old", claims(100), 100, 0);
        assert_eq!(cache.len(), 0, "an expired token is not cached");
    }

    #[test]
    fn size_stays_bounded_and_hot_entries_survive() {
        let cache = TokenCache::new(4);
        cache.insert(b"hot", claims(1_000), 0, 0);
        for i in 0..100_u32 {
            cache.insert(&i.to_be_bytes(), claims(1_000), 0, 0);
            assert!(cache.get(b"hot", 1, 0).is_some(), "hot entry lost at {i}");
            assert!(cache.len() <= 4);
        }
        assert!(cache.get(&0_u32.to_be_bytes(), 1, 0).is_none());
    }

    #[test]
    fn entries_of_another_key_set_generation_are_misses() {
        let cache = TokenCache::new(8);
        cache.insert(b"t", claims(1_000), 0, 1);
        assert!(cache.get(b"t", 1, 1).is_some());
        assert!(cache.get(b"t", 1, 2).is_none(), "the key set changed");
        assert!(
            cache.get(b"t", 1, 1).is_none(),
            "the stale entry is dropped"
        );
    }
}
