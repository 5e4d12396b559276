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
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    customers,
    suppressions,
    api_keys,
    suppression_key_check,
    changes
);
