//! Retrying a write transaction that the database aborted only because of a concurrent one.
//!
//! The advisory locks (see the crate docs) make serialization failures and deadlocks
//! unexpected on the customer path, but PostgreSQL may still report them (a future
//! migration running alongside, an operator's session holding row locks, a stricter
//! `default_transaction_isolation`). Such a transaction did nothing, so running it again is
//! safe and the client never sees the conflict. The number of attempts is bounded so a
//! persistent conflict still surfaces as an error instead of spinning.

use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error};

use crate::error::StoreError;

/// How many times a write transaction runs at most (the first run included).
pub(crate) const MAX_ATTEMPTS: u32 = 4;

/// Whether the database aborted the transaction because of a concurrent one, so that
/// running it again may succeed: SQLSTATE 40001 (serialization failure, which diesel names)
/// and 40P01 (deadlock detected, which diesel reports as an unknown kind: its message is
/// the only sign of it).
pub(crate) fn is_transient_conflict(error: &StoreError) -> bool {
    match error {
        StoreError::Database(Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => {
            true
        }
        StoreError::Database(Error::DatabaseError(DatabaseErrorKind::Unknown, information)) => {
            information.message().starts_with("deadlock detected")
        }
        _ => false,
    }
}

/// The pause before attempt `attempt` (2, 3, …): short and growing, so the competing
/// transaction can finish first.
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(10 * u64::from(attempt.saturating_sub(1)).pow(2))
}

/// Runs `transaction` until it succeeds, fails for another reason than a transient
/// conflict, or has run [`MAX_ATTEMPTS`] times.
pub(crate) fn with_retries<T>(
    mut transaction: impl FnMut() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut attempt = 1;
    loop {
        match transaction() {
            Err(error) if attempt < MAX_ATTEMPTS && is_transient_conflict(&error) => {
                attempt += 1;
                tracing::warn!(%error, attempt, "write transaction conflicted; retrying");
                std::thread::sleep(backoff(attempt));
            }
            outcome => return outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database error as diesel would report it, with PostgreSQL's message.
    fn database_error(kind: DatabaseErrorKind, message: &str) -> StoreError {
        StoreError::Database(Error::DatabaseError(kind, Box::new(message.to_owned())))
    }

    #[test]
    fn serialization_failures_and_deadlocks_are_retried_other_errors_are_not() {
        assert!(is_transient_conflict(&database_error(
            DatabaseErrorKind::SerializationFailure,
            "could not serialize access due to concurrent update"
        )));
        assert!(is_transient_conflict(&database_error(
            DatabaseErrorKind::Unknown,
            "deadlock detected"
        )));
        assert!(!is_transient_conflict(&database_error(
            DatabaseErrorKind::UniqueViolation,
            "duplicate key value violates unique constraint"
        )));
        assert!(!is_transient_conflict(&database_error(
            DatabaseErrorKind::Unknown,
            "relation \"customers\" does not exist"
        )));
        assert!(!is_transient_conflict(&StoreError::Unavailable(
            "timed out".into()
        )));
    }

    #[test]
    fn a_conflicting_transaction_runs_again_until_it_succeeds() {
        let mut runs = 0;
        let outcome = with_retries(|| {
            runs += 1;
            if runs < 3 {
                Err(database_error(
                    DatabaseErrorKind::Unknown,
                    "deadlock detected",
                ))
            } else {
                Ok(runs)
            }
        });
        assert_eq!(outcome.ok(), Some(3));
    }

    #[test]
    fn a_persistent_conflict_surfaces_after_the_last_attempt() {
        let mut runs = 0;
        let outcome: Result<(), StoreError> = with_retries(|| {
            runs += 1;
            Err(database_error(
                DatabaseErrorKind::SerializationFailure,
                "could not serialize access",
            ))
        });
        assert!(outcome.is_err());
        assert_eq!(runs, MAX_ATTEMPTS);
    }

    #[test]
    fn other_errors_are_not_retried() {
        let mut runs = 0;
        let outcome: Result<(), StoreError> = with_retries(|| {
            runs += 1;
            Err(StoreError::Unavailable("refused".into()))
        });
        assert!(outcome.is_err());
        assert_eq!(runs, 1);
    }

    /// PostgreSQL's real errors, provoked on `CLIENTELA_TEST_PG`, are the ones retried: the
    /// classification reads diesel's kind and PostgreSQL's message, and either may change.
    #[test]
    fn postgres_deadlocks_and_serialization_failures_are_recognised() {
        use diesel::connection::SimpleConnection;
        use diesel::{Connection, PgConnection, RunQueryDsl};

        let Some(scratch) = crate::ScratchSchema::for_test("retry") else {
            return;
        };
        let url = scratch.url();
        let connect = || PgConnection::establish(&url).map_err(|error| error.to_string());
        let (Ok(mut first), Ok(mut second)) = (connect(), connect()) else {
            panic!("could not connect to CLIENTELA_TEST_PG");
        };
        let run = |connection: &mut PgConnection, sql: &str| {
            diesel::sql_query(sql).execute(connection).map(|_| ())
        };

        // Serialization failure: a repeatable-read transaction updates a row that another
        // committed after its snapshot.
        let schema = scratch.name();
        let setup = format!(
            "CREATE TABLE {schema}.counter (id INT PRIMARY KEY, value INT); \
             INSERT INTO {schema}.counter VALUES (1, 0);"
        );
        assert!(first.batch_execute(&setup).is_ok());
        let update = format!("UPDATE {schema}.counter SET value = value + 1 WHERE id = 1");
        assert!(
            first
                .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
                .is_ok()
        );
        assert!(run(&mut first, &format!("SELECT value FROM {schema}.counter")).is_ok());
        assert!(run(&mut second, &update).is_ok());
        let conflict = run(&mut first, &update).err().map(StoreError::Database);
        let _ = first.batch_execute("ROLLBACK");
        assert!(
            conflict.as_ref().is_some_and(is_transient_conflict),
            "{conflict:?}"
        );

        // Deadlock: two transactions each hold one advisory lock and want the other's.
        let base = i64::from(std::process::id()) << 20;
        let (one, two) = (base + 1, base + 2);
        assert!(first.batch_execute("BEGIN").is_ok());
        assert!(second.batch_execute("BEGIN").is_ok());
        let lock = |key: i64| format!("SELECT pg_advisory_xact_lock({key})");
        assert!(run(&mut first, &lock(one)).is_ok());
        assert!(run(&mut second, &lock(two)).is_ok());
        let (first_outcome, second_outcome) = std::thread::scope(|scope| {
            let waiter = scope.spawn(|| {
                let outcome = run(&mut first, &lock(two));
                let _ = first.batch_execute("ROLLBACK");
                outcome
            });
            std::thread::sleep(Duration::from_millis(200));
            let outcome = run(&mut second, &lock(one));
            let _ = second.batch_execute("ROLLBACK");
            (waiter.join().ok(), outcome)
        });
        let deadlock = [first_outcome.and_then(Result::err), second_outcome.err()]
            .into_iter()
            .flatten()
            .next()
            .map(StoreError::Database);
        assert!(
            deadlock.as_ref().is_some_and(is_transient_conflict),
            "{deadlock:?}"
        );
    }
}
