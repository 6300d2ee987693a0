//! JSON as a verifier must read it: one value per member name.
//!
//! `serde_json` keeps the last of two members with the same name, and a derived
//! struct only notices duplicates of the fields it knows. Two parsers that disagree
//! on which duplicate wins are how a token says one thing to a gateway and another to
//! the service behind it, so every object here is checked, at every depth, while it
//! is parsed. The helpers also keep strings borrowed from the input where no escape
//! forces a copy.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// The member name `serde_json` uses to smuggle a number through a map when a crate in
/// the build enables its `arbitrary_precision` feature (Cargo unifies features).
const ARBITRARY_PRECISION_NUMBER: &str = "$serde_json::private::Number";

/// Objects up to this many members are checked for duplicates with a linear scan.
pub(crate) const LINEAR_SCAN_LIMIT: usize = 16;

/// A string that borrows from the input unless it had escapes.
#[derive(Debug)]
pub(crate) struct CowStr<'a>(pub(crate) Cow<'a, str>);

impl<'de> Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CowStrVisitor;

        impl<'de> Visitor<'de> for CowStrVisitor {
            type Value = CowStr<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
        }

        deserializer.deserialize_str(CowStrVisitor)
    }
}

/// Remembers the member names of one object and refuses a repeat.
pub(crate) struct MemberNames<'a> {
    names: Vec<Cow<'a, str>>,
    set: Option<HashSet<Cow<'a, str>>>,
}

impl<'a> MemberNames<'a> {
    pub(crate) fn new() -> Self {
        MemberNames {
            names: Vec::new(),
            set: None,
        }
    }

    /// Records `name`; an error if it was already seen.
    pub(crate) fn insert<E: de::Error>(&mut self, name: Cow<'a, str>) -> Result<(), E> {
        let fresh = match &mut self.set {
            Some(set) => set.insert(name),
            None if self.names.len() < LINEAR_SCAN_LIMIT => {
                let fresh = !self.names.contains(&name);
                self.names.push(name);
                fresh
            }
            None => {
                let mut set: HashSet<Cow<'a, str>> = self.names.drain(..).collect();
                let fresh = set.insert(name);
                self.set = Some(set);
                fresh
            }
        };
        if fresh {
            Ok(())
        } else {
            Err(E::custom("duplicate member name"))
        }
    }
}

/// Any JSON value, checked for duplicate member names at every depth and discarded.
pub(crate) struct NoDuplicates;

impl<'de> Deserialize<'de> for NoDuplicates {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NoDuplicatesVisitor)
    }
}

struct NoDuplicatesVisitor;

impl<'de> Visitor<'de> for NoDuplicatesVisitor {
    type Value = NoDuplicates;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }

    fn visit_unit<E: de::Error>(self) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NoDuplicates, A::Error> {
        while seq.next_element::<NoDuplicates>()?.is_some() {}
        Ok(NoDuplicates)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NoDuplicates, A::Error> {
        let mut names = MemberNames::new();
        while let Some(CowStr(name)) = map.next_key()? {
            names.insert(name)?;
            map.next_value::<NoDuplicates>()?;
        }
        Ok(NoDuplicates)
    }
}

/// Checks a whole JSON document for duplicate member names.
pub(crate) fn check_no_duplicates(json: &str) -> Result<(), serde_json::Error> {
    serde_json::from_str::<NoDuplicates>(json).map(|NoDuplicates| ())
}

/// A JSON value read without committing to its type, so that a claim of the wrong
/// type becomes a typed error for that claim instead of a generic parse failure.
#[derive(Debug)]
pub(crate) enum Loose<'a> {
    Bool(bool),
    UInt(u64),
    /// A negative integer: no claim this crate reads may be one.
    NegInt,
    Float(f64),
    Str(Cow<'a, str>),
    Array(Vec<Loose<'a>>),
    /// `null` or an object (already checked for duplicates).
    Other,
}

impl<'de> Deserialize<'de> for Loose<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Loose<'de>, E> {
        Ok(Loose::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Loose<'de>, E> {
        Ok(u64::try_from(v).map_or(Loose::NegInt, Loose::UInt))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Loose<'de>, E> {
        Ok(Loose::UInt(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Loose<'de>, E> {
        Ok(Loose::Float(v))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Owned(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Loose<'de>, E> {
        Ok(Loose::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose<'de>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Loose::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose<'de>, A::Error> {
        let mut names = MemberNames::new();
        let mut first = true;
        while let Some(CowStr(name)) = map.next_key()? {
            if first && name == ARBITRARY_PRECISION_NUMBER {
                let CowStr(number) = map.next_value()?;
                return parse_number(&number).ok_or_else(|| de::Error::custom("invalid number"));
            }
            first = false;
            names.insert(name)?;
            map.next_value::<NoDuplicates>()?;
        }
        Ok(Loose::Other)
    }
}

fn parse_number<'a>(text: &str) -> Option<Loose<'a>> {
    if let Ok(n) = text.parse::<u64>() {
        return Some(Loose::UInt(n));
    }
    if text.parse::<i64>().is_ok() {
        return Some(Loose::NegInt);
    }
    text.parse::<f64>().ok().map(Loose::Float)
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    #[test]
    fn duplicates_are_found_at_any_depth() {
        assert!(check_no_duplicates(r#"{"a":1,"b":{"c":[{"d":1}]}}"#).is_ok());
        assert!(check_no_duplicates(r#"{"a":1,"a":2}"#).is_err());
        assert!(check_no_duplicates(r#"{"a":{"b":1,"b":1}}"#).is_err());
        assert!(check_no_duplicates(r#"[{"x":1,"x":1}]"#).is_err());
        // An escape does not hide a duplicate.
        assert!(check_no_duplicates(r#"{"a":1,"\u0061":2}"#).is_err());
    }

    #[test]
    fn large_objects_switch_to_a_set() {
        let mut json = String::from("{");
        for i in 0..40 {
            let _ = write!(json, "\"k{i}\":{i},");
        }
        json.push_str("\"k7\":0}");
        assert!(check_no_duplicates(&json).is_err());
        json.truncate(json.len() - "\"k7\":0}".len());
        json.push_str("\"k40\":0}");
        assert!(check_no_duplicates(&json).is_ok());
    }

    #[test]
    fn loose_values_keep_their_type() {
        let value: Loose<'_> =
            serde_json::from_str(r#"["a", 1, -2, 1.5, true, null, {}]"#).unwrap_or(Loose::Other);
        let Loose::Array(items) = value else {
            panic!("not an array");
        };
        assert!(matches!(
            items.as_slice(),
            [
                Loose::Str(_),
                Loose::UInt(1),
                Loose::NegInt,
                Loose::Float(_),
                Loose::Bool(true),
                Loose::Other,
                Loose::Other
            ]
        ));
    }
}
