//! Throwaway PostgreSQL clusters for the fault tests: a primary, and a streaming standby of
//! it (`pg_basebackup -R`), each in a temporary folder on its own port. The machine's shared
//! PostgreSQL is never touched.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{free_port, postgres_binaries, temporary_folder};

/// A throwaway PostgreSQL cluster in a temporary folder, on its own port, stopped when
/// dropped.
pub struct PrivateCluster {
    binaries: PathBuf,
    data: PathBuf,
    pub port: u16,
    _folder: tempfile::TempDir,
}

/// Runs a PostgreSQL tool as the `postgres` user when we are root (initdb refuses root).
fn as_postgres(tool: &Path) -> Command {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0");
    if is_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(tool);
        command
    } else {
        Command::new(tool)
    }
}

fn succeed(command: &mut Command, what: &str) -> String {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{what}: {error}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A temporary folder the `postgres` user can reach and own.
fn folder_for_postgres() -> tempfile::TempDir {
    let folder = temporary_folder();
    let _ = Command::new("chown")
        .arg("postgres")
        .arg(folder.path())
        .status();
    folder
}

impl PrivateCluster {
    /// `None` (after saying why) when the PostgreSQL server binaries are not installed.
    pub fn create() -> Option<PrivateCluster> {
        let Some(binaries) = postgres_binaries() else {
            eprintln!("skipped: no PostgreSQL server binaries under /usr/lib/postgresql");
            return None;
        };
        let folder = folder_for_postgres();
        let data = folder.path().join("data");
        succeed(
            as_postgres(&binaries.join("initdb"))
                .args([
                    "--auth=trust",
                    "--username=postgres",
                    "--no-sync",
                    "--pgdata",
                ])
                .arg(&data),
            "initdb",
        );
        let cluster = PrivateCluster {
            binaries,
            data,
            port: free_port(),
            _folder: folder,
        };
        cluster.start();
        Some(cluster)
    }

    /// A hot standby streaming from this cluster (asynchronously), started.
    pub fn standby(&self) -> PrivateCluster {
        let folder = folder_for_postgres();
        let data = folder.path().join("data");
        succeed(
            as_postgres(&self.binaries.join("pg_basebackup"))
                .args(["--host=127.0.0.1", "--username=postgres", "--no-sync"])
                .arg(format!("--port={}", self.port))
                .args(["--wal-method=stream", "--write-recovery-conf", "--pgdata"])
                .arg(&data),
            "pg_basebackup",
        );
        let standby = PrivateCluster {
            binaries: self.binaries.clone(),
            data,
            port: free_port(),
            _folder: folder,
        };
        standby.start();
        standby
    }

    fn pg_ctl(&self, arguments: &[&str]) -> Command {
        let mut command = as_postgres(&self.binaries.join("pg_ctl"));
        command.arg("--pgdata").arg(&self.data).args(arguments);
        command
    }

    pub fn start(&self) {
        let socket_folder = self.data.display().to_string();
        let options = format!(
            "-p {} -k {socket_folder} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port
        );
        let log = self.data.join("server.log").display().to_string();
        succeed(
            &mut self.pg_ctl(&[
                "--wait",
                "--timeout=60",
                "--log",
                &log,
                "-o",
                &options,
                "start",
            ]),
            "pg_ctl start",
        );
    }

    pub fn stop(&self) {
        succeed(
            &mut self.pg_ctl(&["--wait", "--mode=fast", "stop"]),
            "pg_ctl stop",
        );
    }

    /// Stops the server at once, as a crash would (no shutdown checkpoint, no waiting for
    /// standbys).
    pub fn stop_immediately(&self) {
        succeed(
            &mut self.pg_ctl(&["--wait", "--mode=immediate", "stop"]),
            "pg_ctl stop immediate",
        );
    }

    /// Promotes this standby to a primary, and waits until it accepts writes.
    pub fn promote(&self) {
        succeed(
            &mut self.pg_ctl(&["--wait", "--timeout=60", "promote"]),
            "pg_ctl promote",
        );
    }

    /// Runs each statement with psql, one after the other (each in a transaction of its
    /// own: `ALTER SYSTEM` cannot run in one); their output, unaligned, tuples only.
    pub fn sql(&self, statements: &[&str]) -> String {
        let mut psql = Command::new(self.binaries.join("psql"));
        psql.args([
            "--host=127.0.0.1",
            "--username=postgres",
            "--dbname=postgres",
        ])
        .arg(format!("--port={}", self.port))
        .args(["--no-psqlrc", "--tuples-only", "--no-align"]);
        for statement in statements {
            psql.arg("--command").arg(statement);
        }
        succeed(&mut psql, "psql")
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["--mode=immediate", "stop"]).output();
    }
}
