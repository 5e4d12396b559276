//! Group commit on a real SQLite file: groups form only from writers already queued, a
//! member's failure or panic stays its own, and a failed commit fails every member.

use std::sync::Barrier;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::sql_types::Integer;

use super::*;
use crate::connection::{SqliteSync, Target, build_pool};

/// A store's writer pool (one connection) on a new SQLite file, with a table of numbered
/// rows and a parent/child pair whose foreign key is checked only at commit.
struct Database {
    pool: Pool,
    path: std::path::PathBuf,
    _folder: tempfile::TempDir,
}

impl Database {
    fn new() -> Database {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("group.db");
        let pool = build_pool(
            &Target::Sqlite(path.clone()),
            SqliteSync::Normal,
            1,
            Duration::from_secs(10),
        )
        .unwrap();
        pool.get()
            .unwrap()
            .batch_execute(
                "CREATE TABLE t (n INTEGER PRIMARY KEY); \
                 CREATE TABLE parent (id INTEGER PRIMARY KEY); \
                 CREATE TABLE child (parent INTEGER REFERENCES parent (id) \
                    DEFERRABLE INITIALLY DEFERRED);",
            )
            .unwrap();
        Database {
            pool,
            path,
            _folder: folder,
        }
    }

    /// The rows committed so far, read on a connection of their own (as readers do).
    fn committed(&self) -> Vec<i32> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Integer)]
            n: i32,
        }
        let mut reader = SqliteConnection::establish(&self.path.to_string_lossy()).unwrap();
        diesel::sql_query("SELECT n FROM t ORDER BY n")
            .load::<Row>(&mut reader)
            .unwrap()
            .into_iter()
            .map(|row| row.n)
            .collect()
    }
}

type Body = Box<dyn FnOnce(&mut dyn WriteSql) -> Result<(), StoreError> + Send>;

fn inserting(n: i32) -> Body {
    Box::new(move |sql| Ok(sql.execute(&format!("INSERT INTO t (n) VALUES ({n})"))?))
}

/// What a writer got: its result, `None` if it panicked.
type Outcome = Option<Result<(), StoreError>>;

fn ran_ok(outcome: &Outcome) -> bool {
    matches!(outcome, Some(Ok(())))
}

/// Writer 0 runs first and holds the transaction for 300 ms, while writers 1 to
/// `bodies.len() - 1` queue behind it.
fn queued_behind_a_slow_writer(
    group_commit: &GroupCommit,
    pool: &Pool,
    bodies: Vec<Body>,
) -> Vec<Outcome> {
    let started = Barrier::new(bodies.len());
    std::thread::scope(|scope| {
        let handles: Vec<_> = bodies
            .into_iter()
            .enumerate()
            .map(|(writer, body)| {
                let started = &started;
                scope.spawn(move || {
                    if writer == 0 {
                        group_commit.run(pool, |sql| {
                            started.wait();
                            std::thread::sleep(Duration::from_millis(300));
                            body(sql)
                        })
                    } else {
                        started.wait();
                        group_commit.run(pool, body)
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().ok())
            .collect()
    })
}

#[test]
fn a_lone_writer_commits_at_once_and_its_row_is_readable_when_it_returns() {
    let database = Database::new();
    let group_commit = GroupCommit::default();
    for n in 0..3 {
        let outcome = group_commit.run(&database.pool, inserting(n));
        assert!(matches!(outcome, Ok(())), "{outcome:?}");
        // Read-your-writes: committed before `run` returned, visible to another connection.
        assert_eq!(database.committed(), (0..=n).collect::<Vec<_>>());
    }
    assert_eq!(group_commit.commits(), (3, 3), "one commit per lone writer");
}

#[test]
fn writers_queued_behind_a_running_one_share_its_commit() {
    let database = Database::new();
    let group_commit = GroupCommit::default();
    let outcomes = queued_behind_a_slow_writer(
        &group_commit,
        &database.pool,
        (0..4).map(inserting).collect(),
    );
    assert!(outcomes.iter().all(ran_ok), "{outcomes:?}");
    assert_eq!(database.committed(), vec![0, 1, 2, 3]);
    assert_eq!(
        group_commit.commits(),
        (1, 4),
        "four queued writers, one commit"
    );
}

#[test]
fn a_member_that_fails_or_panics_loses_only_its_own_writes() {
    let database = Database::new();
    let group_commit = GroupCommit::default();
    let failing: Body = Box::new(|sql| {
        sql.execute("INSERT INTO t (n) VALUES (11)")?;
        Err(StoreError::Unavailable(
            "this member fails after writing".into(),
        ))
    });
    let breaking: Body = Box::new(|sql| {
        sql.execute("INSERT INTO t (n) VALUES (13)")?;
        // A statement the database refuses (row 0 exists): it undoes the member's
        // savepoint, and no more.
        Ok(sql.execute("INSERT INTO t (n) VALUES (0)")?)
    });
    let panicking: Body = Box::new(|sql| {
        let _ = sql.execute("INSERT INTO t (n) VALUES (12)");
        panic!("this member panics after writing");
    });
    let bodies = vec![
        inserting(0),
        failing,
        inserting(2),
        panicking,
        breaking,
        inserting(5),
    ];
    let outcomes = queued_behind_a_slow_writer(&group_commit, &database.pool, bodies);

    assert!(
        matches!(outcomes[1], Some(Err(StoreError::Unavailable(_)))),
        "{outcomes:?}"
    );
    assert!(
        outcomes[3].is_none(),
        "the panic reaches the writer that panicked"
    );
    assert!(
        matches!(outcomes[4], Some(Err(StoreError::Database(_)))),
        "{outcomes:?}"
    );
    for writer in [0, 2, 5] {
        assert!(ran_ok(&outcomes[writer]), "{outcomes:?}");
    }
    assert_eq!(database.committed(), vec![0, 2, 5]);
    // The store goes on writing after all three.
    let outcome = group_commit.run(&database.pool, inserting(6));
    assert!(matches!(outcome, Ok(())), "{outcome:?}");
    assert_eq!(database.committed(), vec![0, 2, 5, 6]);
}

#[test]
fn a_commit_that_fails_fails_every_member_and_keeps_nothing() {
    let database = Database::new();
    let group_commit = GroupCommit::default();
    // A child row without its parent passes its own savepoint (the check is deferred)
    // and makes the group's COMMIT fail.
    let orphan: Body = Box::new(|sql| {
        sql.execute("INSERT INTO t (n) VALUES (1); INSERT INTO child (parent) VALUES (42)")?;
        Ok(())
    });
    let outcomes = queued_behind_a_slow_writer(
        &group_commit,
        &database.pool,
        vec![inserting(0), orphan, inserting(2)],
    );
    assert_eq!(group_commit.commits(), (1, 3));
    assert!(
        outcomes
            .iter()
            .all(|outcome| matches!(outcome, Some(Err(StoreError::Unavailable(_))))),
        "every member of the failed group hears of it: {outcomes:?}"
    );
    assert_eq!(database.committed(), Vec::<i32>::new());
    let outcome = group_commit.run(&database.pool, inserting(3));
    assert!(matches!(outcome, Ok(())), "{outcome:?}");
    assert_eq!(database.committed(), vec![3]);
}
