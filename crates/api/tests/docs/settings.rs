//! One source for settings: the settings the code reads (`clientela_api::config::Settings`,
//! walked field by field with serde-reflection) are the rows of the settings reference in
//! docs/operations.md and the keys of `clientela.example.toml`, with the same defaults.
//!
//! Adding a setting is adding a field to a settings struct, a row to the reference (its key,
//! its environment variable, its default as a code span, or "unset" for an optional one) and
//! a line to the sample file. Each test names every setting that is missing or differs.

use std::collections::BTreeMap;

use clientela_api::config::Settings;
use serde_reflection::{ContainerFormat, Format, Tracer, TracerConfig};

use crate::markdown::{leading_code, tables};
use crate::read_repository_file;

const REFERENCE: &str = "docs/operations.md";
const SAMPLE: &str = "clientela.example.toml";
/// The header of the reference's tables (there may be one per section).
const REFERENCE_HEADER: [&str; 4] = ["setting", "environment variable", "default", "meaning"];

/// A setting the code reads: its dotted key (`server.bind`) and whether it may stay unset.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CodeSetting {
    key: String,
    optional: bool,
}

/// Every setting of [`Settings`], sections walked into, in declaration order.
fn code_settings() -> Vec<CodeSetting> {
    let mut tracer = Tracer::new(TracerConfig::default());
    tracer
        .trace_simple_type::<Settings>()
        .expect("the settings can be traced");
    // Unchecked: only the structs' fields matter here, not every variant of an enum setting.
    let registry = tracer.registry_unchecked();
    let mut settings = Vec::new();
    walk(&registry, "Settings", "", &mut settings);
    settings
}

fn walk(
    registry: &BTreeMap<String, ContainerFormat>,
    name: &str,
    prefix: &str,
    settings: &mut Vec<CodeSetting>,
) {
    let Some(ContainerFormat::Struct(fields)) = registry.get(name) else {
        panic!("{name} is not a struct of settings");
    };
    for field in fields {
        let key = format!("{prefix}{}", field.name);
        match &field.value {
            Format::TypeName(section)
                if matches!(registry.get(section), Some(ContainerFormat::Struct(_))) =>
            {
                walk(registry, section, &format!("{key}."), settings);
            }
            value => settings.push(CodeSetting {
                key,
                optional: matches!(value, Format::Option(_)),
            }),
        }
    }
}

/// `CLIENTELA__SERVER__BIND` for `server.bind`.
fn environment_variable(key: &str) -> String {
    format!("CLIENTELA__{}", key.replace('.', "__").to_uppercase())
}

/// A literal as TOML: itself when it is a TOML value (`5`, `true`, `[]`), else a string.
fn toml_literal(literal: &str) -> String {
    if toml::from_str::<toml::Table>(&format!("value = {literal}")).is_ok() {
        literal.to_owned()
    } else {
        // A JSON string is a TOML basic string: the same quotes and escapes.
        serde_json::Value::String(literal.to_owned()).to_string()
    }
}

/// Whether setting `key` to `literal` (TOML) leaves every setting at its default, as the
/// code loads it; the error names what went wrong.
fn is_the_default(key: &str, literal: &str) -> Result<(), String> {
    let (section, name) = match key.rsplit_once('.') {
        Some((section, name)) => (format!("[{section}]\n"), name),
        None => (String::new(), key),
    };
    let folder = tempfile::tempdir().expect("folder");
    let file = folder.path().join("one.toml");
    std::fs::write(&file, format!("{section}{name} = {literal}\n")).expect("write");
    let loaded = Settings::load(Some(&file)).map_err(|error| format!("{error:#}"))?;
    if format!("{loaded:?}") == format!("{:?}", Settings::default()) {
        Ok(())
    } else {
        Err(format!("`{literal}` is not the code's default"))
    }
}

/// The reference's rows: key → (environment variable cell, default cell).
fn reference_rows() -> BTreeMap<String, (String, String)> {
    let mut rows = BTreeMap::new();
    for table in tables(&read_repository_file(REFERENCE)) {
        if table.header != REFERENCE_HEADER {
            continue;
        }
        for row in table.rows {
            let key = leading_code(&row[0]).expect("a setting's key is a code span");
            let earlier = rows.insert(key.to_owned(), (row[1].clone(), row[2].clone()));
            assert!(earlier.is_none(), "{REFERENCE}: `{key}` has two rows");
        }
    }
    rows
}

fn fail_naming(problems: &[String], what: &str) {
    assert!(
        problems.is_empty(),
        "{what}:\n{}",
        problems
            .iter()
            .map(|problem| format!("  {problem}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_walk_finds_the_settings_of_every_section() {
    let keys: Vec<String> = code_settings().into_iter().map(|s| s.key).collect();
    for expected in [
        "data_dir",
        "server.bind",
        "database.url",
        "geo.overlays",
        "log.level",
    ] {
        assert!(
            keys.iter().any(|key| key == expected),
            "{expected} in {keys:?}"
        );
    }
    assert!(
        code_settings()
            .iter()
            .any(|setting| setting.key == "database.url" && setting.optional)
    );
    assert_eq!(
        environment_variable("server.bind"),
        "CLIENTELA__SERVER__BIND"
    );
    assert_eq!(environment_variable("data_dir"), "CLIENTELA__DATA_DIR");
    assert!(is_the_default("server.bind", &toml_literal("127.0.0.1:8080")).is_ok());
    assert!(is_the_default("server.bind", &toml_literal("0.0.0.0:80")).is_err());
    assert!(is_the_default("server.nonsense", "1").is_err());
}

#[test]
fn every_setting_the_code_reads_is_in_the_reference_with_its_variable_and_default() {
    let rows = reference_rows();
    let code = code_settings();
    let mut problems = Vec::new();
    for setting in &code {
        let key = &setting.key;
        let Some((variable, default)) = rows.get(key) else {
            problems.push(format!(
                "`{key}` is read by crates/api/src/config.rs but has no row in the table"
            ));
            continue;
        };
        let expected = environment_variable(key);
        if leading_code(variable) != Some(expected.as_str()) {
            problems.push(format!("`{key}`: its environment variable is `{expected}`"));
        }
        match leading_code(default) {
            Some(literal) => {
                if let Err(error) = is_the_default(key, &toml_literal(literal)) {
                    problems.push(format!("`{key}`: default `{literal}`: {error}"));
                }
            }
            None if setting.optional && default.starts_with("unset") => {}
            None if setting.optional => problems.push(format!(
                "`{key}`: the default is a code span, or starts with `unset` (optional)"
            )),
            None => problems.push(format!(
                "`{key}`: the code has a default; write it as a code span"
            )),
        }
    }
    for key in rows.keys() {
        if !code.iter().any(|setting| &setting.key == key) {
            problems.push(format!(
                "`{key}` is in the table but the code reads no such setting"
            ));
        }
    }
    fail_naming(
        &problems,
        &format!("{REFERENCE}'s settings table must match the settings the code reads"),
    );
}

/// One `key = value` line of the sample, commented out or not, under its section.
#[derive(Debug)]
struct SampleLine {
    key: String,
    value: String,
    commented: bool,
    line: usize,
}

fn sample_lines(text: &str) -> Vec<SampleLine> {
    let mut section = String::new();
    let mut lines = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(name) = line
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            section = format!("{name}.");
            continue;
        }
        let (commented, setting) = match line.strip_prefix('#') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, line),
        };
        let Some((name, value)) = setting.split_once(" = ") else {
            continue;
        };
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            lines.push(SampleLine {
                key: format!("{section}{name}"),
                value: value.trim().to_owned(),
                commented,
                line: number + 1,
            });
        }
    }
    lines
}

#[test]
fn the_sample_configuration_shows_every_setting_with_its_default() {
    let text = read_repository_file(SAMPLE);
    let lines = sample_lines(&text);
    let code = code_settings();
    let mut problems = Vec::new();
    for setting in &code {
        let shown: Vec<&SampleLine> = lines.iter().filter(|l| l.key == setting.key).collect();
        let [line] = shown.as_slice() else {
            problems.push(format!(
                "`{}` is shown {} times (once, commented out or not)",
                setting.key,
                shown.len()
            ));
            continue;
        };
        if setting.optional {
            if !line.commented {
                problems.push(format!(
                    "{SAMPLE}:{}: `{}` is unset by default: show it commented out",
                    line.line, setting.key
                ));
            }
        } else if let Err(error) = is_the_default(&setting.key, &line.value) {
            problems.push(format!(
                "{SAMPLE}:{}: `{} = {}`: {error}",
                line.line, setting.key, line.value
            ));
        }
    }
    for line in &lines {
        if !code.iter().any(|setting| setting.key == line.key) {
            problems.push(format!(
                "{SAMPLE}:{}: the code reads no setting `{}`",
                line.line, line.key
            ));
        }
    }
    fail_naming(&problems, &format!("{SAMPLE} must show every setting"));
    let loaded = Settings::load(Some(&crate::repository_file(SAMPLE))).expect("the sample loads");
    assert_eq!(
        format!("{loaded:?}"),
        format!("{:?}", Settings::default()),
        "the sample as it is sets nothing but defaults"
    );
}
