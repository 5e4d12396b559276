//! Integration tests: the real server over HTTP, on SQLite and (with `CLIENTELA_TEST_PG`)
//! PostgreSQL. One test binary; each scenario gets its own database.

#![expect(
    clippy::expect_used,
    reason = "in the harness a failed setup step is a failed test, said with its reason"
)]

#[path = "../support/webhook_receiver.rs"]
#[allow(dead_code, reason = "shared with the fault tests, which stall answers")]
mod receiver;
mod support;

mod auth;
mod batch;
mod changes;
mod compression;
mod concurrency;
mod deletion;
mod docs_page;
mod framing;
mod geo;
mod hardening;
mod limits;
mod listing;
mod merge;
mod metrics;
mod openapi;
mod pipeline;
mod properties;
mod query_parameters;
mod request_id;
mod security;
mod seed;
mod unicode;
mod validation;
mod webhooks;
mod write_slots;
