//! Reading an import file as customer records: a JSON array, JSON lines, or CSV with a header
//! of API field names.
//!
//! CSV cells become JSON values by column: an empty cell leaves the field out; a cell reading
//! exactly `null` sends null (which removes the field); `isActive` takes `true`/`false`,
//! `yearBorn` and `gender` integers; `metadata` is a JSON object written as text in the cell;
//! the other columns are text. A cell that does not fit its column is passed on as text, so
//! the API's own validation names the problem.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, bail};
use clientela_core::validate::KNOWN_FIELDS;
use serde_json::{Map, Value};

/// How the file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON array of customer objects.
    Json,
    /// One customer object per line.
    Jsonl,
    /// A header of API field names, then one customer per row.
    Csv,
}

impl Format {
    /// From the extension (`.csv`, `.jsonl`/`.ndjson`), else from the first character of the
    /// file: `[` is a JSON array, anything else JSON lines.
    pub fn detect(path: &Path) -> anyhow::Result<Format> {
        let extension = path
            .extension()
            .and_then(|extension| extension.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("csv") => return Ok(Format::Csv),
            Some("jsonl" | "ndjson") => return Ok(Format::Jsonl),
            _ => {}
        }
        let mut reader = BufReader::new(File::open(path)?);
        loop {
            let buffer = reader.fill_buf()?;
            let Some(position) = buffer.iter().position(|b| !b.is_ascii_whitespace()) else {
                if buffer.is_empty() {
                    return Ok(Format::Jsonl);
                }
                let length = buffer.len();
                reader.consume(length);
                continue;
            };
            return Ok(if buffer[position] == b'[' {
                Format::Json
            } else {
                Format::Jsonl
            });
        }
    }
}

/// One customer of the file: its number (1-based: the element of a JSON array, the line of
/// JSON lines, the row after the header of a CSV) and its JSON object, or why it has none.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub number: usize,
    pub value: Result<Value, RecordProblem>,
}

/// A record that could not even be read as a customer object.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordProblem {
    pub field: Option<String>,
    pub message: String,
    /// What the file held, as text.
    pub input: String,
}

/// Fields of a customer's representation that a POST does not take: `export` writes them,
/// `import` passes over them, so an export imports back as it was.
const READ_ONLY_FIELDS: [&str; 4] = ["location", "createdAt", "updatedAt", "version"];

fn without_read_only_fields(mut value: Value) -> Value {
    if let Value::Object(object) = &mut value {
        for field in READ_ONLY_FIELDS {
            object.remove(field);
        }
    }
    value
}

/// Every record of the file, in order.
pub fn read(path: &Path, format: Format) -> anyhow::Result<Box<dyn Iterator<Item = Record>>> {
    let file = File::open(path).with_context(|| format!("could not open {}", path.display()))?;
    match format {
        Format::Json => {
            let values: Vec<Value> = serde_json::from_reader(BufReader::new(file))
                .with_context(|| format!("{} is not a JSON array", path.display()))?;
            Ok(Box::new(values.into_iter().enumerate().map(
                |(index, value)| Record {
                    number: index + 1,
                    value: Ok(without_read_only_fields(value)),
                },
            )))
        }
        Format::Jsonl => Ok(Box::new(
            BufReader::new(file)
                .lines()
                .enumerate()
                .filter_map(|(index, line)| {
                    let number = index + 1;
                    let value = match line {
                        Err(error) => Err(problem(None, format!("unreadable line: {error}"), "")),
                        Ok(line) if line.trim().is_empty() => return None,
                        Ok(line) => serde_json::from_str(&line)
                            .map(without_read_only_fields)
                            .map_err(|error| {
                                problem(None, format!("not valid JSON: {error}"), &line)
                            }),
                    };
                    Some(Record { number, value })
                }),
        )),
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(file);
            let header: Vec<String> = reader
                .headers()
                .with_context(|| format!("{} has no CSV header", path.display()))?
                .iter()
                .map(|name| name.trim().to_owned())
                .collect();
            for name in &header {
                if !KNOWN_FIELDS.contains(&name.as_str()) {
                    bail!(
                        "the CSV column `{name}` is not a customer field; columns are named \
                         like the API's fields: {}",
                        KNOWN_FIELDS.join(", ")
                    );
                }
            }
            Ok(Box::new(reader.into_records().enumerate().map(
                move |(index, row)| {
                    let number = index + 1;
                    let value = match row {
                        Ok(row) => csv_object(&header, row.iter()),
                        Err(error) => Err(problem(None, format!("unreadable row: {error}"), "")),
                    };
                    Record { number, value }
                },
            )))
        }
    }
}

/// How many records the file holds (for the progress bar): one cheap pass.
pub fn count(path: &Path, format: Format) -> anyhow::Result<usize> {
    let file = File::open(path)?;
    Ok(match format {
        Format::Json => read(path, format)?.count(),
        Format::Jsonl => BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .filter(|line| !line.trim().is_empty())
            .count(),
        Format::Csv => csv::Reader::from_reader(file).into_records().count(),
    })
}

/// One CSV row as a customer object, by the rules in the module docs.
pub fn csv_object<'a>(
    header: &[String],
    cells: impl Iterator<Item = &'a str>,
) -> Result<Value, RecordProblem> {
    let mut object = Map::new();
    let cells: Vec<&str> = cells.collect();
    for (name, cell) in header.iter().zip(&cells) {
        if cell.is_empty() {
            continue;
        }
        let value = if *cell == "null" {
            Value::Null
        } else {
            match name.as_str() {
                "isActive" => match cell.to_ascii_lowercase().as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => Value::String((*cell).to_owned()),
                },
                "yearBorn" | "gender" => cell
                    .trim()
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::String((*cell).to_owned())),
                "metadata" => serde_json::from_str(cell).map_err(|error| {
                    problem(
                        Some("metadata"),
                        format!("metadata is not valid JSON: {error}"),
                        &cells.join(","),
                    )
                })?,
                _ => Value::String((*cell).to_owned()),
            }
        };
        object.insert(name.clone(), value);
    }
    Ok(Value::Object(object))
}

fn problem(field: Option<&str>, message: String, input: &str) -> RecordProblem {
    RecordProblem {
        field: field.map(str::to_owned),
        message,
        input: input.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn row(cells: &[&str]) -> Result<Value, RecordProblem> {
        let header: Vec<String> = ["code", "isActive", "yearBorn", "gender", "city", "metadata"]
            .map(str::to_owned)
            .to_vec();
        csv_object(&header, cells.iter().copied())
    }

    #[test]
    fn csv_cells_become_typed_values_and_empty_cells_are_left_out() {
        let value = row(&["A1", "false", "1990", "2", "", r#"{"tier": "gold"}"#]);
        assert_eq!(
            value,
            Ok(
                json!({"code": "A1", "isActive": false, "yearBorn": 1990, "gender": 2,
                      "metadata": {"tier": "gold"}})
            )
        );
    }

    #[test]
    fn a_csv_cell_reading_null_sends_null() {
        assert_eq!(
            row(&["A1", "", "", "", "null", "null"]),
            Ok(json!({"code": "A1", "city": null, "metadata": null}))
        );
    }

    #[test]
    fn a_csv_cell_that_does_not_fit_its_column_is_passed_on_for_validation() {
        assert_eq!(
            row(&["A1", "maybe", "soon", "", "", ""]),
            Ok(json!({"code": "A1", "isActive": "maybe", "yearBorn": "soon"}))
        );
    }

    #[test]
    fn metadata_that_is_not_json_is_a_problem_of_the_record() {
        let problem = row(&["A1", "", "", "", "", "{oops"]).err();
        assert_eq!(
            problem.and_then(|problem| problem.field),
            Some("metadata".to_owned())
        );
    }
}
