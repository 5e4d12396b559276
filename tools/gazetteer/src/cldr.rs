//! Unicode CLDR's display names (npm `cldr-localenames-full` and `cldr-subdivisions-full`):
//! the name of every country and region in every CLDR locale, and the subdivision names
//! CLDR has.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use super::read_json;

/// One display name: the locale it is of, the code it names and the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName {
    pub locale: String,
    /// An ISO 3166-1 alpha-2 code ("FR"), a region code ("003", "EU"), or for subdivisions
    /// the ISO 3166-2 code without its hyphen, lower case ("gbsct").
    pub code: String,
    pub name: String,
}

impl DisplayName {
    /// Whether the code is of a region or grouping (a UN M49 number, the EU, the euro area,
    /// the UN, Outlying Oceania, the unknown region) rather than of a country.
    pub fn is_region(&self) -> bool {
        self.code.bytes().all(|byte| byte.is_ascii_digit())
            || matches!(self.code.as_str(), "EU" | "EZ" | "UN" | "QO" | "ZZ")
    }
}

/// Every territory name of every locale, alternative forms ("CD-alt-variant": "Congo
/// (DRC)") under their plain code.
pub fn territory_names(package: &Path) -> Result<Vec<DisplayName>> {
    names(
        &package.join("package/main"),
        "territories.json",
        |json, locale| json["main"][locale]["localeDisplayNames"]["territories"].clone(),
    )
}

/// Every subdivision name of every locale.
pub fn subdivision_names(package: &Path) -> Result<Vec<DisplayName>> {
    names(&package.join("package/subdivisions"), "", |json, _| {
        json["subdivisions"]["localeDisplayNames"]["subdivisions"].clone()
    })
}

fn names(
    folder: &Path,
    file: &str,
    table: impl Fn(&Value, &str) -> Value,
) -> Result<Vec<DisplayName>> {
    let mut found = Vec::new();
    let mut locales: Vec<_> = std::fs::read_dir(folder)
        .with_context(|| format!("reading {}", folder.display()))?
        .collect::<Result<_, _>>()?;
    locales.sort_by_key(std::fs::DirEntry::file_name);
    for entry in locales {
        let locale = entry.file_name().to_string_lossy().into_owned();
        let name = if file.is_empty() {
            format!("{locale}.json")
        } else {
            file.to_owned()
        };
        let path = entry.path().join(name);
        if !path.exists() {
            continue;
        }
        let json: Value = read_json(&path)?;
        let Value::Object(entries) = table(&json, &locale) else {
            continue;
        };
        for (code, name) in entries {
            let (Some(name), Some(code)) = (name.as_str(), code.split("-alt-").next()) else {
                continue;
            };
            found.push(DisplayName {
                locale: locale.clone(),
                code: code.to_owned(),
                name: name.to_owned(),
            });
        }
    }
    Ok(found)
}
