//! [`Claims`]: a verified token's claims, parsed once, borrowing from the payload.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde::de::{self, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::RolesClaim;
use super::strict_json::{self, CowStr, LINEAR_SCAN_LIMIT, Loose};
use crate::revocation::{CUTOFF_CLAIM, Cutoff};
use crate::{Scopes, TokenError};

/// The latest instant a `NumericDate` may name: 9999-12-31T23:59:59Z. Later values
/// are refused rather than risk overflowing a `SystemTime`.
const MAX_NUMERIC_DATE: u64 = 253_402_300_799;

/// The claims of a token whose signature, header and registered claims were verified.
///
/// A [`ClaimsMapper`](super::ClaimsMapper) receives it to build the application's
/// user. Registered claims are typed accessors; any other claim is read with
/// [`get`](Self::get), and roles with [`roles`](Self::roles). Strings borrow from the
/// decoded payload where no JSON escape forced a copy.
///
/// By the time you see it: `exp` is present, a number and in the future; `nbf` and
/// `iat` (if present) are numbers and not in the future; `sub` is a non-empty
/// string; `iss` and `aud` matched the configuration; no object in the token
/// repeats a member name.
#[derive(Debug, Clone)]
pub struct Claims<'a> {
    subject: Cow<'a, str>,
    issuer: Option<Cow<'a, str>>,
    audience: StrList<'a>,
    expires_at: u64,
    not_before: Option<u64>,
    issued_at: Option<u64>,
    auth_time: Option<u64>,
    token_id: Option<Cow<'a, str>>,
    session_id: Option<Cow<'a, str>>,
    /// The subject cutoff the token was minted under ([`CUTOFF_CLAIM`]).
    cutoff: Option<Cutoff>,
    /// `scope`, split on whitespace when read.
    scope: Option<Cow<'a, str>>,
    /// `scp` when a string, split on whitespace when read.
    scp_string: Option<Cow<'a, str>>,
    /// `scp` when an array.
    scp_array: Vec<Cow<'a, str>>,
    amr: Vec<Cow<'a, str>>,
    extra: Vec<(Cow<'a, str>, Cow<'a, RawValue>)>,
    /// On owned claims (the verified-token cache keeps those, and admits them again on
    /// every request): the scopes, joined once.
    scopes_joined: Option<Scopes>,
    /// On owned claims: the roles read at the first path asked.
    roles_read: Option<OnceLock<RolesRead>>,
}

/// A [`RolesClaim`] and what [`Claims::roles`] read there.
type RolesRead = (RolesClaim, Result<Vec<String>, TokenError>);

/// One string or an array of them, without allocating for the single string.
#[derive(Debug, Clone)]
enum StrList<'a> {
    One(Cow<'a, str>),
    Many(Vec<Cow<'a, str>>),
}

impl<'a> StrList<'a> {
    fn as_slice(&self) -> &[Cow<'a, str>] {
        match self {
            StrList::One(item) => std::slice::from_ref(item),
            StrList::Many(items) => items,
        }
    }

    fn into_owned(self) -> StrList<'static> {
        match self {
            StrList::One(item) => StrList::One(own(item)),
            StrList::Many(items) => StrList::Many(own_all(items)),
        }
    }
}

fn own(s: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(s.into_owned())
}

fn own_all(v: Vec<Cow<'_, str>>) -> Vec<Cow<'static, str>> {
    v.into_iter().map(own).collect()
}

impl<'a> Claims<'a> {
    /// Parses a JWT claims set. JSON errors (including a repeated member name) are
    /// [`TokenError::Malformed`]; a registered claim of the wrong type is
    /// [`TokenError::InvalidClaim`], never skipped.
    pub(crate) fn parse(payload: &'a [u8]) -> Result<Self, TokenError> {
        let mut deserializer = serde_json::Deserializer::from_slice(payload);
        let raw = deserializer
            .deserialize_map(ClaimsVisitor)
            .map_err(|_| TokenError::Malformed)?;
        deserializer.end().map_err(|_| TokenError::Malformed)?;
        raw.into_claims()
    }

    /// The subject (`sub`): who the token is about.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The issuer (`iss`).
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The audiences (`aud`), whether the token sent one string or an array.
    pub fn audience(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.audience.as_slice().iter().map(AsRef::as_ref)
    }

    /// When the token expires (`exp`).
    pub fn expires_at(&self) -> SystemTime {
        to_system_time(self.expires_at)
    }

    /// When the token starts being valid (`nbf`).
    pub fn not_before(&self) -> Option<SystemTime> {
        self.not_before.map(to_system_time)
    }

    /// When the token was issued (`iat`).
    pub fn issued_at(&self) -> Option<SystemTime> {
        self.issued_at.map(to_system_time)
    }

    /// When the user last actively authenticated (`auth_time`, `OpenID` Connect).
    pub fn auth_time(&self) -> Option<SystemTime> {
        self.auth_time.map(to_system_time)
    }

    /// The token's unique id (`jti`).
    pub fn token_id(&self) -> Option<&str> {
        self.token_id.as_deref()
    }

    /// The login session the token belongs to (`sid`, `OpenID` Connect
    /// Front-Channel Logout §3): revoking it revokes every token of the session.
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// The subject cutoff the token was minted under: the private claim
    /// [`CUTOFF_CLAIM`] this crate's issuer writes, a non-negative integer. The
    /// revocation check judges a token that carries it by it (see
    /// [`revocation::cutoff`](crate::revocation::cutoff)).
    pub fn subject_cutoff(&self) -> Option<Cutoff> {
        self.cutoff
    }

    /// The scopes granted: the space-separated `scope` claim (RFC 8693, RFC 9068)
    /// together with `scp`, an array or a space-separated string as some identity
    /// providers send it.
    ///
    /// ```
    /// # use auth_core::jwt::Claims;
    /// fn can_read(claims: &Claims<'_>) -> bool {
    ///     claims.scopes().contains("orders:read")
    /// }
    /// ```
    pub fn scopes(&self) -> Scopes {
        if let Some(scopes) = &self.scopes_joined {
            return scopes.clone();
        }
        match (&self.scope, &self.scp_string) {
            (Some(scope), None) if self.scp_array.is_empty() => Scopes::from_space_separated(scope),
            _ => Scopes::joined(self.scope_items()),
        }
    }

    /// Whether `scope` is granted, compared exactly.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope_items().any(|s| s == scope)
    }

    /// `scope`, then `scp`, as the token lists them.
    fn scope_items(&self) -> impl Iterator<Item = &str> + Clone {
        self.scope
            .as_deref()
            .into_iter()
            .chain(self.scp_string.as_deref())
            .flat_map(str::split_ascii_whitespace)
            .chain(self.scp_array.iter().map(AsRef::as_ref))
    }

    /// The authentication methods (`amr`, RFC 8176).
    pub fn amr(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.amr.iter().map(AsRef::as_ref)
    }

    /// The authentication context class (`acr`, `OpenID` Connect Core §2), if
    /// the token states one.
    ///
    /// # Errors
    ///
    /// [`TokenError::InvalidClaim`]`("acr")` when it is not a string.
    pub fn acr(&self) -> Result<Option<String>, TokenError> {
        self.get::<String>("acr")
    }

    /// Whether the token was issued to a guest: the private claim
    /// [`GUEST_CLAIM`](super::GUEST_CLAIM) is `true`, as
    /// [`TokenIssuer::issue_guest_token`](super::TokenIssuer::issue_guest_token)
    /// writes it. The authenticator then gives the principal
    /// [`Mechanism::Guest`](crate::Mechanism::Guest).
    ///
    /// # Errors
    ///
    /// [`TokenError::InvalidClaim`] when the claim is there but not a boolean.
    pub fn is_guest(&self) -> Result<bool, TokenError> {
        Ok(self.get::<bool>(super::GUEST_CLAIM)?.unwrap_or(false))
    }

    /// Whether the token carries the claim `name` besides the registered claims
    /// above.
    pub fn contains(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }

    /// Reads the claim `name` (not one of the registered claims with an accessor) as
    /// `T`: `Ok(None)` when absent, [`TokenError::InvalidClaim`] when it is not a `T`.
    ///
    /// # Errors
    ///
    /// [`TokenError::InvalidClaim`]`(name)` when the claim is not a `T`.
    ///
    /// ```
    /// # use auth_core::jwt::Claims;
    /// # use auth_core::TokenError;
    /// fn tenant<'c>(claims: &'c Claims<'_>) -> Result<&'c str, TokenError> {
    ///     claims.get("tenant")?.ok_or(TokenError::MissingClaim("tenant"))
    /// }
    /// ```
    pub fn get<'s, T: Deserialize<'s>>(
        &'s self,
        name: &'static str,
    ) -> Result<Option<T>, TokenError> {
        self.raw(name)
            .map(|raw| serde_json::from_str(raw.get()).map_err(|_| TokenError::InvalidClaim(name)))
            .transpose()
    }

    /// The roles at `claim`: an array of strings (or one string) at a claim path
    /// such as Keycloak's `realm_access.roles`. An absent path has no roles; a path
    /// through a non-object, or roles of another type, is
    /// [`TokenError::InvalidClaim`]`("roles")`.
    ///
    /// # Errors
    ///
    /// [`TokenError::InvalidClaim`]`("roles")` for a value of the wrong shape.
    ///
    /// ```
    /// # use auth_core::jwt::{Claims, RolesClaim};
    /// # use auth_core::TokenError;
    /// fn is_admin(claims: &Claims<'_>) -> Result<bool, TokenError> {
    ///     let roles = claims.roles(&RolesClaim::keycloak_realm())?;
    ///     Ok(roles.iter().any(|role| role == "admin"))
    /// }
    /// ```
    pub fn roles(&self, claim: &RolesClaim) -> Result<Vec<String>, TokenError> {
        let Some(read) = &self.roles_read else {
            return self.read_roles(claim);
        };
        if let Some((at, roles)) = read.get() {
            return if at == claim {
                roles.clone()
            } else {
                self.read_roles(claim)
            };
        }
        let roles = self.read_roles(claim);
        // Another thread may have been first; it read the same claims.
        let _ = read.set((claim.clone(), roles.clone()));
        roles
    }

    fn read_roles(&self, claim: &RolesClaim) -> Result<Vec<String>, TokenError> {
        const INVALID: TokenError = TokenError::InvalidClaim("roles");
        let mut segments = claim.segments_iter();
        let Some(mut raw) = segments.next().and_then(|first| self.raw(first)) else {
            return Ok(Vec::new());
        };
        for segment in segments {
            match member(raw, segment).map_err(|_| INVALID)? {
                Some(next) => raw = next,
                None => return Ok(Vec::new()),
            }
        }
        serde_json::from_str::<RoleList>(raw.get())
            .map(|RoleList(roles)| roles)
            .map_err(|_| INVALID)
    }

    /// The same claims, owning their strings. They keep the [`scopes`](Self::scopes)
    /// joined and remember the roles read at the first [`RolesClaim`] asked, so
    /// reading either again costs a copy, not a parse.
    pub fn into_owned(self) -> Claims<'static> {
        let scopes_joined = Some(self.scopes());
        Claims {
            subject: own(self.subject),
            issuer: self.issuer.map(own),
            audience: self.audience.into_owned(),
            expires_at: self.expires_at,
            not_before: self.not_before,
            issued_at: self.issued_at,
            auth_time: self.auth_time,
            token_id: self.token_id.map(own),
            session_id: self.session_id.map(own),
            cutoff: self.cutoff,
            scope: self.scope.map(own),
            scp_string: self.scp_string.map(own),
            scp_array: own_all(self.scp_array),
            amr: own_all(self.amr),
            extra: self
                .extra
                .into_iter()
                .map(|(name, raw)| (own(name), Cow::Owned(raw.into_owned())))
                .collect(),
            scopes_joined,
            roles_read: Some(self.roles_read.unwrap_or_default()),
        }
    }

    pub(crate) fn expires_at_secs(&self) -> u64 {
        self.expires_at
    }

    pub(crate) fn not_before_secs(&self) -> Option<u64> {
        self.not_before
    }

    pub(crate) fn issued_at_secs(&self) -> Option<u64> {
        self.issued_at
    }

    fn raw(&self, name: &str) -> Option<&RawValue> {
        self.extra
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, raw)| raw.as_ref())
    }
}

fn to_system_time(secs: u64) -> SystemTime {
    // `secs` is at most MAX_NUMERIC_DATE, far from overflowing.
    UNIX_EPOCH
        .checked_add(Duration::from_secs(secs))
        .unwrap_or(UNIX_EPOCH)
}

/// The member `name` of the JSON object `raw`: `Ok(None)` when absent, an error
/// when `raw` is not an object.
fn member<'r>(raw: &'r RawValue, name: &str) -> Result<Option<&'r RawValue>, serde_json::Error> {
    struct Find<'n>(&'n str);

    impl<'de> Visitor<'de> for Find<'_> {
        type Value = Option<&'de RawValue>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(CowStr(key)) = map.next_key()? {
                if key == self.0 {
                    found = Some(map.next_value()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }

    let mut deserializer = serde_json::Deserializer::from_str(raw.get());
    deserializer.deserialize_map(Find(name))
}

/// Roles as a claim holds them: one string, or an array of strings. Anything else is
/// an error.
struct RoleList(Vec<String>);

impl<'de> Deserialize<'de> for RoleList {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RoleListVisitor;

        impl<'de> Visitor<'de> for RoleListVisitor {
            type Value = RoleList;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }

            fn visit_str<E: de::Error>(self, role: &str) -> Result<RoleList, E> {
                Ok(RoleList(vec![role.to_owned()]))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RoleList, A::Error> {
                let mut roles = Vec::new();
                while let Some(role) = seq.next_element::<String>()? {
                    roles.push(role);
                }
                Ok(RoleList(roles))
            }
        }

        deserializer.deserialize_any(RoleListVisitor)
    }
}

/// The claims as read, before their types are checked.
#[derive(Default)]
struct RawClaims<'a> {
    iss: Option<Loose<'a>>,
    sub: Option<Loose<'a>>,
    aud: Option<Loose<'a>>,
    exp: Option<Loose<'a>>,
    nbf: Option<Loose<'a>>,
    iat: Option<Loose<'a>>,
    jti: Option<Loose<'a>>,
    sid: Option<Loose<'a>>,
    cutoff: Option<Loose<'a>>,
    auth_time: Option<Loose<'a>>,
    scope: Option<Loose<'a>>,
    scp: Option<Loose<'a>>,
    amr: Option<Loose<'a>>,
    extra: Vec<(Cow<'a, str>, Cow<'a, RawValue>)>,
}

impl<'a> RawClaims<'a> {
    fn into_claims(self) -> Result<Claims<'a>, TokenError> {
        let subject = match self.sub {
            None => return Err(TokenError::MissingClaim("sub")),
            Some(Loose::Str(sub)) if !sub.is_empty() => sub,
            Some(_) => return Err(TokenError::InvalidClaim("sub")),
        };
        let expires_at = match self.exp {
            None => return Err(TokenError::MissingClaim("exp")),
            Some(exp) => numeric_date(&exp).ok_or(TokenError::InvalidClaim("exp"))?,
        };
        let audience = match self.aud {
            None => StrList::Many(Vec::new()),
            Some(Loose::Str(aud)) => StrList::One(aud),
            Some(Loose::Array(items)) => {
                StrList::Many(strings(items).ok_or(TokenError::InvalidClaim("aud"))?)
            }
            Some(_) => return Err(TokenError::InvalidClaim("aud")),
        };
        let scope = optional_string(self.scope, "scope")?;
        let (scp_string, scp_array) = match self.scp {
            None => (None, Vec::new()),
            Some(Loose::Str(scp)) => (Some(scp), Vec::new()),
            Some(Loose::Array(items)) => {
                (None, strings(items).ok_or(TokenError::InvalidClaim("scp"))?)
            }
            Some(_) => return Err(TokenError::InvalidClaim("scp")),
        };
        let amr = match self.amr {
            None => Vec::new(),
            Some(Loose::Array(items)) => strings(items).ok_or(TokenError::InvalidClaim("amr"))?,
            Some(_) => return Err(TokenError::InvalidClaim("amr")),
        };
        let cutoff = match self.cutoff {
            None => None,
            Some(Loose::UInt(millis)) => Some(Cutoff::from_millis(millis)),
            Some(_) => return Err(TokenError::InvalidClaim(CUTOFF_CLAIM)),
        };
        Ok(Claims {
            subject,
            issuer: optional_string(self.iss, "iss")?,
            audience,
            expires_at,
            not_before: optional_date(self.nbf, "nbf")?,
            issued_at: optional_date(self.iat, "iat")?,
            auth_time: optional_date(self.auth_time, "auth_time")?,
            token_id: optional_string(self.jti, "jti")?,
            session_id: optional_string(self.sid, "sid")?,
            cutoff,
            scope,
            scp_string,
            scp_array,
            amr,
            extra: self.extra,
            scopes_joined: None,
            roles_read: None,
        })
    }
}

fn optional_string<'a>(
    value: Option<Loose<'a>>,
    claim: &'static str,
) -> Result<Option<Cow<'a, str>>, TokenError> {
    match value {
        None => Ok(None),
        Some(Loose::Str(s)) => Ok(Some(s)),
        Some(_) => Err(TokenError::InvalidClaim(claim)),
    }
}

fn optional_date(value: Option<Loose<'_>>, claim: &'static str) -> Result<Option<u64>, TokenError> {
    value
        .map(|v| numeric_date(&v).ok_or(TokenError::InvalidClaim(claim)))
        .transpose()
}

/// A `NumericDate` (RFC 7519 §2): a JSON number of seconds, possibly fractional.
/// Anything else — a string, a negative or absurdly large number — is refused.
fn numeric_date(value: &Loose<'_>) -> Option<u64> {
    match *value {
        Loose::UInt(secs) if secs <= MAX_NUMERIC_DATE => Some(secs),
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "the value is finite, non-negative and at most MAX_NUMERIC_DATE"
        )]
        Loose::Float(secs)
            if secs.is_finite() && secs >= 0.0 && secs <= MAX_NUMERIC_DATE as f64 =>
        {
            Some(secs.floor() as u64)
        }
        _ => None,
    }
}

fn strings(items: Vec<Loose<'_>>) -> Option<Vec<Cow<'_, str>>> {
    items
        .into_iter()
        .map(|item| match item {
            Loose::Str(s) => Some(s),
            _ => None,
        })
        .collect()
}

struct ClaimsVisitor;

impl<'de> Visitor<'de> for ClaimsVisitor {
    type Value = RawClaims<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims set")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawClaims<'de>, A::Error> {
        // A repeated registered claim is found by a bit per name, a repeated other
        // claim among the others already kept: no name is copied for the check.
        let mut seen = 0_u16;
        let mut extra_names: Option<HashSet<Cow<'de, str>>> = None;
        let mut raw = RawClaims::default();
        while let Some(CowStr(name)) = map.next_key()? {
            let (bit, slot) = match name.as_ref() {
                "iss" => (1 << 0, &mut raw.iss),
                "sub" => (1 << 1, &mut raw.sub),
                "aud" => (1 << 2, &mut raw.aud),
                "exp" => (1 << 3, &mut raw.exp),
                "nbf" => (1 << 4, &mut raw.nbf),
                "iat" => (1 << 5, &mut raw.iat),
                "jti" => (1 << 6, &mut raw.jti),
                "sid" => (1 << 7, &mut raw.sid),
                "auth_time" => (1 << 8, &mut raw.auth_time),
                "scope" => (1 << 9, &mut raw.scope),
                "scp" => (1 << 10, &mut raw.scp),
                "amr" => (1 << 11, &mut raw.amr),
                CUTOFF_CLAIM => (1 << 12, &mut raw.cutoff),
                _ => {
                    if repeats(&raw.extra, &mut extra_names, &name) {
                        return Err(de::Error::custom("duplicate member name"));
                    }
                    let value: &'de RawValue = map.next_value()?;
                    // Skipping a value checks its syntax only: an object in it may
                    // repeat a member, an escape may name a lone surrogate, a number may
                    // overflow. Parse it once more, as every other value is parsed,
                    // unless skipping checked it all.
                    if !is_plain(value.get()) {
                        strict_json::check_no_duplicates(value.get()).map_err(de::Error::custom)?;
                    }
                    raw.extra.push((name, Cow::Borrowed(value)));
                    continue;
                }
            };
            if seen & bit != 0 {
                return Err(de::Error::custom("duplicate member name"));
            }
            seen |= bit;
            *slot = Some(map.next_value()?);
        }
        Ok(raw)
    }
}

/// Whether the raw JSON value is a string without escapes, `true`, `false` or `null`:
/// values that skipping them fully checked.
fn is_plain(raw: &str) -> bool {
    (raw.starts_with('"') && !raw.contains('\\')) || matches!(raw, "true" | "false" | "null")
}

/// Whether `name` is already one of the `extra` claims. Up to
/// [`LINEAR_SCAN_LIMIT`] of them are scanned; past that their names go to a set.
#[allow(clippy::ptr_arg, reason = "the set keeps the name as a `Cow`")]
fn repeats<'de>(
    extra: &[(Cow<'de, str>, Cow<'de, RawValue>)],
    names: &mut Option<HashSet<Cow<'de, str>>>,
    name: &Cow<'de, str>,
) -> bool {
    if let Some(names) = names {
        return !names.insert(name.clone());
    }
    if extra.iter().any(|(seen, _)| seen == name) {
        return true;
    }
    if extra.len() >= LINEAR_SCAN_LIMIT {
        let mut set: HashSet<Cow<'de, str>> = extra.iter().map(|(seen, _)| seen.clone()).collect();
        set.insert(name.clone());
        *names = Some(set);
    }
    false
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    fn parse(json: &str) -> Result<Claims<'_>, TokenError> {
        Claims::parse(json.as_bytes())
    }

    #[test]
    fn registered_claims_are_typed() {
        let claims = parse(
            r#"{"sub":"u1","exp":2000000000.7,"iat":1,"aud":["a","b"],"scope":"x y","scp":["z"],"amr":["pwd"],"tenant":"t"}"#,
        );
        let Ok(claims) = claims else {
            panic!("valid claims refused: {claims:?}");
        };
        assert_eq!(claims.subject(), "u1");
        assert_eq!(claims.expires_at_secs(), 2_000_000_000);
        assert_eq!(claims.subject_cutoff(), None);
        let Ok(marked) = parse(r#"{"sub":"u","exp":2000000000,"urn:auth-core:cutoff":0}"#) else {
            panic!("a marked token refused");
        };
        assert_eq!(marked.subject_cutoff(), Some(Cutoff::NONE));
        assert!(!marked.contains(CUTOFF_CLAIM));
        assert_eq!(marked.into_owned().subject_cutoff(), Some(Cutoff::NONE));
        assert_eq!(claims.audience().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(claims.scopes().as_str(), "x y z");
        assert_eq!(claims.get::<&str>("tenant"), Ok(Some("t")));
        assert_eq!(
            claims.get::<u8>("tenant"),
            Err(TokenError::InvalidClaim("tenant"))
        );
        assert!(matches!(claims.subject, Cow::Borrowed(_)));
    }

    #[test]
    fn wrong_types_are_errors_not_skips() {
        let cases = [
            (
                r#"{"sub":"u","exp":"2000000000"}"#,
                TokenError::InvalidClaim("exp"),
            ),
            (
                r#"{"sub":"u","exp":2000000000,"nbf":"1"}"#,
                TokenError::InvalidClaim("nbf"),
            ),
            (
                r#"{"sub":"u","exp":2000000000,"iat":null}"#,
                TokenError::InvalidClaim("iat"),
            ),
            (r#"{"sub":"u","exp":-1}"#, TokenError::InvalidClaim("exp")),
            (
                r#"{"sub":"u","exp":1e300}"#,
                TokenError::InvalidClaim("exp"),
            ),
            (
                r#"{"sub":"u","exp":2000000000,"aud":[1]}"#,
                TokenError::InvalidClaim("aud"),
            ),
            (
                r#"{"sub":"","exp":2000000000}"#,
                TokenError::InvalidClaim("sub"),
            ),
            (r#"{"sub":"u"}"#, TokenError::MissingClaim("exp")),
            (r#"{"exp":2000000000}"#, TokenError::MissingClaim("sub")),
            (
                r#"{"sub":"u","exp":1,"exp":2000000000}"#,
                TokenError::Malformed,
            ),
            (
                r#"{"sub":"u","exp":2000000000,"x":{"a":1,"a":2}}"#,
                TokenError::Malformed,
            ),
            (
                r#"{"sub":"u","exp":1,"\u0065xp":2000000000}"#,
                TokenError::Malformed,
            ),
            (
                r#"{"sub":"u","exp":2000000000,"x":1,"y":2,"x":3}"#,
                TokenError::Malformed,
            ),
            (
                r#"{"sub":"u","exp":2000000000,"x":[1,{"a":[{"b":1,"b":2}]}]}"#,
                TokenError::Malformed,
            ),
            (r"[1]", TokenError::Malformed),
            // The revocation mark is a registered claim of this crate: typed.
            (
                r#"{"sub":"u","exp":2000000000,"urn:auth-core:cutoff":"5"}"#,
                TokenError::InvalidClaim(CUTOFF_CLAIM),
            ),
            (
                r#"{"sub":"u","exp":2000000000,"urn:auth-core:cutoff":1.5}"#,
                TokenError::InvalidClaim(CUTOFF_CLAIM),
            ),
            (
                r#"{"sub":"u","exp":2000000000,"urn:auth-core:cutoff":-1}"#,
                TokenError::InvalidClaim(CUTOFF_CLAIM),
            ),
            (
                r#"{"sub":"u","exp":2000000000,"urn:auth-core:cutoff":null}"#,
                TokenError::InvalidClaim(CUTOFF_CLAIM),
            ),
            (
                r#"{"sub":"u","exp":2000000000,"urn:auth-core:cutoff":1,"urn:auth-core:cutoff":2}"#,
                TokenError::Malformed,
            ),
            ("", TokenError::Malformed),
        ];
        for (json, expected) in cases {
            assert_eq!(parse(json).err(), Some(expected), "{json}");
        }
    }

    /// Found by the `claims` fuzz target (`fuzz/`): a claim kept raw was parsed again
    /// only when it held an object, so a lone surrogate escape or a number beyond
    /// `f64` passed there, while the same value in `sub` or inside an object was
    /// `Malformed`.
    #[test]
    fn every_claim_is_checked_as_strictly() {
        for json in [
            r#"{"sub":"\ud83d\ude00","e":"\ud66d\ude00","exp":2000000000,"a":{"b":{"c":["r"]}}}"#,
            r#"{"sub":"u0","exp":0,"groups":200004444444444444444444444444444444444444444444444444444E4444444444444444444444444444444400}"#,
            r#"{"sub":"u","exp":2000000000,"e":"\ude00"}"#,
            r#"{"sub":"u","exp":2000000000,"e":["x","\ud83d"]}"#,
            r#"{"sub":"u","exp":2000000000,"e":{"k":"\ud83d"}}"#,
            r#"{"sub":"\ud83d","exp":2000000000}"#,
            r#"{"sub":"u","exp":2000000000,"n":1e400}"#,
            r#"{"sub":"u","exp":2000000000,"n":[-1e400]}"#,
            r#"{"sub":"u","exp":2000000000,"n":{"m":1e400}}"#,
            r#"{"sub":"u","exp":1e400}"#,
        ] {
            assert_eq!(parse(json).err(), Some(TokenError::Malformed), "{json}");
        }
        for plain in [r#""a b""#, "true", "false", "null"] {
            assert!(is_plain(plain), "{plain}");
        }
        for checked in [r#""a\"b""#, "1", "[]", "{}", "-0.5"] {
            assert!(!is_plain(checked), "{checked}");
        }
        let Ok(claims) = parse(r#"{"sub":"u","exp":2000000000,"e":"\ud83d\ude00\n\u0041"}"#) else {
            panic!("valid escapes refused");
        };
        assert_eq!(
            claims.get::<String>("e"),
            Ok(Some("\u{1f600}\nA".to_owned()))
        );
    }

    #[test]
    fn duplicates_among_many_claims_are_found() {
        let mut json = String::from(r#"{"sub":"u","exp":2000000000"#);
        for i in 0..40 {
            let _ = write!(json, r#","c{i}":"{{""#);
        }
        assert!(parse(&format!("{json}}}")).is_ok());
        for repeated in ["c0", "c15", "c16", "c39", "sub"] {
            let duplicated = format!(r#"{json},"{repeated}":1}}"#);
            assert_eq!(
                parse(&duplicated).err(),
                Some(TokenError::Malformed),
                "{repeated}"
            );
        }
    }

    #[test]
    fn scopes_join_scope_and_scp() {
        let Ok(claims) =
            parse(r#"{"sub":"u","exp":2000000000,"scope":" a\tb  c ","scp":["d","e f",""]}"#)
        else {
            panic!("valid claims refused");
        };
        assert_eq!(claims.scopes().as_str(), "a b c d");
        assert!(claims.has_scope("b"));
        assert!(
            claims.has_scope("e f"),
            "has_scope compares the claim's items"
        );
        assert!(!claims.scopes().contains("e f"));
        let owned = claims.clone().into_owned();
        assert_eq!(owned.scopes(), claims.scopes());
        assert!(owned.has_scope("e f"));

        let Ok(claims) = parse(r#"{"sub":"u","exp":2000000000,"scope":"x","scp":"y  z"}"#) else {
            panic!("valid claims refused");
        };
        assert_eq!(claims.scopes().as_str(), "x y z");
        assert_eq!(claims.into_owned().scopes().as_str(), "x y z");

        let Ok(claims) = parse(r#"{"sub":"u","exp":2000000000,"scope":"x y"}"#) else {
            panic!("valid claims refused");
        };
        assert_eq!(claims.scopes().as_str(), "x y");
        let Ok(claims) = parse(r#"{"sub":"u","exp":2000000000}"#) else {
            panic!("valid claims refused");
        };
        assert!(claims.scopes().is_empty());
        assert_eq!(
            parse(r#"{"sub":"u","exp":2000000000,"scope":["x"]}"#).err(),
            Some(TokenError::InvalidClaim("scope"))
        );
    }

    #[test]
    fn roles_follow_a_path() {
        let json = r#"{"sub":"u","exp":2000000000,"realm_access":{"roles":["admin","user"]},"groups":"ops","bad":{"roles":[1]}}"#;
        let Ok(claims) = parse(json) else {
            panic!("valid claims refused");
        };
        assert_eq!(
            claims.roles(&RolesClaim::keycloak_realm()),
            Ok(vec!["admin".to_owned(), "user".to_owned()])
        );
        assert_eq!(
            claims.roles(&RolesClaim::top_level("groups")),
            Ok(vec!["ops".to_owned()])
        );
        assert_eq!(
            claims.roles(&RolesClaim::path("missing.roles")),
            Ok(Vec::new())
        );
        assert_eq!(
            claims.roles(&RolesClaim::path("bad.roles")),
            Err(TokenError::InvalidClaim("roles"))
        );
        assert_eq!(
            claims.roles(&RolesClaim::path("groups.roles")),
            Err(TokenError::InvalidClaim("roles"))
        );
        let owned = claims.into_owned();
        for _ in 0..2 {
            assert_eq!(
                owned.roles(&RolesClaim::top_level("groups")),
                Ok(vec!["ops".to_owned()])
            );
            assert_eq!(
                owned.roles(&RolesClaim::keycloak_realm()),
                Ok(vec!["admin".to_owned(), "user".to_owned()])
            );
            assert_eq!(
                owned.clone().roles(&RolesClaim::path("bad.roles")),
                Err(TokenError::InvalidClaim("roles"))
            );
        }
        // Owned claims that first read an error remember it, and still read others.
        let Ok(bad) = parse(json).map(Claims::into_owned) else {
            panic!("valid claims refused");
        };
        for _ in 0..2 {
            assert_eq!(
                bad.roles(&RolesClaim::path("bad.roles")),
                Err(TokenError::InvalidClaim("roles"))
            );
            assert_eq!(
                bad.roles(&RolesClaim::top_level("groups")),
                Ok(vec!["ops".to_owned()])
            );
        }
    }
}
