//! Which changes a subscription sends: its events (upserts, deletes), and for upserts, its
//! `fields` against the fields the change touched.

use clientela_store::{Change, ChangeOp, Webhook};

/// Which changes a subscription sends.
pub struct Filter {
    upserts: bool,
    deletes: bool,
    fields: Option<Vec<String>>,
}

impl Filter {
    pub fn of(subscription: &Webhook) -> Filter {
        let events: Vec<&str> = subscription.events.split(',').collect();
        Filter {
            upserts: events.contains(&"upsert"),
            deletes: events.contains(&"delete"),
            fields: subscription
                .fields
                .as_deref()
                .and_then(|fields| serde_json::from_str(fields).ok()),
        }
    }

    pub fn sends(&self, change: &Change) -> bool {
        match change.op {
            ChangeOp::Delete => self.deletes,
            ChangeOp::Upsert => {
                self.upserts
                    && match (&self.fields, changed_fields(change)) {
                        (None, _) => true,
                        // A change from before fields were recorded: sent, never dropped.
                        (Some(_), None) => true,
                        (Some(wanted), Some(changed)) => changed
                            .iter()
                            .any(|field| wanted.iter().any(|name| field_matches(name, field))),
                    }
            }
        }
    }
}

/// The fields an upsert changed, as the feed recorded them (`None` for an upsert recorded
/// before the feed kept them).
fn changed_fields(change: &Change) -> Option<&[String]> {
    change.changed_fields.as_deref()
}

/// The top-level fields a change can name ([`clientela_core::Customer::changed_fields`]);
/// metadata keys come as `metadata.<key>`.
const FIELDS: [&str; 7] = [
    "isActive", "country", "state", "city", "yearBorn", "gender", "location",
];

/// Whether a subscriber's `fields` entry can ever match a change: a top-level field,
/// `metadata` (any metadata key) or `metadata.<key>` (that top-level key). A name that can
/// never match is refused when subscribing rather than silently filtering everything out.
pub fn is_field(name: &str) -> bool {
    FIELDS.contains(&name) || name == "metadata" || name.starts_with("metadata.")
}

/// What [`is_field`] accepts, for the answer refusing a name.
pub const FIELDS_HELP: &str = "the fields are isActive, country, state, city, yearBorn, \
     gender, location, metadata (any metadata key) and metadata.<key> (one top-level key)";

/// Whether a changed field is one a subscriber named: itself, or a metadata key when the
/// subscriber named `metadata`.
fn field_matches(wanted: &str, changed: &str) -> bool {
    wanted == changed || (wanted == "metadata" && changed.starts_with("metadata."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fields_filter_matches_named_fields_and_metadata_keys() {
        assert!(field_matches("country", "country"));
        assert!(field_matches("metadata", "metadata.tier"));
        assert!(field_matches("metadata.tier", "metadata.tier"));
        assert!(!field_matches("metadata.tier", "metadata.plan"));
        assert!(!field_matches("city", "country"));
    }

    fn upsert(changed: Option<&[&str]>) -> Change {
        Change {
            cursor: clientela_store::Cursor::default(),
            op: ChangeOp::Upsert,
            code: "C".to_owned(),
            version: 1,
            at: clientela_core::Timestamp(0),
            customer: None,
            changed_fields: changed.map(|names| names.iter().map(|&name| name.into()).collect()),
        }
    }

    fn filter(fields: &[&str]) -> Filter {
        Filter {
            upserts: true,
            deletes: true,
            fields: Some(fields.iter().map(|&name| name.into()).collect()),
        }
    }

    /// A `fields` filter sends the upserts that changed a named field, every delete, and an
    /// upsert whose fields the feed did not record (never dropped for want of knowing).
    #[test]
    fn a_fields_filter_sends_upserts_that_changed_a_named_field_and_every_delete() {
        let country = filter(&["country"]);
        assert!(country.sends(&upsert(Some(&["country", "location"]))));
        assert!(!country.sends(&upsert(Some(&["yearBorn"]))));
        assert!(
            !country.sends(&upsert(Some(&[]))),
            "a create with defaults only"
        );
        assert!(country.sends(&upsert(None)));
        let mut delete = upsert(None);
        delete.op = ChangeOp::Delete;
        assert!(country.sends(&delete));
        let metadata = filter(&["metadata"]);
        assert!(metadata.sends(&upsert(Some(&["metadata.tier"]))));
        assert!(!metadata.sends(&upsert(Some(&["city"]))));
    }

    /// Every name a change can carry is one a subscriber may name.
    #[test]
    fn every_field_a_change_names_can_be_subscribed_to() {
        use clientela_core::Customer;
        let before = Customer::new("C", clientela_core::Timestamp(0));
        let mut after = before.clone();
        after.is_active = false;
        after.country = Some("ES".into());
        after.state = Some("B".into());
        after.city = Some("Vic".into());
        after.year_born = Some(1990);
        after.gender = Some(clientela_core::Gender::Other);
        after.metadata = Some(serde_json::Map::from_iter([("tier".into(), "gold".into())]));
        after.location.status = clientela_core::geo::LocationStatus::Unresolved;
        let names = after.changed_fields(Some(&before));
        assert_eq!(names.len(), FIELDS.len() + 1, "{names:?}");
        assert!(names.iter().all(|name| is_field(name)), "{names:?}");
        assert!(!is_field("email") && !is_field("metadataTier"));
    }
}
