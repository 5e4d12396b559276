//! How a suppressed code is stored: an HMAC-SHA256 of the code under a secret the server
//! keeps outside the database, never the code itself, and never a plain hash (a plain
//! SHA-256 of `alice@example.com` is found by hashing guesses).
//!
//! The secret is 32 random bytes in a file (`suppression_key_file`, by default
//! `<data_dir>/suppression.key`), made on first use with mode 0600. Every replica sharing a
//! database must be given the same file: a replica with another secret does not see the
//! others' suppressions.
//!
//! The database keeps a fingerprint of the secret (`suppression_key_check`): a server given
//! another secret refuses to start rather than silently missing the suppressions.
//!
//! Suppressions stored before this (migration `keyed_suppressions`) are plain SHA-256 hashes
//! marked `sha256`. Those cannot be converted without the code, so a lookup checks both
//! forms, and lifting a suppression removes both.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::StoreError;

/// The secret behind suppression hashes.
#[derive(Clone)]
pub struct SuppressionKey {
    secret: [u8; 32],
    /// HMAC-SHA256 keyed with `secret` and nothing hashed yet: cloned for each code, so the
    /// key is not hashed into the HMAC's pads again for every code of every batch.
    keyed: Hmac<Sha256>,
}

impl std::fmt::Debug for SuppressionKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SuppressionKey(…)")
    }
}

/// The `kind` of a keyed suppression row (older rows are `sha256`).
pub(crate) const KEYED_KIND: &str = "hmac-sha256";

impl SuppressionKey {
    /// A random key made once per process, shared by every store the process opens (so a
    /// test's restarted server sees its suppressions). A server uses
    /// [`SuppressionKey::load_or_create`].
    pub fn for_this_process() -> SuppressionKey {
        static KEY: std::sync::OnceLock<SuppressionKey> = std::sync::OnceLock::new();
        KEY.get_or_init(SuppressionKey::random).clone()
    }

    fn random() -> SuppressionKey {
        let mut key = [0_u8; 32];
        rand::rng().fill_bytes(&mut key);
        SuppressionKey::new(key)
    }

    fn new(secret: [u8; 32]) -> SuppressionKey {
        SuppressionKey {
            secret,
            keyed: <Hmac<Sha256> as Mac>::new_from_slice(&secret)
                .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length")),
        }
    }

    /// Reads the key at `path` (64 hex digits), or makes one there, written atomically with
    /// mode 0600 (its folder is created with mode 0700 when missing).
    pub fn load_or_create(path: &Path) -> Result<SuppressionKey, StoreError> {
        match std::fs::read_to_string(path) {
            Ok(text) => return SuppressionKey::parse(text.trim(), path),
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(StoreError::DataDir(error));
            }
            Err(_) => {}
        }
        let key = SuppressionKey::random();
        let folder = path
            .parent()
            .filter(|folder| !folder.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        crate::files::create_private_dir(folder)?;
        let mut file = tempfile::NamedTempFile::new_in(folder)?;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
        writeln!(file, "{}", hex(&key.secret))?;
        file.as_file().sync_all()?;
        // Another process may have made one meanwhile: theirs wins, ours is dropped.
        match file.persist_noclobber(path) {
            Ok(_) => Ok(key),
            Err(_) => SuppressionKey::parse(std::fs::read_to_string(path)?.trim(), path),
        }
    }

    fn parse(text: &str, path: &Path) -> Result<SuppressionKey, StoreError> {
        let bytes: Option<Vec<u8>> = (text.len() == 64)
            .then(|| {
                (0..32)
                    .map(|at| u8::from_str_radix(text.get(at * 2..at * 2 + 2)?, 16).ok())
                    .collect()
            })
            .flatten();
        match bytes.and_then(|bytes| <[u8; 32]>::try_from(bytes).ok()) {
            Some(key) => Ok(SuppressionKey::new(key)),
            None => Err(StoreError::DataDir(std::io::Error::other(format!(
                "{} must hold 64 hexadecimal digits (the suppression key)",
                path.display()
            )))),
        }
    }

    /// What the database records of the secret: the keyed hash of a fixed text, from which
    /// the secret cannot be recovered, but which differs for another secret.
    pub(crate) fn fingerprint(&self) -> String {
        self.hash("clientela suppression key fingerprint")
    }

    /// 32 bytes only this secret gives for `label`, for other secrets kept beside the
    /// database (a webhook's signing secret is stored XORed with one).
    pub(crate) fn derive(&self, label: &str) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(b"derive\0");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The keyed hash a suppression of `code` is stored as.
    pub fn hash(&self, code: &str) -> String {
        let mut mac = self.keyed.clone();
        mac.update(code.as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

/// How suppressions were stored before keyed hashes: the code's plain SHA-256 in hex.
pub fn legacy_hash(code: &str) -> String {
    sha256_hex(code)
}

/// The SHA-256 of `text` in lowercase hex: plain suppression hashes, and the stored hash of
/// an API key's secret.
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Lowercase hexadecimal, written into one string: this runs twice for every code of every
/// batch (its keyed and legacy suppression hashes), where a `format!` per byte showed up in
/// the ingest profile.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyed_hash_is_not_the_plain_hash_and_depends_on_the_key() {
        let key = SuppressionKey::random();
        assert_ne!(
            key.hash("alice@example.com"),
            legacy_hash("alice@example.com")
        );
        assert_ne!(
            key.hash("alice@example.com"),
            SuppressionKey::random().hash("alice@example.com")
        );
        assert_eq!(key.hash("a"), key.hash("a"));
    }

    /// Stored suppressions stay found: the hashes are the same digits as ever (SHA-256 of
    /// "abc" from FIPS 180-2; HMAC-SHA256 as RFC 2104 defines it, the key hashed anew).
    #[test]
    fn hashes_are_the_standard_digests_in_lowercase_hex() {
        assert_eq!(
            legacy_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let key = SuppressionKey::new([7; 32]);
        for code in ["alice@example.com", "", "ü-123"] {
            let mut fresh = <Hmac<Sha256> as Mac>::new_from_slice(&[7; 32]).unwrap();
            fresh.update(code.as_bytes());
            let expected: String = fresh
                .finalize()
                .into_bytes()
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect();
            assert_eq!(key.hash(code), expected);
        }
    }

    #[test]
    fn a_store_given_another_suppression_key_refuses_to_open() {
        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", folder.path().join("c.db").display());
        let open = |key_file: &str| {
            let mut options = crate::StoreOptions::new(url.clone());
            options.suppression_key_file = Some(folder.path().join(key_file));
            crate::Store::open(&options).map(drop)
        };
        open("first.key").unwrap();
        open("first.key").expect("the same secret again");
        let refused = open("second.key").unwrap_err();
        assert!(
            matches!(refused, StoreError::SuppressionKeyMismatch),
            "a replica with its own secret would silently miss suppressions: {refused}"
        );
    }

    #[test]
    fn the_key_file_is_made_once_with_mode_0600_and_read_back() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("new").join("suppression.key");
        let made = SuppressionKey::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "only the server's user may read the secret");
        let folder_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(folder_mode, 0o700);
        let read = SuppressionKey::load_or_create(&path).unwrap();
        assert_eq!(
            made.hash("x"),
            read.hash("x"),
            "the same secret after a restart"
        );
    }
}
