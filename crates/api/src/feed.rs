//! The change feed as the API shows it and waits on it: one item's JSON ([`ChangeItem`], the
//! same in `GET /changes`, the `changes` command and webhook batches), and the signal that
//! wakes whoever waits for a change when this replica commits one ([`FeedSignal`]).

use clientela_core::Customer;
use clientela_store::{Change, ChangeOp, FeedCustomer};
use serde::Serialize;
use tokio::sync::Notify;
use tokio::sync::futures::Notified;
use utoipa::ToSchema;

/// Wakes the requests waiting on the feed when this replica commits a change.
#[derive(Debug, Default)]
pub struct FeedSignal(Notify);

impl FeedSignal {
    pub fn changed(&self) {
        self.0.notify_waiters();
    }

    /// Completes once this replica commits a change after this call (even when first
    /// awaited later: listen, then read, then await, and no commit in between is missed).
    pub fn next_change(&self) -> Notified<'_> {
        self.0.notified()
    }
}

/// One committed change (also a line of `clientela-api changes`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeItem {
    /// This item's position; `after` it to read what follows.
    cursor: String,
    #[schema(value_type = String, example = "upsert")]
    op: &'static str,
    code: String,
    /// The version the change wrote (a delete: the customer's last version).
    version: i64,
    /// When it was committed (RFC 3339).
    at: String,
    /// For an upsert, the customer as it is when the page is read (its version may be newer
    /// than the item's: a later item for it follows); null for a delete and for a customer
    /// erased since.
    #[schema(value_type = Option<Customer>)]
    customer: Option<FeedCustomer>,
    /// For an upsert, the top-level fields it changed (`isActive`, `country`, `state`,
    /// `city`, `yearBorn`, `gender`, `location`), and each top-level metadata key it added,
    /// removed or changed as `metadata.<key>`; empty for a create with defaults only. Names
    /// only, never values. Absent for a delete (and for an upsert recorded by a version that
    /// did not keep them).
    #[serde(rename = "changedFields", skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(["country", "location", "metadata.tier"]))]
    changed_fields: Option<Vec<String>>,
}

impl From<Change> for ChangeItem {
    fn from(change: Change) -> ChangeItem {
        ChangeItem {
            cursor: change.cursor.to_string(),
            op: match change.op {
                ChangeOp::Upsert => "upsert",
                ChangeOp::Delete => "delete",
            },
            code: change.code,
            version: change.version,
            at: change.at.to_rfc3339(),
            customer: change.customer,
            changed_fields: change.changed_fields,
        }
    }
}
