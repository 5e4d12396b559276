//! Fault tests on the real `clientela-api` binary: SIGKILL mid-load, SIGTERM mid-load, a
//! PostgreSQL outage, what the logs may and may not contain, the limit settings, and
//! schemathesis against the served OpenAPI document.

#![expect(
    clippy::expect_used,
    reason = "in the harness a failed setup step is a failed test, said with its reason"
)]

mod cluster;
mod crash;
mod failover;
mod frozen;
mod limits;
mod logs;
mod memory;
mod outage;
#[path = "../support/webhook_receiver.rs"]
#[allow(dead_code, reason = "shared with the API tests, which use more of it")]
mod receiver;
mod schemathesis;
mod shutdown;
mod standby;
mod support;
mod webhooks;

use support::Database;

#[test]
fn acknowledged_writes_survive_sigkill_on_sqlite() {
    crash::acknowledged_writes_survive_sigkill(&Database::Sqlite);
}

#[test]
fn acknowledged_writes_survive_sigkill_on_postgres() {
    if let Some(database) = Database::postgres() {
        crash::acknowledged_writes_survive_sigkill(&database);
    }
}

#[test]
fn sigterm_drains_in_flight_requests_on_sqlite() {
    shutdown::sigterm_drains_in_flight_requests(&Database::Sqlite);
}

#[test]
fn sigterm_drains_in_flight_requests_on_postgres() {
    if let Some(database) = Database::postgres() {
        shutdown::sigterm_drains_in_flight_requests(&database);
    }
}

#[test]
fn a_killed_webhook_deliverer_loses_no_change_on_sqlite() {
    webhooks::a_killed_deliverer_loses_no_change_and_keeps_the_order(&Database::Sqlite);
}

#[test]
fn a_killed_webhook_deliverer_loses_no_change_on_postgres() {
    if let Some(database) = Database::postgres() {
        webhooks::a_killed_deliverer_loses_no_change_and_keeps_the_order(&database);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn the_webhook_deliverer_runs_below_the_requests_priority() {
    webhooks::the_deliverer_runs_below_the_requests_priority();
}

#[test]
fn batches_taken_but_not_written_are_sent_again_under_their_ids_on_sqlite() {
    webhooks::batches_taken_but_not_written_are_sent_again_under_their_ids(&Database::Sqlite);
}

#[test]
fn batches_taken_but_not_written_are_sent_again_under_their_ids_on_postgres() {
    if let Some(database) = Database::postgres() {
        webhooks::batches_taken_but_not_written_are_sent_again_under_their_ids(&database);
    }
}
