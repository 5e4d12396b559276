//! Fault tests on the real `clientela-api` binary: SIGKILL mid-load, SIGTERM mid-load, a
//! PostgreSQL outage, what the logs may and may not contain, the limit settings, and
//! schemathesis against the served OpenAPI document.

#![expect(
    clippy::expect_used,
    reason = "in the harness a failed setup step is a failed test, said with its reason"
)]

mod crash;
mod limits;
mod logs;
mod memory;
mod outage;
mod schemathesis;
mod shutdown;
mod support;

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
