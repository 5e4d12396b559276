//! Reading the country and subdivision tables out of the `keshvar` crate's generated
//! source (crates.io, fetched by cargo into its registry cache). keshvar derives from the
//! Ruby `countries` gem, not from the packages the gazetteer is built from, which is why
//! the accuracy cases take their truth from it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::fetch::run;

pub const VERSION: &str = "0.7.0";

#[derive(Debug, Default)]
pub struct Country {
    pub alpha2: String,
    pub alpha3: String,
    pub numeric: String,
    pub short_name: String,
    pub long_name: String,
    pub unofficial_names: Vec<String>,
    /// (language, name).
    pub translations: Vec<(String, String)>,
    pub subdivisions: Vec<Subdivision>,
}

#[derive(Debug, Default)]
pub struct Subdivision {
    /// The country-relative part ("B" of ES-B).
    pub code: String,
    pub name: String,
    pub unofficial_names: Vec<String>,
    pub translations: Vec<(String, String)>,
}

/// Fetches keshvar through cargo (a throwaway manifest that depends on it) and returns the
/// folder of its source in cargo's registry cache.
pub fn fetch(sources_dir: &Path) -> Result<PathBuf> {
    let probe = sources_dir.join("keshvar-probe");
    std::fs::create_dir_all(probe.join("src"))?;
    std::fs::write(probe.join("src/lib.rs"), "")?;
    std::fs::write(
        probe.join("Cargo.toml"),
        format!(
            "[package]\nname = \"keshvar-probe\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nkeshvar = \"={VERSION}\"\n\n[workspace]\n"
        ),
    )?;
    run(Command::new("cargo")
        .arg("fetch")
        .arg("--manifest-path")
        .arg(probe.join("Cargo.toml")))?;
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .context("neither CARGO_HOME nor HOME is set")?;
    for registry in std::fs::read_dir(home.join("registry/src"))? {
        let candidate = registry?.path().join(format!("keshvar-{VERSION}"));
        if candidate.exists() {
            return Ok(candidate);
        }
    }
    bail!("keshvar {VERSION} is not in cargo's registry cache after cargo fetch")
}

pub fn read(keshvar_dir: &Path) -> Result<Vec<Country>> {
    let mut countries = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(keshvar_dir.join("src/countries"))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    paths.sort();
    for path in paths {
        let source = std::fs::read_to_string(&path)?;
        let country = parse_country(&source);
        if country.alpha2.len() == 2 {
            countries.push(country);
        }
    }
    Ok(countries)
}

fn parse_country(source: &str) -> Country {
    let after = |marker: &str| source.find(marker).map(|at| &source[at + marker.len()..]);
    let enum_value = |marker: &str| {
        after(marker)
            .map(|rest| {
                rest.chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect::<String>()
            })
            .unwrap_or_default()
    };
    let string_value = |marker: &str| {
        after(marker)
            .and_then(|rest| quoted_strings(rest).into_iter().next())
            .unwrap_or_default()
    };
    let list = |marker: &str| {
        after(marker)
            .map(|rest| quoted_strings(&rest[..rest.find("];").unwrap_or(0)]))
            .unwrap_or_default()
    };
    let subdivisions = source
        .split("Subdivision{")
        .skip(1)
        .map(parse_subdivision)
        .collect();
    Country {
        alpha2: enum_value("pub const ALPHA2: Alpha2 = Alpha2::"),
        alpha3: enum_value("pub const ALPHA3: Alpha3 = Alpha3::"),
        numeric: string_value("pub const NUMBER: &str = "),
        short_name: string_value("pub const ISO_SHORT_NAME: &str = "),
        long_name: string_value("pub const ISO_LONG_NAME: &str = "),
        unofficial_names: list("pub const UNOFFICIAL_NAME_LIST: &[&str] = &["),
        translations: pairs(&list("pub const TRANSLATIONS: &[(&str, &str)] = &[")),
        subdivisions,
    }
}

fn parse_subdivision(block: &str) -> Subdivision {
    let field = |name: &str| {
        block
            .find(name)
            .and_then(|at| quoted_strings(&block[at + name.len()..]).into_iter().next())
            .unwrap_or_default()
    };
    let until_line_end = |name: &str| {
        block
            .find(name)
            .map(|at| {
                let rest = &block[at + name.len()..];
                quoted_strings(&rest[..rest.find('\n').unwrap_or(rest.len())])
            })
            .unwrap_or_default()
    };
    Subdivision {
        code: field("code: "),
        name: field("name: "),
        unofficial_names: until_line_end("unofficial_name_list: "),
        translations: pairs(&until_line_end("translations: ")),
    }
}

fn pairs(strings: &[String]) -> Vec<(String, String)> {
    strings
        .chunks_exact(2)
        .map(|pair| (pair[0].clone(), pair[1].clone()))
        .collect()
}

/// The Rust string literals in `text`, unescaped.
fn quoted_strings(text: &str) -> Vec<String> {
    let mut strings = Vec::new();
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        if character != '"' {
            continue;
        }
        let mut value = String::new();
        while let Some(character) = characters.next() {
            match character {
                '"' => break,
                '\\' => match characters.next() {
                    Some('u') => {
                        let hex: String = characters
                            .by_ref()
                            .skip_while(|c| *c == '{')
                            .take_while(|c| *c != '}')
                            .collect();
                        if let Some(decoded) =
                            u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                        {
                            value.push(decoded);
                        }
                    }
                    Some('n') => value.push('\n'),
                    Some(other) => value.push(other),
                    None => break,
                },
                other => value.push(other),
            }
        }
        strings.push(value);
    }
    strings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_are_unescaped() {
        assert_eq!(
            quoted_strings(r#"("bn", "স\u{9cd}পেন"), ("x", "a\"b")"#),
            vec!["bn", "স\u{9cd}পেন", "x", "a\"b"]
        );
    }

    #[test]
    fn a_generated_country_module_yields_its_codes_names_and_subdivisions() {
        let source = r#"
    pub const ALPHA2: Alpha2 = Alpha2::ES;
    pub const ALPHA3: Alpha3 = Alpha3::ESP;
    pub const ISO_SHORT_NAME: &str = "Spain";
    pub const ISO_LONG_NAME: &str = "The Kingdom of Spain";
    pub const NUMBER: &str = "724";
    pub const UNOFFICIAL_NAME_LIST: &[&str] = &[
        "Spain",
        "Spanien",
    ];
    pub const TRANSLATIONS: &[(&str, &str)] = &[
        ("de", "Spanien"),
    ];
                    Subdivision{
                        name: "Barcelona",
                        code: "B",
                        translations: HashMap::from([("de", "Provinz Barcelona")]),
                        unofficial_name_list: ["Barcelona", "Barna"].to_vec(),
                    }
"#;
        let country = parse_country(source);
        assert_eq!(country.alpha2, "ES");
        assert_eq!(country.alpha3, "ESP");
        assert_eq!(country.numeric, "724");
        assert_eq!(country.long_name, "The Kingdom of Spain");
        assert_eq!(country.unofficial_names, vec!["Spain", "Spanien"]);
        assert_eq!(country.translations, vec![("de".into(), "Spanien".into())]);
        let barcelona = &country.subdivisions[0];
        assert_eq!(
            (barcelona.code.as_str(), barcelona.name.as_str()),
            ("B", "Barcelona")
        );
        assert_eq!(barcelona.unofficial_names, vec!["Barcelona", "Barna"]);
        assert_eq!(barcelona.translations[0].1, "Provinz Barcelona");
    }
}
