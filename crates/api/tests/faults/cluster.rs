//! Throwaway PostgreSQL clusters for the fault tests: a primary, and a streaming standby of
//! it (`pg_basebackup -R`), each in a temporary folder on its own port. The machine's shared
//! PostgreSQL is never touched. A cluster may run behind a network link of its own (a
//! network namespace joined to this one by a veth pair), which the test can cut: packets
//! are then dropped without an answer, as on a real network that fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{free_port, postgres_binaries, temporary_folder};

/// A throwaway PostgreSQL cluster in a temporary folder, on its own port, stopped when
/// dropped.
pub struct PrivateCluster {
    binaries: PathBuf,
    data: PathBuf,
    pub port: u16,
    /// The address it listens on (and is reached at).
    pub host: String,
    /// The network namespace it runs in, if not this one.
    network: Option<std::sync::Arc<Network>>,
    _folder: tempfile::TempDir,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// Runs a PostgreSQL tool as the `postgres` user when we are root (initdb refuses root),
/// in `network`'s namespace if one is given.
fn as_postgres_in(network: Option<&Network>, tool: &Path) -> Command {
    let mut command = match network {
        Some(network) => {
            let mut command = Command::new("ip");
            command.args(["netns", "exec", &network.name]);
            command
        }
        None => Command::new("env"),
    };
    if is_root() {
        command.args(["runuser", "-u", "postgres", "--"]);
    }
    command.arg(tool);
    command
}

fn as_postgres(tool: &Path) -> Command {
    as_postgres_in(None, tool)
}

/// A network namespace joined to this one by a veth pair (this side `10.<a>.<b>.1`, the
/// other `.2`), removed when dropped.
pub struct Network {
    name: String,
    /// The address of the far side.
    pub address: String,
}

impl Network {
    /// `None` (after saying why) when namespaces cannot be made here (not root, no `ip`).
    pub fn create() -> Option<std::sync::Arc<Network>> {
        if !is_root() {
            eprintln!("skipped: network namespaces need root");
            return None;
        }
        let id = std::process::id();
        let name = format!("clientela-{id}");
        let (near, far) = (format!("cl{id}h"), format!("cl{id}p"));
        let subnet = format!("10.{}.{}", 100 + id % 100, (id / 100) % 250);
        let ip = |arguments: &[&str]| {
            Command::new("ip")
                .args(arguments)
                .output()
                .is_ok_and(|output| output.status.success())
        };
        let far_ip = |arguments: &[&str]| {
            let mut all = vec!["netns", "exec", name.as_str(), "ip"];
            all.extend_from_slice(arguments);
            ip(&all)
        };
        let _ = ip(&["netns", "del", &name]);
        let made = ip(&["netns", "add", &name])
            && ip(&["link", "add", &near, "type", "veth", "peer", "name", &far])
            && ip(&["link", "set", &far, "netns", &name])
            && ip(&["addr", "add", &format!("{subnet}.1/30"), "dev", &near])
            && ip(&["link", "set", &near, "up"])
            && far_ip(&["addr", "add", &format!("{subnet}.2/30"), "dev", &far])
            && far_ip(&["link", "set", &far, "up"])
            && far_ip(&["link", "set", "lo", "up"]);
        let network = Network {
            name,
            address: format!("{subnet}.2"),
        };
        if !made {
            eprintln!("skipped: could not make a network namespace with `ip`");
            return None;
        }
        Some(std::sync::Arc::new(network))
    }

    /// Cuts the link: from now on every packet either way is dropped, nothing answers.
    pub fn cut(&self) {
        let link = format!("cl{}p", std::process::id());
        succeed(
            Command::new("ip").args([
                "netns", "exec", &self.name, "ip", "link", "set", &link, "down",
            ]),
            "cutting the link",
        );
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
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
        PrivateCluster::create_in(None)
    }

    /// A cluster in `network`'s namespace (reached at its address), or in this one.
    pub fn create_in(network: Option<std::sync::Arc<Network>>) -> Option<PrivateCluster> {
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
        if network.is_some() {
            // Reached from the other namespace: trust its address too.
            let hba = data.join("pg_hba.conf");
            let mut rules = std::fs::read_to_string(&hba).expect("pg_hba.conf");
            rules.push_str("host all all 0.0.0.0/0 trust\nhost replication all 0.0.0.0/0 trust\n");
            std::fs::write(&hba, rules).expect("pg_hba.conf");
        }
        let cluster = PrivateCluster {
            binaries,
            data,
            port: free_port(),
            host: network
                .as_ref()
                .map_or_else(|| "127.0.0.1".to_owned(), |network| network.address.clone()),
            network,
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
                .arg(format!("--host={}", self.host))
                .args(["--username=postgres", "--no-sync"])
                .arg(format!("--port={}", self.port))
                .args(["--wal-method=stream", "--write-recovery-conf", "--pgdata"])
                .arg(&data),
            "pg_basebackup",
        );
        let standby = PrivateCluster {
            binaries: self.binaries.clone(),
            data,
            port: free_port(),
            host: "127.0.0.1".to_owned(),
            network: None,
            _folder: folder,
        };
        standby.start();
        standby
    }

    fn pg_ctl(&self, arguments: &[&str]) -> Command {
        let mut command = as_postgres_in(self.network.as_deref(), &self.binaries.join("pg_ctl"));
        command.arg("--pgdata").arg(&self.data).args(arguments);
        command
    }

    pub fn start(&self) {
        let socket_folder = self.data.display().to_string();
        let options = format!(
            "-p {} -k {socket_folder} -c listen_addresses={} -c fsync=off",
            self.port, self.host
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

    /// Freezes the server and every process of it (SIGSTOP), as a hung machine would: its
    /// kernel still accepts connections and acknowledges packets, nothing answers.
    pub fn freeze(&self) {
        for pid in self.processes() {
            let _ = Command::new("kill").args(["-STOP", &pid]).status();
        }
    }

    /// The server's process and its children.
    fn processes(&self) -> Vec<String> {
        let Ok(pid_file) = std::fs::read_to_string(self.data.join("postmaster.pid")) else {
            return Vec::new();
        };
        let Some(postmaster) = pid_file.lines().next().map(str::to_owned) else {
            return Vec::new();
        };
        let children = Command::new("pgrep")
            .args(["-P", &postmaster])
            .output()
            .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
            .unwrap_or_default();
        std::iter::once(postmaster)
            .chain(children.lines().map(str::to_owned))
            .collect()
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
        psql.arg(format!("--host={}", self.host))
            .args(["--username=postgres", "--dbname=postgres"])
            .arg(format!("--port={}", self.port))
            .args(["--no-psqlrc", "--tuples-only", "--no-align"]);
        for statement in statements {
            psql.arg("--command").arg(statement);
        }
        succeed(&mut psql, "psql")
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@{}:{}/postgres", self.host, self.port)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        for pid in self.processes() {
            let _ = Command::new("kill").args(["-CONT", &pid]).status();
        }
        let _ = self.pg_ctl(&["--mode=immediate", "stop"]).output();
    }
}
