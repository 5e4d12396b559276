//! `cargo xtask db migrate | reset --yes | new NAME`: the development database and new
//! migrations.
//!
//! `migrate` is `clientela-api migrate`, so the API's own settings choose the database.
//! `reset` must erase that database before migrating, and xtask does not link the store or
//! the API's settings (it would compile the database clients to run `fmt --check`): it reads
//! only the two variables that choose the database when no settings file is given, the way
//! `Settings::database_url` (crates/api/src/config.rs) combines them:
//! `CLIENTELA__DATABASE__URL`, else `sqlite://<CLIENTELA__DATA_DIR or ./data>/clientela.db`.
//! With a settings file (`CLIENTELA_CONFIG`) and no URL in the environment it refuses rather
//! than erase a database the API would not open.

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
    if let Some(path) = url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{path}{suffix}"));
            if file.exists() {
                println!("removing {}", file.display());
                std::fs::remove_file(&file)
                    .with_context(|| format!("could not remove {}", file.display()))?;
            }
        }
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        command::run(
            "psql",
            &[
                &url,
                "-c",
                "DROP SCHEMA public CASCADE; CREATE SCHEMA public;",
            ],
        )?;
    } else {
        bail!("CLIENTELA__DATABASE__URL `{url}` is neither sqlite:// nor postgres://");
    }
    migrate()
}

/// The database `clientela-api` opens when no settings file is given (see the module doc).
fn database_url() -> anyhow::Result<String> {
    let set = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    if let Some(url) = set("CLIENTELA__DATABASE__URL") {
        return Ok(url);
    }
    if set("CLIENTELA_CONFIG").is_some() {
        bail!(
            "CLIENTELA_CONFIG names a settings file, which xtask does not read; set \
             CLIENTELA__DATABASE__URL to the database to reset"
        );
    }
    let data_dir = set("CLIENTELA__DATA_DIR").unwrap_or_else(|| "./data".into());
    Ok(format!(
        "sqlite://{}",
        Path::new(&data_dir).join("clientela.db").display()
    ))
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
