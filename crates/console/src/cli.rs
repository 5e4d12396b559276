//! The command line and environment: which API to talk to and which key to use, found the
//! way the API itself is configured.
//!
//! The server: `--url`, else `CLIENTELA_URL`, else the API's own bind address,
//! `CLIENTELA__SERVER__BIND`, else `server.bind` in the API's configuration file (`--config`
//! or `CLIENTELA_CONFIG`), else `http://127.0.0.1:8080` (the API's default). The key:
//! `--api-key`, else `CLIENTELA_API_KEY`, else `admin.key` in the data folder: `--data-dir`,
//! else `CLIENTELA__DATA_DIR`, else `data_dir` in the configuration file, else `./data`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Parser;
use reqwest::Url;
use serde::Deserialize;

use crate::client::KeySource;

/// The API's default bind address, and so the console's default server.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Debug, Parser)]
#[command(name = "clientela-console", version, about)]
pub struct Args {
    /// Base URL of the clientela API [default: from CLIENTELA__SERVER__BIND or the
    /// configuration file's server.bind, else http://127.0.0.1:8080].
    #[arg(long, env = "CLIENTELA_URL")]
    pub url: Option<String>,
    /// API key (scope admin to delete, write to edit, read to browse).
    #[arg(long, env = "CLIENTELA_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// The API's data folder, where its first start wrote `admin.key` [default: the
    /// configuration file's data_dir, else ./data].
    #[arg(long, env = "CLIENTELA__DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The API's TOML configuration file, read for `server.bind` and `data_dir`.
    #[arg(long, env = "CLIENTELA_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// What the console starts with, once the command line is understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub url: Url,
    pub key: KeySource,
    /// Where the key file is looked for, shown when no key is found.
    pub key_file: PathBuf,
}

/// The part of the API's configuration file the console reads; every other key is the
/// API's business and is passed over.
#[derive(Debug, Default, Deserialize)]
struct ApiConfigFile {
    data_dir: Option<PathBuf>,
    #[serde(default)]
    server: ApiServerSection,
}

#[derive(Debug, Default, Deserialize)]
struct ApiServerSection {
    bind: Option<String>,
}

impl Args {
    pub fn settings(self) -> anyhow::Result<Settings> {
        let bind = std::env::var("CLIENTELA__SERVER__BIND")
            .ok()
            .filter(|bind| !bind.trim().is_empty());
        self.settings_with(bind)
    }

    /// [`Args::settings`] with `CLIENTELA__SERVER__BIND` given (tests cannot set the
    /// environment safely).
    pub fn settings_with(self, bind_variable: Option<String>) -> anyhow::Result<Settings> {
        let file = match &self.config {
            Some(path) => read_config_file(path)?,
            None => ApiConfigFile::default(),
        };
        let url = match self.url.filter(|url| !url.trim().is_empty()) {
            Some(url) => Url::parse(&url)
                .with_context(|| format!("--url / CLIENTELA_URL `{url}` is not a URL"))?,
            None => {
                let (bind, source) = match (bind_variable, file.server.bind) {
                    (Some(bind), _) => (bind, "CLIENTELA__SERVER__BIND".to_owned()),
                    (None, Some(bind)) => (bind, "server.bind in the configuration file".into()),
                    (None, None) => (DEFAULT_BIND.to_owned(), "the default".into()),
                };
                Url::parse(&url_for_bind(&bind))
                    .with_context(|| format!("{source} `{bind}` is not a host:port"))?
            }
        };
        let data_dir = self
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let key_file = data_dir.join("admin.key");
        let key = match self.api_key.filter(|key| !key.trim().is_empty()) {
            Some(key) => KeySource::Given(key),
            None => KeySource::File(key_file.clone()),
        };
        Ok(Settings { url, key, key_file })
    }
}

fn read_config_file(path: &Path) -> anyhow::Result<ApiConfigFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read the configuration file {}", path.display()))?;
    toml::from_str(&text)
        .with_context(|| format!("the configuration file {} is not valid", path.display()))
}

/// The URL to reach a server listening on `bind`: a wildcard address (every interface) is
/// reached on loopback.
pub fn url_for_bind(bind: &str) -> String {
    let bind = bind.trim();
    let reachable = if let Some(port) = bind.strip_prefix("0.0.0.0:") {
        format!("127.0.0.1:{port}")
    } else if let Some(port) = bind.strip_prefix("[::]:") {
        format!("[::1]:{port}")
    } else {
        bind.to_owned()
    };
    format!("http://{reachable}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(arguments: &[&str]) -> anyhow::Result<Settings> {
        settings_with_bind(arguments, None)
    }

    fn settings_with_bind(arguments: &[&str], bind: Option<&str>) -> anyhow::Result<Settings> {
        let arguments = std::iter::once("clientela-console").chain(arguments.iter().copied());
        Args::try_parse_from(arguments)?.settings_with(bind.map(str::to_owned))
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

    #[test]
    fn the_server_is_found_like_the_api_configures_it() {
        let folder = tempfile::tempdir().unwrap();
        let config = folder.path().join("clientela.toml");
        std::fs::write(
            &config,
            "data_dir = \"/srv/data\"\n[server]\nbind = \"0.0.0.0:9100\"\nworkers = 2\n",
        )
        .unwrap();
        let config = config.to_str().unwrap();

        // Nothing said: the API's default.
        let none = settings(&[]).unwrap();
        assert_eq!(none.url.as_str(), "http://127.0.0.1:8080/");
        // The configuration file's server.bind (a wildcard is reached on loopback), and its
        // data_dir for the key.
        let from_file = settings(&["--config", config]).unwrap();
        assert_eq!(from_file.url.as_str(), "http://127.0.0.1:9100/");
        assert_eq!(from_file.key_file, PathBuf::from("/srv/data/admin.key"));
        // CLIENTELA__SERVER__BIND wins over the file.
        let from_variable =
            settings_with_bind(&["--config", config], Some("10.1.2.3:7000")).unwrap();
        assert_eq!(from_variable.url.as_str(), "http://10.1.2.3:7000/");
        // --url wins over both.
        let from_flag = settings_with_bind(
            &["--config", config, "--url", "http://api.example:80"],
            Some("10.1.2.3:7000"),
        )
        .unwrap();
        assert_eq!(from_flag.url.as_str(), "http://api.example/");
    }

    #[test]
    fn a_configuration_file_that_cannot_be_read_is_named() {
        let error = settings(&["--config", "/nonexistent/clientela.toml"]).unwrap_err();
        assert!(
            format!("{error:#}").contains("/nonexistent/clientela.toml"),
            "{error:#}"
        );
    }
}
