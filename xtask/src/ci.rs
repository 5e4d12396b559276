//! `cargo xtask ci`: everything CI checks, in the order that fails fastest, ending with one
//! line that sums every test binary's result: `tests: N passed, N failed, N skipped`.

use std::collections::BTreeSet;
use std::fmt;
use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::{ExitCode, Stdio};

use anyhow::{Context, bail};

use crate::command::{self, cargo, output};

/// Crates and what their dependency graph must not contain: core does no I/O and serves no
/// HTTP, the console talks to the API over HTTP only, and xtask stays a quick task runner
/// (its tools under `tools/` link the database and HTTP clients instead).
const FORBIDDEN_DEPENDENCIES: [(&str, &[&str]); 3] = [
    ("clientela-core", &["diesel", "actix-web"]),
    ("clientela-console", &["diesel"]),
    (
        "xtask",
        &[
            "diesel",
            "clientela-store",
            "openssl-sys",
            "pq-sys",
            "libsqlite3-sys",
            "reqwest",
            "tokio",
        ],
    ),
];

/// The migration folders of the two backends, which must hold the same migration names.
const MIGRATION_FOLDERS: [&str; 2] = ["migrations/sqlite", "migrations/postgres"];

pub fn run() -> anyhow::Result<ExitCode> {
    let cargo = cargo();
    command::run(&cargo, &["fmt", "--all", "--check"])?;
    check_migration_names(&command::root())?;
    for (package, forbidden) in FORBIDDEN_DEPENDENCIES {
        for dependency in forbidden {
            check_no_dependency(&cargo, package, dependency)?;
        }
    }
    command::run(
        &cargo,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    if std::env::var_os("CLIENTELA_TEST_PG").is_none() {
        println!("note: CLIENTELA_TEST_PG is not set; the PostgreSQL variants will be skipped");
    }
    test_with_tally(&cargo)
}

fn check_no_dependency(cargo: &str, package: &str, dependency: &str) -> anyhow::Result<()> {
    let tree = output(
        cargo,
        &[
            "tree",
            "--edges",
            "normal,build,dev",
            "-p",
            package,
            "-i",
            dependency,
        ],
    );
    match tree {
        Ok(tree) if !tree.trim().is_empty() => {
            bail!("{package} must not depend on {dependency}:\n{tree}")
        }
        // `cargo tree -i` refuses a dependency that is not in the package's graph at all.
        Err(error) if !error.to_string().contains("did not match any packages") => Err(error),
        _ => Ok(()),
    }
}

fn check_migration_names(root: &Path) -> anyhow::Result<()> {
    let [sqlite, postgres] = MIGRATION_FOLDERS.map(|folder| folder_names(&root.join(folder)));
    let (sqlite, postgres) = (sqlite?, postgres?);
    let differences = migration_differences(&sqlite, &postgres);
    if !differences.is_empty() {
        bail!(
            "{} and {} must hold the same migrations:\n{}",
            MIGRATION_FOLDERS[0],
            MIGRATION_FOLDERS[1],
            differences.join("\n")
        );
    }
    println!(
        "{} migrations, the same in {} and {}",
        sqlite.len(),
        MIGRATION_FOLDERS[0],
        MIGRATION_FOLDERS[1]
    );
    Ok(())
}

fn folder_names(folder: &Path) -> anyhow::Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for entry in
        std::fs::read_dir(folder).with_context(|| format!("reading {}", folder.display()))?
    {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            names.insert(entry.file_name().to_string_lossy().into_owned());
        }
    }
    Ok(names)
}

/// One line per migration only one backend has.
fn migration_differences(sqlite: &BTreeSet<String>, postgres: &BTreeSet<String>) -> Vec<String> {
    let only = |name: &String, backend: &str| format!("  {name}: only in migrations/{backend}");
    sqlite
        .difference(postgres)
        .map(|name| only(name, "sqlite"))
        .chain(
            postgres
                .difference(sqlite)
                .map(|name| only(name, "postgres")),
        )
        .collect()
}

/// Runs every test, echoing its output, and prints the tally last, also when tests fail.
fn test_with_tally(cargo: &str) -> anyhow::Result<ExitCode> {
    // `cargo test --workspace --all-targets` builds every binary before it runs a test, with
    // the workspace's unified features; the console's end-to-end test drives that server
    // instead of building a second copy of its dependencies with other features.
    let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
    let api_binary = command::root()
        .join(target)
        .join("debug")
        .join("clientela-api");
    let mut child = command::logged(cargo, &["test", "--workspace", "--all-targets"])
        .env("CLIENTELA_API_BIN", api_binary)
        .stdout(Stdio::piped())
        .spawn()
        .context("could not start cargo test")?;
    let mut tally = Tally::default();
    if let Some(stdout) = child.stdout.take() {
        let mut echo = std::io::stdout().lock();
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            writeln!(echo, "{line}")?;
            tally.add(&line);
        }
    }
    let status = child.wait()?;
    if !status.success() {
        eprintln!("xtask: `cargo test --workspace --all-targets` failed ({status})");
    }
    println!("{tally}");
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The sum of every `test result:` line libtest printed.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl Tally {
    /// Adds `line` when it is a result line
    /// (`test result: ok. 5 passed; 0 failed; 1 ignored; 0 measured; …`).
    fn add(&mut self, line: &str) {
        let Some(counts) = line.strip_prefix("test result:") else {
            return;
        };
        let words: Vec<&str> = counts.split_whitespace().collect();
        for pair in words.windows(2) {
            let Ok(count) = pair[0].parse::<u64>() else {
                continue;
            };
            match pair[1].trim_end_matches([';', ',']) {
                "passed" => self.passed += count,
                "failed" => self.failed += count,
                "ignored" => self.ignored += count,
                _ => {}
            }
        }
    }
}

/// The closing line CI reads; its form must not change.
impl fmt::Display for Tally {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "tests: {} passed, {} failed, {} skipped",
            self.passed, self.failed, self.ignored
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tally_sums_every_result_line_and_nothing_else() {
        let mut tally = Tally::default();
        for line in [
            "running 3 tests",
            "test a_test ... ok",
            "test result: ok. 5 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            "test result: FAILED. 2 passed; 3 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.00s",
            "tests: 9 passed in the text of a test's own output",
        ] {
            tally.add(line);
        }
        assert_eq!(tally.to_string(), "tests: 7 passed, 3 failed, 1 skipped");
    }

    #[test]
    fn migrations_only_one_backend_has_are_named() {
        let names = |list: &[&str]| list.iter().map(|name| (*name).to_owned()).collect();
        let sqlite = names(&["2026-11-28-000001_create", "2026-12-01-000000_tags"]);
        let postgres = names(&["2026-11-28-000001_create", "2026-12-02-000000_keys"]);
        assert_eq!(
            migration_differences(&sqlite, &postgres),
            [
                "  2026-12-01-000000_tags: only in migrations/sqlite",
                "  2026-12-02-000000_keys: only in migrations/postgres",
            ]
        );
        assert!(migration_differences(&sqlite, &sqlite).is_empty());
    }

    #[test]
    fn the_committed_migrations_match() {
        check_migration_names(&command::root()).expect("the same names in both folders");
    }

    #[test]
    fn core_is_refused_a_database_client_and_a_web_framework() {
        let forbidden = |package: &str| {
            FORBIDDEN_DEPENDENCIES
                .iter()
                .find(|(name, _)| *name == package)
                .map_or(&[][..], |(_, forbidden)| *forbidden)
        };
        for dependency in ["diesel", "actix-web"] {
            assert!(
                forbidden("clientela-core").contains(&dependency),
                "{dependency}"
            );
        }
        assert!(forbidden("clientela-console").contains(&"diesel"));
    }
}
