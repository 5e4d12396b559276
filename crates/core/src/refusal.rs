//! Why a customer, or a request's array of them, is not applied: the one refusal type from
//! the store to the wire. The store decides it, `api::error` turns it into a problem
//! document, in one place; nothing here speaks HTTP.

use thiserror::Error;

use crate::{FieldError, MAX_BATCH};

/// Why one customer was not applied. The same customer gets the same refusal whether it was
/// sent alone or as an item of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// It breaks the rules of a customer (as sent, or once merged: metadata grown past its
    /// limit): every problem, each naming its field.
    Invalid(Vec<FieldError>),
    /// Its code was erased with `suppress=true` and not allowed again since.
    Suppressed { code: String },
    /// `If-Match` / `If-None-Match` did not hold; `current` is the stored version (`None`:
    /// no customer has the code).
    PreconditionFailed { code: String, current: Option<i64> },
}

/// An array of customers that is empty or longer than [`MAX_BATCH`]. `len` is the count
/// read: a reader may stop at item `MAX_BATCH + 1` rather than read further.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the array holds {}; send 1 to {MAX_BATCH} per request", held(*len))]
pub struct BatchLength {
    pub len: usize,
}

impl BatchLength {
    /// `Err` unless `len` customers make a batch.
    pub fn check(len: usize) -> Result<(), BatchLength> {
        match len {
            1..=MAX_BATCH => Ok(()),
            _ => Err(BatchLength { len }),
        }
    }
}

fn held(len: usize) -> String {
    match len {
        0 => "no customers".to_owned(),
        _ => format!("{} customers or more", MAX_BATCH + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message is the same wherever the length is checked (a streamed body stops
    /// counting at the first item too many, an import counts them all).
    #[test]
    fn a_batch_is_1_to_100_customers_with_one_message_either_side() {
        assert_eq!(BatchLength::check(1), Ok(()));
        assert_eq!(BatchLength::check(MAX_BATCH), Ok(()));
        assert_eq!(
            BatchLength::check(0).unwrap_err().to_string(),
            "the array holds no customers; send 1 to 100 per request"
        );
        for len in [MAX_BATCH + 1, 5_000] {
            assert_eq!(
                BatchLength::check(len).unwrap_err().to_string(),
                "the array holds 101 customers or more; send 1 to 100 per request"
            );
        }
    }
}
