//! Reading a `POST /customers` body without letting its size decide what it costs: the array
//! is walked item by item and refused at its 101st item, each item is kept as its raw text
//! (borrowed from the body, no copy), and only one item at a time becomes JSON values, once
//! its size as sent was checked. A 25 MiB `[0,0,0,…]` therefore costs a scan of 101 items,
//! not a 1.8 GB `Value`.
//!
//! Two rules serde_json does not enforce by itself: an object with the same key twice is
//! malformed (serde_json would keep the last one silently), and numbers keep the exact text
//! they were sent with (the workspace enables serde_json's `arbitrary_precision`, so
//! `12345678901234567890123` is not rounded to `1.2345678901234568e+22`).

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;

use actix_web::web::Bytes;
use clientela_core::{BatchLength, FieldError, MAX_BATCH};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::ApiError;

/// The most bytes one customer may take as sent: a maximal customer (60000 characters of
/// metadata and four texts of 255 characters, every character 4 bytes of UTF-8, sent
/// compactly) takes about 245 000 bytes; 256 KiB leaves room for field names and some
/// whitespace. An item over it is refused without being parsed.
pub const MAX_ITEM_BYTES: usize = 256 * 1024;

/// A body split into its customers, each still raw JSON text.
#[derive(Debug)]
pub enum CustomersBody<'a> {
    One(&'a RawValue),
    Many(Vec<&'a RawValue>),
}

impl CustomersBody<'_> {
    /// How many customers the body holds (never none: an empty array is refused).
    pub fn count(&self) -> usize {
        match self {
            CustomersBody::One(_) => 1,
            CustomersBody::Many(items) => items.len(),
        }
    }
}

/// Splits `body` into customers, refusing malformed JSON (400), a duplicate key (400), an
/// empty array or one of more than [`MAX_BATCH`] items, and a body that is neither an
/// object nor an array (422).
pub fn split_customers(body: &[u8]) -> Result<CustomersBody<'_>, ApiError> {
    let text = std::str::from_utf8(body).map_err(|error| {
        ApiError::MalformedJson(format!("the body is not valid UTF-8: {error}"))
    })?;
    let parsed = match text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .as_bytes()
        .first()
    {
        Some(b'{') => serde_json::from_str::<&RawValue>(text)
            .map(CustomersBody::One)
            .map_err(malformed)?,
        Some(b'[') => split_array(text)?,
        _ => {
            serde_json::from_str::<IgnoredAny>(text).map_err(malformed)?;
            return Err(ApiError::Invalid {
                detail: "the body must be a customer object or an array of 1 to 100 of them".into(),
                errors: Vec::new(),
            });
        }
    };
    if let CustomersBody::Many(items) = &parsed {
        BatchLength::check(items.len())?;
    }
    let raws: &[&RawValue] = match &parsed {
        CustomersBody::One(raw) => std::slice::from_ref(raw),
        CustomersBody::Many(items) => items,
    };
    for (index, raw) in raws.iter().enumerate() {
        let place = match parsed {
            CustomersBody::One(_) => String::new(),
            CustomersBody::Many(_) => format!(" (item {index})"),
        };
        check_item(raw.get()).map_err(|problem| match problem {
            ItemProblem::DuplicateKey(key) => ApiError::MalformedJson(format!(
                "the key `{key}` appears twice in one object{place}"
            )),
            ItemProblem::Malformed(error) => {
                ApiError::MalformedJson(format!("the body is not valid JSON{place}: {error}"))
            }
        })?;
    }
    Ok(parsed)
}

/// The items of a batch, owning the body they are read from: each is parsed when the
/// iterator reaches it, and the body is freed with the iterator, once the last item has
/// become a patch, before the store's work (and its copies of the customers) begins.
#[derive(Debug)]
pub struct BatchItems {
    body: Bytes,
    ranges: std::vec::IntoIter<std::ops::Range<usize>>,
}

impl BatchItems {
    /// The items of `items`, which were split from `body`.
    pub fn new(body: Bytes, items: &[&RawValue]) -> BatchItems {
        let start = body.as_ptr() as usize;
        let ranges: Vec<_> = items
            .iter()
            .map(|raw| {
                let offset = raw.get().as_ptr() as usize - start;
                offset..offset + raw.get().len()
            })
            .collect();
        BatchItems {
            body,
            ranges: ranges.into_iter(),
        }
    }
}

impl Iterator for BatchItems {
    type Item = Result<Value, FieldError>;

    fn next(&mut self) -> Option<Self::Item> {
        let range = self.ranges.next()?;
        let text = self
            .body
            .get(range)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or_default();
        // The split walked this text already: it is one JSON value.
        Some(text_value(text))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ranges.size_hint()
    }
}

impl ExactSizeIterator for BatchItems {}

/// One customer's JSON, parsed only when it is no larger than [`MAX_ITEM_BYTES`].
pub fn item_value(raw: &RawValue) -> Result<Value, FieldError> {
    text_value(raw.get())
}

/// [`item_value`] of an item's text as the split found it.
fn text_value(text: &str) -> Result<Value, FieldError> {
    let bytes = text.len();
    if bytes > MAX_ITEM_BYTES {
        return Err(FieldError::TooLarge {
            bytes,
            max: MAX_ITEM_BYTES,
        });
    }
    // The text is valid JSON already (the split checked it), so this cannot fail; if it
    // somehow did, the item is refused as not an object rather than taken wrongly.
    serde_json::from_str(text).map_err(|_| FieldError::NotAnObject)
}

fn malformed(error: serde_json::Error) -> ApiError {
    ApiError::MalformedJson(format!("the body is not valid JSON: {error}"))
}

/// Walks a top-level array, keeping each item's raw text, and stops at item 101.
fn split_array(text: &str) -> Result<CustomersBody<'_>, ApiError> {
    let too_many = Cell::new(false);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let outcome = deserializer.deserialize_seq(RawItems {
        too_many: &too_many,
    });
    if too_many.get() {
        // Not read further: the one item too many is enough to refuse the batch.
        return Err(BatchLength { len: MAX_BATCH + 1 }.into());
    }
    let items = outcome.map_err(malformed)?;
    deserializer.end().map_err(malformed)?;
    Ok(CustomersBody::Many(items))
}

struct RawItems<'flag> {
    too_many: &'flag Cell<bool>,
}

impl<'de> Visitor<'de> for RawItems<'_> {
    type Value = Vec<&'de RawValue>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an array of customer objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            if items.len() == MAX_BATCH {
                self.too_many.set(true);
                return Err(de::Error::custom("too many items"));
            }
            items.push(item);
        }
        Ok(items)
    }
}

/// Why an item's text is malformed beyond what splitting the body checked: the split only
/// scans items (brackets and quotes), so string escapes (a lone surrogate `\ud800`), nesting
/// deeper than serde_json's limit of 128, and duplicate keys are found here.
enum ItemProblem {
    DuplicateKey(String),
    Malformed(serde_json::Error),
}

/// Walks one item's JSON: an item within [`MAX_ITEM_BYTES`] looking for duplicate keys too;
/// a larger one (refused later for its size, unparsed) without keeping anything, so that
/// malformed JSON is still 400 whatever its size.
fn check_item(json: &str) -> Result<(), ItemProblem> {
    let found = Cell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let outcome = UniqueKeysSeed {
        found: &found,
        track_keys: json.len() <= MAX_ITEM_BYTES,
    }
    .deserialize(&mut deserializer);
    match (found.into_inner(), outcome) {
        (Some(key), _) => Err(ItemProblem::DuplicateKey(key)),
        (None, Err(error)) => Err(ItemProblem::Malformed(error)),
        (None, Ok(())) => Ok(()),
    }
}

/// Walks any JSON value (within serde_json's nesting limit) and, with `track_keys`, stops at
/// the first object holding one key twice (noted in `found`). Without it, nothing is kept.
#[derive(Clone, Copy)]
struct UniqueKeysSeed<'found> {
    found: &'found Cell<Option<String>>,
    track_keys: bool,
}

impl<'de> DeserializeSeed<'de> for UniqueKeysSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeysSeed<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if !self.track_keys {
            while map.next_key::<IgnoredAny>()?.is_some() {
                map.next_value_seed(self)?;
            }
            return Ok(());
        }
        let mut keys = SeenKeys::default();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if let Some(key) = keys.insert(key) {
                self.found.set(Some(key.into_owned()));
                return Err(de::Error::custom("duplicate key"));
            }
            map.next_value_seed(self)?;
        }
        Ok(())
    }
}

/// An object key, borrowed from the body unless it holds escapes: checking a batch for
/// duplicate keys allocated a `String` per key, and twice that with the copy kept.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }
            fn visit_str<E>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// The keys of one object seen so far. A customer or its metadata mostly has a handful:
/// those are compared in a list; past [`SeenKeys::LIST`] they go into a hash set, so an
/// object of thousands of keys is not checked in quadratic time.
#[derive(Default)]
struct SeenKeys<'de> {
    list: Vec<Cow<'de, str>>,
    set: HashSet<Cow<'de, str>>,
}

impl<'de> SeenKeys<'de> {
    const LIST: usize = 16;

    /// Adds `key`; gives it back when it was there already.
    fn insert(&mut self, key: Cow<'de, str>) -> Option<Cow<'de, str>> {
        if self.set.is_empty() {
            if self.list.contains(&key) {
                return Some(key);
            }
            if self.list.len() < SeenKeys::LIST {
                self.list.push(key);
                return None;
            }
            self.set.extend(self.list.drain(..));
        }
        if self.set.contains(&key) {
            return Some(key);
        }
        self.set.insert(key);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The duplicate key `split_customers` names, if it refuses `body` for one.
    fn duplicate_in(body: &str) -> Option<String> {
        match split_customers(body.as_bytes()) {
            Err(ApiError::MalformedJson(message)) => message
                .split('`')
                .nth(1)
                .filter(|_| message.contains("appears twice"))
                .map(str::to_owned),
            _ => None,
        }
    }

    fn object(keys: impl Iterator<Item = String>) -> String {
        let fields: Vec<String> = keys.map(|key| format!("\"{key}\": 1")).collect();
        format!(
            "{{\"code\": \"K1\", \"metadata\": {{{}}}}}",
            fields.join(", ")
        )
    }

    #[test]
    fn duplicate_keys_are_found_however_many_keys_and_however_written() {
        // Past the first keys, which are compared in a list, the set takes over.
        let late = object((0..40).map(|n| format!("k{n}")).chain(["k3".to_owned()]));
        assert_eq!(duplicate_in(&late).as_deref(), Some("k3"));
        let early = object(["a", "b", "a"].into_iter().map(str::to_owned));
        assert_eq!(duplicate_in(&early).as_deref(), Some("a"));
        // The same key, once escaped: it is the same key.
        let escaped = r#"{"code": "K1", "metadata": {"tier": 1, "t\u0069er": 2}}"#;
        assert_eq!(duplicate_in(escaped).as_deref(), Some("tier"));
        // Many distinct keys are no duplicate, and the same key in two objects is none.
        let many = object((0..5000).map(|n| format!("k{n}")));
        assert!(split_customers(many.as_bytes()).is_ok());
        let siblings = r#"[{"code": "K1", "city": "a"}, {"code": "K2", "city": "b"}]"#;
        assert!(split_customers(siblings.as_bytes()).is_ok());
    }
}
