//! Validation errors for one customer: each names the field it concerns, so the API can
//! answer every problem of a request at once, each where it belongs.

use thiserror::Error;

/// One problem with one field of a customer object.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FieldError {
    #[error("the customer must be a JSON object")]
    NotAnObject,
    #[error("`{field}` is required")]
    Required { field: &'static str },
    #[error("`{field}` must be {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    #[error("`{field}` must not be empty")]
    Empty { field: &'static str },
    #[error("`{field}` is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("`{field}` must not contain control characters (bidirectional controls included)")]
    ControlCharacter { field: &'static str },
    #[error("the customer is {bytes} bytes as sent; at most {max} are allowed")]
    TooLarge { bytes: usize, max: usize },
    #[error(
        "`{field}` must not contain invisible characters (zero-width, joiners, tags, separators)"
    )]
    InvisibleCharacter { field: &'static str },
    #[error("`{field}` must not be only whitespace")]
    Blank { field: &'static str },
    #[error("`{field}` must be between {min} and {max}")]
    OutOfRange {
        field: &'static str,
        min: i64,
        max: i64,
    },
    #[error("unknown field `{field}`{}", suggestion.map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    UnknownField {
        field: String,
        suggestion: Option<&'static str>,
    },
    #[error("`metadata` is {chars} characters once serialized; at most {max} are allowed")]
    MetadataTooLarge { chars: usize, max: usize },
    #[error("`metadata` is nested deeper than {max} levels")]
    MetadataTooDeep { max: usize },
    #[error("`{field}` could not be resolved to a known place: {detail}")]
    UnresolvedPlace { field: &'static str, detail: String },
}

impl FieldError {
    /// The JSON field the error concerns (`""` for the object as a whole).
    pub fn field(&self) -> &str {
        match self {
            FieldError::NotAnObject | FieldError::TooLarge { .. } => "",
            FieldError::Required { field }
            | FieldError::WrongType { field, .. }
            | FieldError::Empty { field }
            | FieldError::TooLong { field, .. }
            | FieldError::ControlCharacter { field }
            | FieldError::InvisibleCharacter { field }
            | FieldError::Blank { field }
            | FieldError::OutOfRange { field, .. }
            | FieldError::UnresolvedPlace { field, .. } => field,
            FieldError::UnknownField { field, .. } => field,
            FieldError::MetadataTooLarge { .. } | FieldError::MetadataTooDeep { .. } => "metadata",
        }
    }
}
