//! What goes wrong loading an overlay: a missing column, or a record that does not parse,
//! each named by file (and record).

#[derive(Debug, thiserror::Error)]
pub enum OverlayError {
    #[error("{file}: missing column `{column}`")]
    MissingColumn {
        file: &'static str,
        column: &'static str,
    },
    #[error("{file}, record {record}: {message}")]
    BadRecord {
        file: &'static str,
        record: u64,
        message: String,
    },
}
