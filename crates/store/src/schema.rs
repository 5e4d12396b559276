//! The diesel schema, portable across SQLite and PostgreSQL (the migrations in
//! `migrations/{sqlite,postgres}` create the same columns with the same types).

diesel::table! {
    customers (code) {
        code -> Text,
        is_active -> Bool,
        country -> Nullable<Text>,
        state -> Nullable<Text>,
        city -> Nullable<Text>,
        year_born -> Nullable<Integer>,
        gender -> Nullable<SmallInt>,
        metadata -> Nullable<Text>,
        country_code -> Nullable<Text>,
        location -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        version -> BigInt,
    }
}

diesel::table! {
    suppressions (code_hash) {
        code_hash -> Text,
        created_at -> BigInt,
        kind -> Text,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        name -> Text,
        scope -> Text,
        secret_hash -> Text,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    suppression_key_check (id) {
        id -> Integer,
        fingerprint -> Text,
    }
}

diesel::table! {
    /// The change feed (see `changes.rs`); `txid` is left out: it is filled by the database
    /// and read with raw SQL, since diesel has no type for PostgreSQL's `xid8`.
    changes (seq) {
        seq -> BigInt,
        code -> Text,
        op -> SmallInt,
        version -> BigInt,
        at -> BigInt,
        changed_fields -> Nullable<Text>,
    }
}

diesel::table! {
    /// Webhook subscriptions (see `webhooks.rs`).
    webhooks (id) {
        id -> Text,
        url -> Text,
        events -> Text,
        fields -> Nullable<Text>,
        secret -> Text,
        created_at -> BigInt,
        cursor -> Text,
        paused_reason -> Nullable<Text>,
        paused_at -> Nullable<BigInt>,
        batch_id -> Nullable<Text>,
        batch_end -> Nullable<Text>,
        attempts -> Integer,
        failing_since -> Nullable<BigInt>,
        next_attempt_at -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        last_success_at -> Nullable<BigInt>,
        lease_holder -> Nullable<Text>,
        lease_until -> Nullable<BigInt>,
        queued -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> Text,
        at -> BigInt,
        message_id -> Text,
        items -> Integer,
        status -> Nullable<Integer>,
        duration_ms -> BigInt,
        error -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    customers,
    suppressions,
    api_keys,
    suppression_key_check,
    changes,
    webhooks,
    webhook_deliveries
);
