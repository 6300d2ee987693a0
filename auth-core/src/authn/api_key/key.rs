//! The key itself: how one is generated, written, parsed, and hashed for storage.
//!
//! The layout is in the [module documentation](super#the-key). Everything here
//! works on fixed-size stack buffers: parsing a key allocates nothing.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What every key starts with, so that secret scanners (and people) recognise one.
pub const PREFIX: &str = "oak_";
/// The length of a key, in characters (all ASCII).
pub const KEY_LEN: usize = PREFIX.len() + ID_LEN + 1 + SECRET_LEN + CHECKSUM_LEN;

const ID_BYTES: usize = 10;
const ID_LEN: usize = 16;
const SECRET_BYTES: usize = 32;
const SECRET_LEN: usize = 52;
const CHECKSUM_BYTES: usize = 4;
const CHECKSUM_LEN: usize = 7;
/// Where the `_` between the id and the secret stands.
const SEPARATOR_AT: usize = PREFIX.len() + ID_LEN;
const SECRET_AT: usize = SEPARATOR_AT + 1;
/// Everything the checksum covers: prefix, id, separator, secret.
const BODY_LEN: usize = SECRET_AT + SECRET_LEN;

/// A freshly created key, in plain text: shown to its owner once, stored nowhere.
///
/// Its `Debug` shows the key's id and hides the rest, so a stray `{:?}` in a log
/// line does not leak it; there is no `Display`. Hand the key to the client with
/// [`expose`](Self::expose), then drop it.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use auth_core::Scopes;
/// use auth_core::api_key::{ApiKeys, MemoryApiKeyStore};
///
/// let keys = ApiKeys::new(MemoryApiKeyStore::new());
/// let (key, record) = keys
///     .create("user-1", &Scopes::none(), "ci", [] as [&str; 0], None)
///     .await
///     .unwrap();
/// assert!(key.expose().starts_with("oak_"));
/// assert!(!format!("{key:?}").contains(key.expose()));
/// assert_eq!(key.id(), record.id());
/// # });
/// ```
#[derive(Clone)]
pub struct PlaintextKey(String);

impl PlaintextKey {
    /// The key, to show its owner once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The key as a `String`, to move into a response body.
    pub fn into_exposed(self) -> String {
        self.0
    }

    /// The key's id: public, the same as its record's [`id`](super::ApiKeyRecord::id).
    pub fn id(&self) -> &str {
        self.0.get(PREFIX.len()..SEPARATOR_AT).unwrap_or("")
    }
}

impl fmt::Debug for PlaintextKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlaintextKey")
            .field("id", &self.id())
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Why a string is not an API key. Checked before any store is asked, so a typo
/// costs no lookup.
///
/// ```
/// use auth_core::api_key::{key_id, KeyFormatError};
///
/// assert_eq!(key_id("sk_live_123"), Err(KeyFormatError::Prefix));
/// assert_eq!(key_id("oak_abc"), Err(KeyFormatError::Length { found: 7 }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFormatError {
    /// The string does not start with [`PREFIX`].
    #[error("an api key starts with `oak_`")]
    Prefix,
    /// The string is not [`KEY_LEN`] bytes long.
    #[error("an api key is 80 characters long, this is {found} bytes")]
    Length {
        /// The length found, in bytes.
        found: usize,
    },
    /// A byte is not allowed where it stands: the id, the secret and the checksum
    /// are lowercase base32 (`a`-`z`, `2`-`7`), with one `_` between id and
    /// secret; or the secret's last character has padding bits set.
    #[error(
        "byte {position} of the api key is not allowed there: expected lowercase base32 (`a`-`z`, `2`-`7`) with one `_` after the id"
    )]
    Character {
        /// Where, counting from 0.
        position: usize,
    },
    /// The checksum does not match the rest of the key: a character was mistyped.
    #[error("the api key's checksum does not match: a character was mistyped")]
    Checksum,
}

/// The id of an API key, after checking the whole key's format and checksum.
///
/// The id is not secret (listings show it), so this is what to log, or what a
/// revocation endpoint fed by a secret scanner looks up.
///
/// ```
/// use auth_core::api_key::{key_id, KeyFormatError};
///
/// // The checksum catches a mistyped key without a store lookup.
/// let typo = "oak_aaaaaaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2222222";
/// assert_eq!(key_id(typo), Err(KeyFormatError::Checksum));
/// ```
///
/// # Errors
/// [`KeyFormatError`] when `key` is not a well-formed key.
pub fn key_id(key: &str) -> Result<&str, KeyFormatError> {
    parse(key.as_bytes()).map(|parsed| parsed.id)
}

/// A well-formed key, borrowed from the request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ParsedKey<'k> {
    /// The id: 16 lowercase base32 characters.
    pub(crate) id: &'k str,
    /// The secret's 52 characters.
    pub(crate) secret: &'k [u8],
}

/// Checks `key` strictly: prefix, length, alphabet, separator, the secret's
/// padding bits, then the checksum. Never panics, never allocates.
pub(crate) fn parse(key: &[u8]) -> Result<ParsedKey<'_>, KeyFormatError> {
    if !key.starts_with(PREFIX.as_bytes()) {
        return Err(KeyFormatError::Prefix);
    }
    if key.len() != KEY_LEN {
        return Err(KeyFormatError::Length { found: key.len() });
    }
    for (position, &byte) in key.iter().enumerate().skip(PREFIX.len()) {
        let allowed = if position == SEPARATOR_AT {
            byte == b'_'
        } else {
            value_of(byte).is_some()
        };
        if !allowed {
            return Err(KeyFormatError::Character { position });
        }
    }
    let (Some(body), Some(checksum), Some(id), Some(secret)) = (
        key.get(..BODY_LEN),
        key.get(BODY_LEN..),
        key.get(PREFIX.len()..SEPARATOR_AT),
        key.get(SECRET_AT..BODY_LEN),
    ) else {
        return Err(KeyFormatError::Length { found: key.len() });
    };
    // 52 characters carry 260 bits for 256: the last one's low 4 bits are padding,
    // zero in the one canonical spelling.
    if secret
        .last()
        .and_then(|&last| value_of(last))
        .is_some_and(|value| value & 0b1111 != 0)
    {
        return Err(KeyFormatError::Character {
            position: BODY_LEN - 1,
        });
    }
    // The checksum is not a secret (anyone can compute it), so a plain comparison.
    if checksum_of(body) != checksum {
        return Err(KeyFormatError::Checksum);
    }
    let id = std::str::from_utf8(id).map_err(|_| KeyFormatError::Character {
        position: PREFIX.len(),
    })?;
    Ok(ParsedKey { id, secret })
}

/// A new key from the OS random number generator, and the hash to store for it.
pub(crate) fn generate() -> Result<(PlaintextKey, SecretHash), getrandom::Error> {
    let mut id = [0_u8; ID_BYTES];
    let mut secret = [0_u8; SECRET_BYTES];
    getrandom::fill(&mut id)?;
    getrandom::fill(&mut secret)?;
    let mut key = String::with_capacity(KEY_LEN);
    key.push_str(PREFIX);
    encode(&id, |symbol| key.push(char::from(symbol)));
    key.push('_');
    encode(&secret, |symbol| key.push(char::from(symbol)));
    let hash = SecretHash::of_secret(key.as_bytes().get(SECRET_AT..).unwrap_or_default());
    let checksum = checksum_of(key.as_bytes());
    key.extend(checksum.iter().copied().map(char::from));
    Ok((PlaintextKey(key), hash))
}

/// The checksum of a key's body: the first 4 bytes of its SHA-256, in base32.
fn checksum_of(body: &[u8]) -> [u8; CHECKSUM_LEN] {
    let digest = Sha256::digest(body);
    let mut checksum = [0_u8; CHECKSUM_LEN];
    let mut slots = checksum.iter_mut();
    encode(digest.get(..CHECKSUM_BYTES).unwrap_or_default(), |symbol| {
        if let Some(slot) = slots.next() {
            *slot = symbol;
        }
    });
    checksum
}

/// What a key is stored as: the SHA-256 of its 52 secret characters.
///
/// A fast hash is the right one here, unlike for passwords: the secret is 256
/// bits from the OS random number generator, so there is no dictionary to try
/// and no speed at which guessing a preimage becomes feasible. A slow hash would
/// only make every request slower.
///
/// There is no `PartialEq`: compare with [`matches`](Self::matches), in
/// constant time.
#[derive(Clone, Copy)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    /// A hash read back from a store.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        SecretHash(bytes)
    }

    /// The hash, to write to a store.
    pub const fn to_bytes(self) -> [u8; 32] {
        self.0
    }

    /// Whether both hashes are equal, in constant time.
    pub fn matches(&self, other: &SecretHash) -> bool {
        #[cfg(test)]
        tests::CONSTANT_TIME_COMPARISONS.with(|count| count.set(count.get() + 1));
        self.0.ct_eq(&other.0).into()
    }

    pub(crate) fn of_secret(secret: &[u8]) -> Self {
        SecretHash(Sha256::digest(secret).into())
    }
}

/// The hash is not the key, but it is not for logs either.
impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(<redacted>)")
    }
}

/// Lowercase RFC 4648 base32 without padding, one symbol at a time to `push`.
/// Written here rather than taken from a crate: twenty lines, and the key's
/// alphabet and strictness are part of its format.
fn encode(bytes: &[u8], mut push: impl FnMut(u8)) {
    let mut buffer: u32 = 0;
    let mut bits: u32 = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            push(symbol(buffer >> bits));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        push(symbol(buffer << (5 - bits)));
    }
}

/// The symbol for the low 5 bits of `value`.
fn symbol(value: u32) -> u8 {
    let value = u8::try_from(value & 0b1_1111).unwrap_or(0);
    if value < 26 {
        b'a' + value
    } else {
        b'2' + (value - 26)
    }
}

/// The 5 bits a symbol stands for; `None` for anything outside the lowercase
/// alphabet (uppercase included: a key has one spelling).
fn value_of(symbol: u8) -> Option<u8> {
    match symbol {
        b'a'..=b'z' => Some(symbol - b'a'),
        b'2'..=b'7' => Some(symbol - b'2' + 26),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use std::cell::Cell;

    use super::*;

    thread_local! {
        /// How many times [`SecretHash::matches`] ran on this thread.
        pub(crate) static CONSTANT_TIME_COMPARISONS: Cell<usize> = const { Cell::new(0) };
    }

    fn encoded(bytes: &[u8]) -> String {
        let mut out = String::new();
        encode_for_tests(bytes, &mut out);
        out
    }

    /// Base32 of `bytes`, appended to `out`: for tests that forge keys.
    pub(crate) fn encode_for_tests(bytes: &[u8], out: &mut String) {
        encode(bytes, |symbol| out.push(char::from(symbol)));
    }

    #[test]
    fn base32_matches_the_rfc_4648_vectors_in_lowercase() {
        // RFC 4648 §10, without padding.
        let vectors = [
            ("", ""),
            ("f", "my"),
            ("fo", "mzxq"),
            ("foo", "mzxw6"),
            ("foob", "mzxw6yq"),
            ("fooba", "mzxw6ytb"),
            ("foobar", "mzxw6ytboi"),
        ];
        for (input, output) in vectors {
            assert_eq!(encoded(input.as_bytes()), output, "{input:?}");
        }
        assert_eq!(encoded(&[0xff; 5]), "77777777");
    }

    #[test]
    fn a_generated_key_has_the_documented_layout_and_round_trips() {
        let (key, hash) = generate().unwrap();
        let text = key.expose();
        assert_eq!(text.len(), KEY_LEN);
        assert_eq!(KEY_LEN, 80);
        assert!(text.starts_with("oak_"));
        assert_eq!(&text[20..21], "_");
        assert!(
            text[4..]
                .bytes()
                .all(|b| b == b'_' || b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
        );
        let parsed = parse(text.as_bytes()).unwrap();
        assert_eq!(parsed.id, &text[4..20]);
        assert_eq!(parsed.id, key.id());
        assert_eq!(parsed.secret, &text.as_bytes()[21..73]);
        assert!(SecretHash::of_secret(parsed.secret).matches(&hash));
        // The checksum is SHA-256 over everything before it, first 4 bytes.
        let digest = Sha256::digest(&text.as_bytes()[..73]);
        assert_eq!(&text[73..], encoded(&digest[..4]));
        // Two keys never share an id or a secret.
        let (other, _) = generate().unwrap();
        assert_ne!(other.id(), key.id());
        assert_ne!(other.expose()[21..73], text[21..73]);
    }

    #[test]
    fn every_single_character_typo_is_caught_before_any_lookup() {
        let (key, _) = generate().unwrap();
        let original = key.expose().as_bytes().to_vec();
        let alphabet = b"abcdefghijklmnopqrstuvwxyz234567_ABCXYZ01890-+/= \x00\xff";
        let mut tried = 0;
        for position in 0..original.len() {
            for &replacement in alphabet {
                if replacement == original[position] {
                    continue;
                }
                let mut typo = original.clone();
                typo[position] = replacement;
                assert!(
                    parse(&typo).is_err(),
                    "a typo at {position} ({}) was accepted",
                    char::from(replacement)
                );
                tried += 1;
            }
        }
        assert!(tried > 80 * 40);
        // A swap of two neighbours, too.
        for position in 0..original.len() - 1 {
            let mut swapped = original.clone();
            swapped.swap(position, position + 1);
            if swapped != original {
                assert!(
                    parse(&swapped).is_err(),
                    "a swap at {position} was accepted"
                );
            }
        }
        // A lost or doubled character changes the length.
        assert_eq!(
            parse(&original[..79]).unwrap_err(),
            KeyFormatError::Length { found: 79 }
        );
    }

    #[test]
    fn each_format_error_is_named() {
        let (key, _) = generate().unwrap();
        let text = key.expose();
        assert_eq!(parse(b"").unwrap_err(), KeyFormatError::Prefix);
        assert_eq!(
            parse(text.replacen("oak_", "OAK_", 1).as_bytes()).unwrap_err(),
            KeyFormatError::Prefix
        );
        assert_eq!(
            parse(format!("{text}a").as_bytes()).unwrap_err(),
            KeyFormatError::Length { found: 81 }
        );
        // The first letter after the prefix is the first refused character (a
        // random id may start with a digit, which has no upper case).
        let upper = format!("oak_{}", text[4..].to_ascii_uppercase());
        let first_letter = 4 + text[4..].find(|c: char| c.is_ascii_lowercase()).unwrap();
        assert_eq!(
            parse(upper.as_bytes()).unwrap_err(),
            KeyFormatError::Character {
                position: first_letter
            }
        );
        let no_separator = format!("{}a{}", &text[..20], &text[21..]);
        assert_eq!(
            parse(no_separator.as_bytes()).unwrap_err(),
            KeyFormatError::Character { position: 20 }
        );
        let padding = format!("{}b{}", &text[..72], &text[73..]);
        let expected_padding_error = if &text[72..73] == "b" {
            None
        } else {
            Some(KeyFormatError::Character { position: 72 })
        };
        assert_eq!(parse(padding.as_bytes()).err(), expected_padding_error);
        let mut checksum = text.as_bytes().to_vec();
        checksum[75] = if checksum[75] == b'a' { b'b' } else { b'a' };
        assert_eq!(parse(&checksum).unwrap_err(), KeyFormatError::Checksum);
        // Messages are lowercase and say what was expected.
        assert_eq!(
            KeyFormatError::Prefix.to_string(),
            "an api key starts with `oak_`"
        );
    }

    #[test]
    fn the_plaintext_key_is_redacted_in_debug() {
        let (key, hash) = generate().unwrap();
        let shown = format!("{key:?} {hash:?}");
        assert!(!shown.contains(&key.expose()[21..]), "{shown}");
        assert!(shown.contains(key.id()));
    }

    #[test]
    fn hashes_compare_in_constant_time_and_differ_by_one_bit() {
        let a = SecretHash::from_bytes([7; 32]);
        let mut bytes = [7; 32];
        bytes[31] ^= 1;
        let b = SecretHash::from_bytes(bytes);
        let before = CONSTANT_TIME_COMPARISONS.with(Cell::get);
        assert!(a.matches(&a));
        assert!(!a.matches(&b));
        assert_eq!(CONSTANT_TIME_COMPARISONS.with(Cell::get), before + 2);
        assert_eq!(a.to_bytes(), [7; 32]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// No input panics the parser; only a key with a correct checksum passes.
        #[test]
        fn parsing_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..100)) {
            let _ = parse(&bytes);
        }

        /// Anything shaped like a key (right prefix, length, alphabet) but random
        /// fails the checksum.
        #[test]
        fn a_random_key_shaped_string_fails_the_checksum(
            symbols in proptest::collection::vec(0_u32..32, KEY_LEN - PREFIX.len() - 1)
        ) {
            let mut key = PREFIX.as_bytes().to_vec();
            for (i, &value) in symbols.iter().enumerate() {
                if i == ID_LEN {
                    key.push(b'_');
                }
                key.push(symbol(value));
            }
            proptest::prop_assert!(parse(&key).is_err());
        }
    }
}
