//! The overlay's CSV files, read by column name: a missing column is an error naming it,
//! an empty cell is no value.

use std::collections::HashMap;

use super::error::OverlayError;

/// One CSV file read by column name, so that reordered or extra columns do not matter.
pub(super) struct Table {
    file: &'static str,
    pub(super) records: Vec<csv::StringRecord>,
    columns: HashMap<String, usize>,
}

impl Table {
    pub(super) fn parse(file: &'static str, text: &str) -> Result<Table, OverlayError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let bad = |error: csv::Error| OverlayError::BadRecord {
            file,
            record: error.position().map_or(0, csv::Position::record),
            message: error.to_string(),
        };
        let columns = reader
            .headers()
            .map_err(bad)?
            .iter()
            .enumerate()
            .map(|(position, name)| (name.trim().to_owned(), position))
            .collect();
        let records = reader
            .records()
            .collect::<Result<Vec<_>, _>>()
            .map_err(bad)?;
        Ok(Table {
            file,
            records,
            columns,
        })
    }

    pub(super) fn column(&self, name: &'static str) -> Result<usize, OverlayError> {
        self.columns
            .get(name)
            .copied()
            .ok_or(OverlayError::MissingColumn {
                file: self.file,
                column: name,
            })
    }
}

pub(super) fn field(record: &csv::StringRecord, column: usize) -> Option<&str> {
    record
        .get(column)
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

pub(super) fn coordinate(record: &csv::StringRecord, column: usize) -> f32 {
    field(record, column)
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}
