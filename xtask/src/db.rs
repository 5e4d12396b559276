//! `cargo xtask db migrate | reset --yes | new NAME`: the development database and new
//! migrations.
//!
//! `migrate` is `clientela-api migrate`, so the API's own settings choose the database.
//! `reset` must erase that database before migrating, and xtask does not link the store or
//! the API's settings (it would compile the database clients to run `fmt --check`), so it
//! asks the API which database its settings name (`clientela-api database-url`, a hidden
//! command): the settings file, the environment and the defaults are read, and the URL
//! parsed, by the API's own code, never by a copy here.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;

use crate::command;

#[derive(Debug, Subcommand)]
pub enum DbTask {
    /// Apply pending migrations to the development database (`clientela-api migrate`).
    Migrate,
    /// Erase the development database and migrate it afresh.
    Reset {
        /// Confirm: every customer and key is erased.
        #[arg(long)]
        yes: bool,
    },
    /// Create migrations/{sqlite,postgres}/<date>_NAME/{up,down}.sql.
    New {
        /// Lowercase letters, digits and `_`, like add_customer_tags.
        name: String,
    },
}

pub fn run(task: DbTask) -> anyhow::Result<()> {
    match task {
        DbTask::Migrate => migrate(),
        DbTask::Reset { yes: true } => reset(),
        DbTask::Reset { yes: false } => {
            bail!("`db reset` erases every customer and key; confirm with `db reset --yes`")
        }
        DbTask::New { name } => {
            let version = time::OffsetDateTime::now_utc();
            for folder in new_migration(&command::root(), &name, version)? {
                println!("created {}", folder.display());
            }
            Ok(())
        }
    }
}

fn migrate() -> anyhow::Result<()> {
    command::run(
        &command::cargo(),
        &["run", "--quiet", "-p", "clientela-api", "--", "migrate"],
    )
}

fn reset() -> anyhow::Result<()> {
    let url = database_url()?;
    // `database-url` prints one form per backend: `sqlite://PATH` or the PostgreSQL URL.
    if let Some(path) = url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{path}{suffix}"));
            if file.exists() {
                println!("removing {}", file.display());
                std::fs::remove_file(&file)
                    .with_context(|| format!("could not remove {}", file.display()))?;
            }
        }
    } else {
        command::run(
            "psql",
            &[
                &url,
                "-c",
                "DROP SCHEMA public CASCADE; CREATE SCHEMA public;",
            ],
        )?;
    }
    migrate()
}

/// The database `clientela-api` opens, as its `database-url` command prints it.
fn database_url() -> anyhow::Result<String> {
    let printed = command::output(
        &command::cargo(),
        &[
            "run",
            "--quiet",
            "-p",
            "clientela-api",
            "--",
            "database-url",
        ],
    )?;
    let url = printed.trim();
    if url.is_empty() {
        bail!("`clientela-api database-url` printed no URL");
    }
    Ok(url.to_owned())
}

/// Creates `migrations/{sqlite,postgres}/<version>_NAME/{up,down}.sql`, the version in
/// diesel's `YYYY-MM-DD-HHMMSS` form, so both backends keep identical migration names.
pub fn new_migration(
    root: &Path,
    name: &str,
    at: time::OffsetDateTime,
) -> anyhow::Result<Vec<PathBuf>> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_')
    {
        bail!("a migration name is lowercase letters, digits and `_`, like add_customer_tags");
    }
    let version = format!(
        "{:04}-{:02}-{:02}-{:02}{:02}{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    let mut created = Vec::new();
    for backend in ["sqlite", "postgres"] {
        let folder = root
            .join("migrations")
            .join(backend)
            .join(format!("{version}_{name}"));
        if folder.exists() {
            bail!("{} exists already", folder.display());
        }
        std::fs::create_dir_all(&folder)?;
        std::fs::write(
            folder.join("up.sql"),
            format!("-- {name} ({backend}): the change.\n"),
        )?;
        std::fs::write(
            folder.join("down.sql"),
            format!("-- {name} ({backend}): undo up.sql.\n"),
        )?;
        created.push(folder);
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_creates_the_same_migration_for_both_backends() {
        let root = tempfile::tempdir().expect("folder");
        let at = time::macros::datetime!(2026-12-01 09:05:07 UTC);
        let created = new_migration(root.path(), "add_tags", at).expect("created");
        assert_eq!(created.len(), 2);
        for backend in ["sqlite", "postgres"] {
            let folder = root
                .path()
                .join(format!("migrations/{backend}/2026-12-01-090507_add_tags"));
            assert!(folder.join("up.sql").is_file(), "{}", folder.display());
            assert!(folder.join("down.sql").is_file());
        }
        assert!(
            new_migration(root.path(), "add_tags", at).is_err(),
            "never overwritten"
        );
    }

    #[test]
    fn migration_names_are_plain_identifiers() {
        let root = tempfile::tempdir().expect("folder");
        let at = time::OffsetDateTime::UNIX_EPOCH;
        for bad in ["", "Add Tags", "../escape"] {
            assert!(new_migration(root.path(), bad, at).is_err(), "{bad}");
        }
    }
}
