//! Tests of the customer use cases of `customers.rs` on a real database: point reads inline
//! or on a blocking thread, and writes meeting a locked database.

use crate::{ScratchSchema, Store, StoreOptions};

#[test]
fn a_point_read_runs_inline_only_while_a_sqlite_reader_is_free() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("inline.db");
    let mut options = StoreOptions::new(format!("sqlite://{}", path.display()));
    options.pool_size = 2;
    let store = Store::open(&options).unwrap();
    assert!(
        matches!(store.get_inline("nobody"), Some(Ok(None))),
        "a free reader answers on the caller's thread"
    );
    let busy = [store.readers.get().unwrap(), store.readers.get().unwrap()];
    assert!(
        store.get_inline("nobody").is_none(),
        "with every reader busy the caller must not wait on its own thread"
    );
    drop(busy);
    assert!(matches!(store.get_inline("nobody"), Some(Ok(None))));
}

#[test]
fn a_point_read_on_postgres_is_never_inline() {
    let Some(schema) = ScratchSchema::for_test("store") else {
        return;
    };
    let mut options = StoreOptions::new(schema.url());
    options.pool_size = 1;
    options.migrate = false;
    let store = Store::open(&options).unwrap();
    assert!(
        store.get_inline("anyone").is_none(),
        "a PostgreSQL read is a network round trip: it belongs on a blocking thread"
    );
}

#[test]
fn a_sqlite_database_locked_by_another_process_is_unavailable_not_an_error() {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, SqliteConnection};

    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("busy.db");
    let mut options = StoreOptions::new(format!("sqlite://{}", path.display()));
    options.timeouts.lock = std::time::Duration::from_millis(200);
    let store = Store::open(&options).unwrap();
    let mut other = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    other.batch_execute("BEGIN IMMEDIATE").unwrap();
    let error = store.delete("anyone", true).unwrap_err();
    assert!(
        error.is_unavailable(),
        "a busy database is 503 with Retry-After, not 500: {error}"
    );
    other.batch_execute("ROLLBACK").unwrap();
    assert!(
        !store.delete("anyone", true).unwrap(),
        "and works once it is free"
    );
}

#[test]
fn a_postgres_writer_waiting_on_a_held_code_gives_up_after_the_lock_timeout() {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, PgConnection};

    let Some(schema) = ScratchSchema::for_test("store") else {
        return;
    };
    let mut options = StoreOptions::new(schema.url());
    options.timeouts.lock = std::time::Duration::from_millis(300);
    let store = Store::open(&options).unwrap();
    let mut holder = PgConnection::establish(&schema.url()).unwrap();
    holder
        .batch_execute(&format!(
            "SELECT pg_advisory_lock({})",
            crate::advisory_lock_key("held")
        ))
        .unwrap();
    let error = store.delete("held", false).unwrap_err();
    assert!(error.is_unavailable(), "{error}");
    holder
        .batch_execute("SELECT pg_advisory_unlock_all()")
        .unwrap();
    assert!(!store.delete("held", false).unwrap());
}

/// A batch that sends one code twice writes one feed row naming everything the batch changed
/// in all, against the customer as stored before it; a delete names nothing.
fn a_batch_records_the_fields_it_changed_in_all(store: &Store) {
    use clientela_core::geo::Resolver;
    use clientela_core::merge::MergeContext;
    use clientela_core::{Timestamp, parse_customer};
    use serde_json::json;

    use crate::{BatchRequest, ChangeOp};

    let resolver = Resolver::builtin();
    let context = MergeContext {
        now: Timestamp::now(),
        resolver: &resolver,
        strict_geo: false,
    };
    let upsert = |values: serde_json::Value| {
        let items: Vec<(usize, clientela_core::CustomerPatch)> = values
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(index, value)| (index, parse_customer(value.clone()).unwrap()))
            .collect();
        let request = BatchRequest {
            items: &items,
            precondition: None,
            atomic: false,
            dry_run: false,
        };
        store.upsert_batch(&request, &context).unwrap();
    };
    upsert(json!([{"code": "A", "yearBorn": 1980, "metadata": {"tier": "gold"}}, {"code": "B"}]));
    upsert(json!([
        {"code": "A", "yearBorn": 1990},
        {"code": "A", "metadata": {"plan": "x"}},
        {"code": "A", "yearBorn": 1980},
    ]));
    assert!(store.delete("B", false).unwrap());
    let feed = store.changes(None, 100).unwrap();
    let fields: Vec<(ChangeOp, &str, Option<Vec<String>>)> = feed
        .iter()
        .map(|change| {
            (
                change.op,
                change.code.as_str(),
                change.changed_fields.clone(),
            )
        })
        .collect();
    let names = |names: &[&str]| Some(names.iter().map(|name| (*name).to_owned()).collect());
    assert_eq!(
        fields,
        vec![
            (ChangeOp::Upsert, "A", names(&["yearBorn", "metadata.tier"])),
            // yearBorn went to 1990 and back: in all, only the metadata key changed.
            (ChangeOp::Upsert, "A", names(&["metadata.plan"])),
            (ChangeOp::Delete, "B", None),
        ]
    );
}

#[test]
fn a_batch_records_the_fields_it_changed_in_all_on_sqlite() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("fields.db");
    let store = Store::open(&StoreOptions::new(format!("sqlite://{}", path.display()))).unwrap();
    a_batch_records_the_fields_it_changed_in_all(&store);
}

#[test]
fn a_batch_records_the_fields_it_changed_in_all_on_postgres() {
    let Some(schema) = ScratchSchema::for_test("store") else {
        return;
    };
    let store = Store::open(&StoreOptions::new(schema.url())).unwrap();
    a_batch_records_the_fields_it_changed_in_all(&store);
}
