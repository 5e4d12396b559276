//! PostgreSQL's own client as a baseline: `pgbench` with a custom script that generates the
//! API's rows inside the server (`generate_series`), 100 per transaction, prepared once
//! (`-M prepared`). No client code of ours is in the way, so this is the database's rate
//! for the same rows, to set the API and the Rust raw client against.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use super::raw::Target;
use super::server::Database;

/// `pgbench` on the PATH, else in the newest `/usr/lib/postgresql/<version>/bin`.
fn binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|folder| folder.join("pgbench"))
            .find(|candidate| candidate.is_file())
    });
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| Some(entry.ok()?.path().join("bin/pgbench")))
            .filter(|candidate| candidate.is_file())
            .collect();
        versions.sort();
        versions.pop()
    })
}

/// One transaction of `batch` rows like [`super::data::customer`]: fresh codes per client
/// and transaction, or (with `update_of`) overwriting codes `0..update_of`.
fn script(target: Target, batch: u64, update_of: Option<u64>) -> String {
    let table = target.table();
    let (first, code) = match update_of {
        None => (
            format!(":n * {batch}"),
            "'pgb-' || :client_id || '-' || lpad(i::text, 10, '0')".to_owned(),
        ),
        Some(existing) => (
            format!("((:n + :client_id * 7919) * {batch}) % {existing}"),
            "'pgb-u-' || lpad(i::text, 10, '0')".to_owned(),
        ),
    };
    let version = if update_of.is_some() { ":n + 2" } else { "1" };
    let rows = format!(
        "SELECT {code}, true,
       substr('ESFRDEUSITGB', (i % 6)::int * 2 + 1, 2),
       (ARRAY['Barcelona', 'Paris', 'Berlin', 'California', 'Lombardy', 'England'])[(i % 6)::int + 1],
       (ARRAY['Barcelona', 'Paris', 'Berlin', 'Los Angeles', 'Milan', 'London'])[(i % 6)::int + 1],
       1950 + i % 60, (i % 4)::smallint,
       '{{\"currentDiscountRate\":\"' || i % 30 || '%\",\"isNew\":' || (i % 2 = 0)
           || ',\"segment\":\"' || (ARRAY['retail', 'b2b', 'vip'])[(i % 3)::int + 1]
           || '\",\"lastOrder\":{{\"id\":\"O' || lpad(i::text, 9, '0') || '\",\"total\":' || i % 500 || '.99}}}}',
       substr('ESFRDEUSITGB', (i % 6)::int * 2 + 1, 2),
       '{{\"country\":{{\"code\":\"ES\",\"name\":\"ES-name\",\"wikidataId\":\"Q29\"}},\"state\":{{\"code\":\"ES-XX\",\"name\":\"Barcelona\",\"wikidataId\":\"Q5705\"}},\"city\":{{\"name\":\"Barcelona\",\"wikidataId\":\"Q1492\",\"geonameId\":3128760}},\"status\":\"resolved\"}}',
       1, {version}, {version}
FROM generate_series({first}, {first} + {batch} - 1) AS i"
    );
    let feed = match target {
        Target::Limit => String::new(),
        Target::Schema => format!(
            "WITH feed AS (INSERT INTO changes (code, op, version, at) \
             SELECT {code}, 0, {version}, {version} FROM generate_series({first}, {first} + {batch} - 1) AS i) "
        ),
    };
    // pgbench reads one statement per line unless it ends in a backslash-free `;`: keep
    // the statement on one line.
    let statement = format!(
        "{feed}INSERT INTO {table} (code, is_active, country, state, city, year_born, gender, \
         metadata, country_code, location, created_at, updated_at, version) {rows} \
         ON CONFLICT (code) DO UPDATE SET is_active = excluded.is_active, country = excluded.country, \
         state = excluded.state, city = excluded.city, year_born = excluded.year_born, \
         gender = excluded.gender, metadata = excluded.metadata, country_code = excluded.country_code, \
         location = excluded.location, updated_at = excluded.updated_at, version = excluded.version;"
    )
    .replace('\n', " ");
    format!("\\set n :n + 1\n{statement}\n")
}

/// The API's own write transaction for the rows of [`script`] (schema target), each step
/// a statement as the server sends it: the advisory lock of every code, which of their two
/// suppression hashes (64 characters each) are stored, the stored rows, then the upsert and
/// the feed rows. What the contract (no lost updates, erasure, merge, feed) costs the
/// database, with no client work at all: the ceiling of any API on this database.
///
/// The server hashes codes itself (SHA-256, HMAC); here the lock key is PostgreSQL's cheap
/// `hashtextextended` and the two "hashes" are the code padded to 64 characters, so the
/// database does no work the API does not give it (hashing in SQL would slow this
/// baseline and flatter the API).
fn api_transaction_script(batch: u64, update_of: Option<u64>) -> String {
    // New codes of its own: the schema baseline before it inserted its codes already.
    let upsert = script(Target::Schema, batch, update_of).replace("'pgb-' ||", "'pgt-' ||");
    let mut lines = upsert.lines();
    let set = lines.next().unwrap_or_default();
    let statement = lines.next().unwrap_or_default();
    // The script's statement is `WITH feed AS (…) INSERT …`: the feed and the upsert, as
    // the server sends them, are two statements.
    let (feed, insert) = statement
        .strip_prefix("WITH feed AS (")
        .and_then(|rest| rest.split_once(") INSERT INTO"))
        .map(|(feed, insert)| (feed.to_owned(), format!("INSERT INTO{insert}")))
        .unwrap_or_default();
    let codes = feed
        .split_once("SELECT ")
        .and_then(|(_, rest)| rest.split_once(", 0,"))
        .map(|(code, _)| code.to_owned())
        .unwrap_or_default();
    let series = feed
        .rsplit_once(" FROM ")
        .map(|(_, series)| series.to_owned())
        .unwrap_or_default();
    format!(
        "{set}\nBEGIN;\n\
         SELECT count(pg_advisory_xact_lock(key)) FROM (SELECT DISTINCT \
         hashtextextended(code, 0) AS key FROM \
         (SELECT {codes} AS code FROM {series}) AS codes ORDER BY key) AS keys;\n\
         SELECT count(*) FROM suppressions WHERE code_hash = ANY(ARRAY(SELECT lpad(code, 64, 'k') \
         FROM (SELECT {codes} AS code FROM {series}) AS codes) || ARRAY(SELECT lpad(code, 64, 'l') \
         FROM (SELECT {codes} AS code FROM {series}) AS codes));\n\
         SELECT count(*) FROM (SELECT * FROM customers WHERE code = ANY(ARRAY(SELECT {codes} \
         FROM {series}))) AS stored;\n\
         {insert}\n{feed};\nCOMMIT;\n"
    )
}

/// Rows per second pgbench writes into `target`, or `None` when pgbench is not installed.
pub fn upsert_rate(
    database: &Database,
    target: Target,
    connections: usize,
    batch: u64,
    duration: Duration,
    update_of: Option<u64>,
) -> anyhow::Result<Option<f64>> {
    run(
        database,
        &script(target, batch, update_of),
        connections,
        batch,
        duration,
    )
}

/// Rows per second pgbench writes with [`api_transaction_script`], or `None` when pgbench
/// is not installed.
pub fn api_transaction_rate(
    database: &Database,
    connections: usize,
    batch: u64,
    duration: Duration,
    update_of: Option<u64>,
) -> anyhow::Result<Option<f64>> {
    run(
        database,
        &api_transaction_script(batch, update_of),
        connections,
        batch,
        duration,
    )
}

fn run(
    database: &Database,
    script: &str,
    connections: usize,
    batch: u64,
    duration: Duration,
) -> anyhow::Result<Option<f64>> {
    let Some(pgbench) = binary() else {
        println!("pgbench not found: its baseline is left out");
        return Ok(None);
    };
    let file = tempfile::NamedTempFile::new()?;
    std::fs::write(file.path(), script)?;
    let output = Command::new(pgbench)
        .args(["--no-vacuum", "--protocol", "prepared", "--define", "n=0"])
        .arg(format!("--client={connections}"))
        .arg(format!("--jobs={}", connections.min(2)))
        .arg(format!("--time={}", duration.as_secs().max(1)))
        .arg(format!("--file={}", file.path().display()))
        .arg(database.url())
        .output()
        .context("could not run pgbench")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed: {}{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let tps = text
        .lines()
        .find_map(|line| line.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse::<f64>().ok())
        .with_context(|| format!("no `tps = ` line in pgbench's output:\n{text}"))?;
    Ok(Some(tps * batch as f64))
}
