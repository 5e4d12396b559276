//! The stored customer and its JSON representation (what `GET /customers/{code}` answers),
//! shared by the API, which writes it, and the console, which reads it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::geo::Location;

/// A customer as stored, and as represented in JSON (camelCase, timestamps in RFC 3339;
/// written through [`CustomerJson`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub code: String,
    pub is_active: bool,
    /// As sent (an ISO numeric sent as a JSON integer is kept as its decimal string).
    pub country: Option<String>,
    pub state: Option<String>,
    pub city: Option<String>,
    pub year_born: Option<i32>,
    /// 0 unknown, 1 male, 2 female, 3 other.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u8>, minimum = 0, maximum = 3))]
    pub gender: Option<Gender>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub metadata: Option<Map<String, Value>>,
    /// What the resolver made of `country`, `state` and `city` when they were last written.
    pub location: Location,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    /// Starts at 1 and grows by one with every write that changes the customer.
    pub version: i64,
}

/// A customer's JSON representation, the one definition of its shape: a [`Customer`] is
/// written through it, and so is a customer read for the change feed, whose metadata is
/// written out as the JSON text it was stored as, never parsed (`clientela_store`'s
/// `FeedCustomer`). `M` is what stands for the metadata object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerJson<'a, M> {
    code: &'a str,
    is_active: bool,
    country: Option<&'a str>,
    state: Option<&'a str>,
    city: Option<&'a str>,
    year_born: Option<i32>,
    gender: Option<Gender>,
    metadata: Option<M>,
    location: &'a Location,
    created_at: Timestamp,
    updated_at: Timestamp,
    version: i64,
}

impl Serialize for Customer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.json_with(self.metadata.as_ref()).serialize(serializer)
    }
}

/// A customer's values: what a patch sets, compared as a whole to tell an update from
/// `unchanged`. Everything but the code the customer is filed under, the location derived
/// from `country`, `state` and `city`, and the bookkeeping (timestamps, version).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomerValues<'a> {
    pub is_active: bool,
    pub country: Option<&'a str>,
    pub state: Option<&'a str>,
    pub city: Option<&'a str>,
    pub year_born: Option<i32>,
    pub gender: Option<Gender>,
    pub metadata: Option<&'a Map<String, Value>>,
}

impl Customer {
    /// A customer as first written, before its first patch: active, holding no value.
    pub fn new(code: &str, now: Timestamp) -> Customer {
        Customer {
            code: code.to_owned(),
            is_active: true,
            country: None,
            state: None,
            city: None,
            year_born: None,
            gender: None,
            metadata: None,
            location: Location::default(),
            created_at: now,
            updated_at: now,
            version: 0,
        }
    }

    /// Its JSON representation with `metadata` standing for its metadata (which this call
    /// ignores: a customer read for the feed carries its metadata apart, as stored).
    pub fn json_with<M: Serialize>(&self, metadata: Option<M>) -> CustomerJson<'_, M> {
        // Exhaustive on purpose: a field added to `Customer` does not compile until it is
        // written out here (or said not to be).
        let Customer {
            code,
            is_active,
            country,
            state,
            city,
            year_born,
            gender,
            metadata: _,
            location,
            created_at,
            updated_at,
            version,
        } = self;
        CustomerJson {
            code,
            is_active: *is_active,
            country: country.as_deref(),
            state: state.as_deref(),
            city: city.as_deref(),
            year_born: *year_born,
            gender: *gender,
            metadata,
            location,
            created_at: *created_at,
            updated_at: *updated_at,
            version: *version,
        }
    }

    /// This customer's values, borrowed.
    pub fn values(&self) -> CustomerValues<'_> {
        // Exhaustive on purpose: a field added to `Customer` does not compile until it is
        // sorted here, as a value a patch sets or as bookkeeping a write keeps on its own.
        let Customer {
            code: _,
            is_active,
            country,
            state,
            city,
            year_born,
            gender,
            metadata,
            location: _,
            created_at: _,
            updated_at: _,
            version: _,
        } = self;
        CustomerValues {
            is_active: *is_active,
            country: country.as_deref(),
            state: state.as_deref(),
            city: city.as_deref(),
            year_born: *year_born,
            gender: *gender,
            metadata: metadata.as_ref(),
        }
    }
}

impl Customer {
    /// The fields a write changed, by their JSON names (`isActive`, `country`, `state`,
    /// `city`, `yearBorn`, `gender`; `location` when the resolved place changed), and each
    /// top-level metadata key added, removed or changed, as `metadata.<key>`. A customer
    /// written for the first time is compared with [`Customer::new`]: a create with defaults
    /// only changed nothing. Names only, no values: they go into the change feed, which must
    /// hold no customer data.
    pub fn changed_fields(&self, before: Option<&Customer>) -> Vec<String> {
        let fresh;
        let before = match before {
            Some(before) => before,
            None => {
                fresh = Customer::new(&self.code, self.created_at);
                &fresh
            }
        };
        let (old, new) = (before.values(), self.values());
        let mut changed: Vec<String> = [
            ("isActive", old.is_active != new.is_active),
            ("country", old.country != new.country),
            ("state", old.state != new.state),
            ("city", old.city != new.city),
            ("yearBorn", old.year_born != new.year_born),
            ("gender", old.gender != new.gender),
            ("location", before.location != self.location),
        ]
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(name, _)| name.to_owned())
        .collect();
        let empty = Map::new();
        let (old, new) = (
            old.metadata.unwrap_or(&empty),
            new.metadata.unwrap_or(&empty),
        );
        let added_or_changed = new
            .iter()
            .filter(|(key, value)| old.get(*key) != Some(*value))
            .map(|(key, _)| key);
        let removed = old.keys().filter(|key| !new.contains_key(*key));
        changed.extend(
            added_or_changed
                .chain(removed)
                .map(|key| format!("metadata.{key}")),
        );
        changed
    }
}

/// The customer's gender, sent and stored as its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    Unknown = 0,
    Male = 1,
    Female = 2,
    Other = 3,
}

impl Gender {
    pub fn from_number(number: i64) -> Option<Gender> {
        match number {
            0 => Some(Gender::Unknown),
            1 => Some(Gender::Male),
            2 => Some(Gender::Female),
            3 => Some(Gender::Other),
            _ => None,
        }
    }

    pub fn number(self) -> i16 {
        self as i16
    }
}

impl Serialize for Gender {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i16(self.number())
    }
}

impl<'de> Deserialize<'de> for Gender {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = i64::deserialize(deserializer)?;
        Gender::from_number(number)
            .ok_or_else(|| serde::de::Error::custom(format!("gender {number} is not 0..=3")))
    }
}

/// A UTC instant with microsecond precision; stored as microseconds since the Unix epoch and
/// written in JSON as RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Timestamp {
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        Timestamp((nanos / 1_000) as i64)
    }

    pub fn micros(self) -> i64 {
        self.0
    }

    pub fn to_rfc3339(self) -> String {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000)
            .ok()
            .and_then(|instant| instant.format(&Rfc3339).ok())
            .unwrap_or_default()
    }

    pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
        let instant = OffsetDateTime::parse(text, &Rfc3339).ok()?;
        Some(Timestamp((instant.unix_timestamp_nanos() / 1_000) as i64))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse_rfc3339(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not an RFC 3339 time")))
    }
}

/// The current year in UTC: the latest accepted `yearBorn`.
pub fn current_year() -> i32 {
    OffsetDateTime::now_utc().year()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_through_rfc3339_with_microseconds() {
        let instant = Timestamp(1_764_352_800_123_456);
        let text = instant.to_rfc3339();
        assert_eq!(text, "2025-11-28T18:00:00.123456Z");
        assert_eq!(Timestamp::parse_rfc3339(&text), Some(instant));
    }

    #[test]
    fn gender_is_written_as_its_number_and_refuses_others() {
        assert_eq!(
            serde_json::to_string(&Gender::Female).ok().as_deref(),
            Some("2")
        );
        assert!(serde_json::from_str::<Gender>("4").is_err());
    }
}
