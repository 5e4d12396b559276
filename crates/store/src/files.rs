//! The files of a SQLite store, private to the server's user: folders the store creates are
//! mode 0700, and the database with its `-wal` and `-shm` files mode 0600, including files
//! left more open by an older version (they are tightened at start). SQLite gives the
//! `-wal` and `-shm` files the database file's mode, so creating that one 0600 first is
//! what keeps the others private too.

use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::error::StoreError;

/// Creates `folder` (and missing parents) with mode 0700; an existing folder is left as is
/// (it may be a mounted volume the operator set up).
pub(crate) fn create_private_dir(folder: &Path) -> Result<(), StoreError> {
    if folder.as_os_str().is_empty() || folder.is_dir() {
        return Ok(());
    }
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(folder)?;
    Ok(())
}

/// Makes sure the database file exists with mode 0600 before SQLite opens it, and tightens
/// the database, `-wal` and `-shm` files when they are readable by others.
pub(crate) fn prepare_sqlite_files(database: &Path) -> Result<(), StoreError> {
    if let Some(folder) = database.parent() {
        create_private_dir(folder)?;
    }
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(database)?;
    let mut paths = vec![database.to_path_buf()];
    for suffix in ["-wal", "-shm"] {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        paths.push(name.into());
    }
    for path in paths {
        if let Ok(metadata) = std::fs::metadata(&path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            std::fs::set_permissions(&path, Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    use crate::{Store, StoreOptions};

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_store_creates_its_files_0600_in_a_0700_folder() {
        let root = tempfile::tempdir().unwrap();
        let folder = root.path().join("data").join("db");
        let database = folder.join("clientela.db");
        let store = Store::open(&StoreOptions::new(format!(
            "sqlite://{}",
            database.display()
        )))
        .unwrap();
        store.ping().unwrap();
        assert_eq!(mode(&folder), 0o700, "the folder it made");
        assert_eq!(mode(&root.path().join("data")), 0o700, "and its parent");
        for suffix in ["", "-wal", "-shm"] {
            let path = format!("{}{suffix}", database.display());
            assert_eq!(mode(Path::new(&path)), 0o600, "{path}");
        }
    }

    #[test]
    fn a_database_left_readable_by_others_is_made_private() {
        let folder = tempfile::tempdir().unwrap();
        let database = folder.path().join("clientela.db");
        std::fs::write(&database, b"").unwrap();
        std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o644)).unwrap();
        Store::open(&StoreOptions::new(format!(
            "sqlite://{}",
            database.display()
        )))
        .unwrap();
        assert_eq!(mode(&database), 0o600);
    }
}
