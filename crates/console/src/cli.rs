//! The command line and environment: which API to talk to and which key to use.
//!
//! Reads `--url` / `CLIENTELA_URL` (default `http://127.0.0.1:8080`), `--api-key` /
//! `CLIENTELA_API_KEY`, and `--data-dir` / `CLIENTELA__DATA_DIR` (default `./data`, the API's
//! own default), whose `admin.key` is used when no key is given.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use reqwest::Url;

use crate::client::KeySource;

#[derive(Debug, Parser)]
#[command(name = "clientela-console", version, about)]
pub struct Args {
    /// Base URL of the clientela API.
    #[arg(long, env = "CLIENTELA_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// API key (scope admin to delete, write to edit, read to browse).
    #[arg(long, env = "CLIENTELA_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// The API's data folder, where its first start wrote `admin.key`.
    #[arg(long, env = "CLIENTELA__DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
}

/// What the console starts with, once the command line is understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub url: Url,
    pub key: KeySource,
    /// Where the key file is looked for, shown when no key is found.
    pub key_file: PathBuf,
}

impl Args {
    pub fn settings(self) -> anyhow::Result<Settings> {
        let url = Url::parse(&self.url)
            .with_context(|| format!("--url / CLIENTELA_URL `{}` is not a URL", self.url))?;
        let key_file = self.data_dir.join("admin.key");
        let key = match self.api_key.filter(|key| !key.trim().is_empty()) {
            Some(key) => KeySource::Given(key),
            None => KeySource::File(key_file.clone()),
        };
        Ok(Settings { url, key, key_file })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn settings(arguments: &[&str]) -> anyhow::Result<Settings> {
        let arguments = std::iter::once("clientela-console").chain(arguments.iter().copied());
        Args::try_parse_from(arguments)?.settings()
    }

    #[test]
    fn flags_choose_the_server_and_the_key() {
        let settings = settings(&["--url", "http://10.0.0.5:9000", "--api-key", "k1"]).unwrap();
        assert_eq!(settings.url.as_str(), "http://10.0.0.5:9000/");
        assert_eq!(settings.key, KeySource::Given("k1".to_owned()));
    }

    #[test]
    fn without_a_key_the_data_dir_admin_key_file_is_used() {
        let settings = settings(&["--api-key", "", "--data-dir", "/srv/clientela"]).unwrap();
        let file = PathBuf::from("/srv/clientela/admin.key");
        assert_eq!(settings.key, KeySource::File(file.clone()));
        assert_eq!(settings.key_file, file);
    }

    #[test]
    fn a_url_that_does_not_parse_is_refused_with_its_name() {
        let error = settings(&["--url", "not a url"]).unwrap_err();
        assert!(error.to_string().contains("CLIENTELA_URL"), "{error}");
    }
}
