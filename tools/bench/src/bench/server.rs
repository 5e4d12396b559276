//! The server under test: the release binary, started on a random port with a database of
//! its own, and the process facts the report needs (start-up time, memory).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clientela_store::ScratchSchema;

use crate::{cargo, root};

/// Where a benchmark keeps its data: a SQLite file in a temporary folder, or a throwaway
/// schema in a PostgreSQL database (dropped with this value).
pub enum Database {
    Sqlite { folder: PathBuf },
    Postgres { schema: ScratchSchema },
}

impl Database {
    pub fn sqlite(name: &str) -> anyhow::Result<Database> {
        let folder =
            std::env::temp_dir().join(format!("clientela-bench-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(&folder)?;
        Ok(Database::Sqlite { folder })
    }

    pub fn postgres(server: &str, name: &str) -> anyhow::Result<Database> {
        let schema = ScratchSchema::create(server, &format!("bench_{name}"))
            .context("create a schema on PostgreSQL")?;
        Ok(Database::Postgres { schema })
    }

    pub fn url(&self) -> String {
        match self {
            Database::Sqlite { folder } => {
                format!("sqlite://{}", folder.join("clientela.db").display())
            }
            Database::Postgres { schema } => schema.url(),
        }
    }

    /// Brings a PostgreSQL database to the same state before each of phases that are compared
    /// with one another: vacuums the customers and the feed and writes a checkpoint, so that
    /// neither lands by chance in one phase and not the other. At full speed the server
    /// writes enough WAL to request a checkpoint every phase or two, and after one every page
    /// is written whole to the WAL again, which slows the phase it falls in; autovacuum of
    /// the tables a phase grew runs at random times the same way. A role that may not
    /// checkpoint is told so, and the run goes on. SQLite's checkpoints are the server's own;
    /// nothing to do.
    pub fn settle(&self) -> anyhow::Result<()> {
        use diesel::Connection;
        use diesel::connection::SimpleConnection;
        if let Database::Postgres { schema } = self {
            let mut connection = diesel::PgConnection::establish(&schema.url())?;
            connection.batch_execute("VACUUM customers, changes")?;
            if let Err(error) = connection.batch_execute("CHECKPOINT") {
                eprintln!(
                    "no checkpoint between phases ({error}; it needs a superuser or the \
                     pg_checkpoint role): the phases compared are noisier"
                );
            }
        }
        Ok(())
    }

    /// A folder for the server's data (its admin key).
    pub fn data_dir(&self) -> PathBuf {
        match self {
            Database::Sqlite { folder } => folder.clone(),
            Database::Postgres { schema } => {
                std::env::temp_dir().join(format!("clientela-{}", schema.name()))
            }
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        // The schema drops itself; the folders are ours.
        let _ = std::fs::remove_dir_all(self.data_dir());
    }
}

/// Builds the release binary once.
pub fn build_release() -> anyhow::Result<PathBuf> {
    cargo(&["build", "--release", "--quiet", "-p", "clientela-api"])?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    Ok(target.join("release").join("clientela-api"))
}

/// Applies the migrations to `database` with the binary (for the raw baseline's database).
pub fn migrate(binary: &Path, database: &Database) -> anyhow::Result<()> {
    let status = Command::new(binary)
        .arg("migrate")
        .env("CLIENTELA__DATABASE__URL", database.url())
        .env("CLIENTELA__DATA_DIR", database.data_dir())
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("clientela-api migrate failed");
    }
    Ok(())
}

pub struct Server {
    child: Child,
    pub base: String,
    pub key: String,
    pub startup: Duration,
}

impl Server {
    pub fn start(binary: &Path, database: &Database) -> anyhow::Result<Server> {
        Server::start_with(binary, database, &[])
    }

    /// [`Server::start`] with these settings too (`CLIENTELA__…` variables).
    pub fn start_with(
        binary: &Path,
        database: &Database,
        settings: &[(&str, &str)],
    ) -> anyhow::Result<Server> {
        let started = Instant::now();
        let mut child = Command::new(binary)
            .arg("serve")
            .envs(settings.iter().copied())
            .env("CLIENTELA__DATABASE__URL", database.url())
            .env("CLIENTELA__DATA_DIR", database.data_dir())
            .env("CLIENTELA__SERVER__BIND", "127.0.0.1:0")
            .env("CLIENTELA__LOG__LEVEL", "warn")
            // The load comes from one key; the per-key rate limit would measure itself.
            .env("CLIENTELA__RATE_LIMIT__PER_SECOND", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("start clientela-api")?;
        let stdout = child.stdout.take().context("stdout")?;
        let mut base = None;
        for line in BufReader::new(stdout).lines() {
            if let Some(address) = line?.strip_prefix("listening on ") {
                base = Some(address.to_owned());
                break;
            }
        }
        let startup = started.elapsed();
        let Some(base) = base else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("clientela-api did not start");
        };
        let key = std::fs::read_to_string(database.data_dir().join("admin.key"))
            .context("read admin.key")?
            .trim()
            .to_owned();
        Ok(Server {
            child,
            base,
            key,
            startup,
        })
    }

    /// The server's `/metrics` text.
    pub fn metrics(&self) -> anyhow::Result<String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(runtime.block_on(async {
            reqwest::Client::new()
                .get(format!("{}/metrics", self.base))
                .bearer_auth(&self.key)
                .send()
                .await?
                .error_for_status()?
                .text()
                .await
        })?)
    }

    /// Resident memory now and at its peak, in MiB.
    pub fn memory_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse::<f64>().ok())
                .map_or(0.0, |kib| kib / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// The share of `method route` requests the server itself answered within `seconds` (an
/// upper bound of its latency histogram), from its `/metrics` text: what the server's own
/// clock says, without the load generator's share of the two cores.
/// The mean number of write requests per commit so far (the server's group commit), from
/// its `/metrics`; `None` before any grouped commit.
pub fn mean_group(metrics: &str) -> Option<f64> {
    let total = |name: &str| {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse::<f64>().ok())
    };
    let commits = total("clientela_db_write_commits_total")?;
    let transactions = total("clientela_db_write_transactions_total")?;
    (commits > 0.0).then(|| transactions / commits)
}

pub fn answered_within(
    metrics: &str,
    method: &str,
    route: &str,
    seconds: &str,
) -> anyhow::Result<f64> {
    let series = format!("method=\"{method}\",route=\"{route}\",status=\"200\"");
    let value = |name: &str, extra: &str| {
        metrics
            .lines()
            .find(|line| line.starts_with(name) && line.contains(&series) && line.contains(extra))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|number| number.parse::<f64>().ok())
    };
    let within = value(
        "clientela_http_request_duration_seconds_bucket",
        &format!("le=\"{seconds}\""),
    );
    let count = value("clientela_http_request_duration_seconds_count", "");
    match (within, count) {
        (Some(within), Some(count)) if count > 0.0 => Ok(within / count),
        _ => bail!("no {method} {route} latency in /metrics"),
    }
}
