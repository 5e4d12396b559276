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

/// The fields an upsert changed, if the feed recorded them.
fn changed_fields(_change: &Change) -> Option<&[String]> {
    None
}

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
}
