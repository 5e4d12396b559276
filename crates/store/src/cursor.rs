//! A position in the change feed, as clients see it: the `next` of a page, the cursor a
//! webhook subscription keeps, and what `GET /changes?after=` reads back.

use std::fmt;
use std::str::FromStr;

use crate::history::{FIRST_EPOCH, digits};

/// A position in the feed: after this change, in the history (epoch) it was given out in.
/// Opaque to clients: `"<txid>-<seq>"` in the first history (the transaction id is 0 on
/// SQLite, which has no other), `"<epoch>.<txid>-<seq>"` in later ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor {
    pub(crate) epoch: i64,
    pub(crate) txid: i64,
    pub(crate) seq: i64,
}

impl Default for Cursor {
    fn default() -> Self {
        Cursor {
            epoch: FIRST_EPOCH,
            txid: 0,
            seq: 0,
        }
    }
}

impl Cursor {
    pub(crate) fn at(epoch: i64, txid: i64, seq: i64) -> Cursor {
        Cursor { epoch, txid, seq }
    }

    /// The row position, whatever the history.
    pub(crate) fn position(self) -> (i64, i64) {
        (self.txid, self.seq)
    }

    /// Whether this row is at or before `end`'s position, whatever history either names: a
    /// batch recorded up to `end` in one history and read again in the next, where the rows
    /// it inherited keep their positions but are named by the new history (comparing the
    /// cursors themselves would put every one of them after `end`).
    pub fn at_or_before(self, end: Cursor) -> bool {
        self.position() <= end.position()
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != FIRST_EPOCH {
            write!(formatter, "{}.", self.epoch)?;
        }
        write!(formatter, "{}-{}", self.txid, self.seq)
    }
}

/// A text that is not a cursor this service gave out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a change feed cursor; use the `next` of a page")]
pub struct BadCursor(pub String);

impl FromStr for Cursor {
    type Err = BadCursor;

    fn from_str(text: &str) -> Result<Cursor, BadCursor> {
        let bad = || BadCursor(text.chars().take(64).collect());
        let (epoch, position) = match text.split_once('.') {
            Some((epoch, position)) => (digits(epoch).filter(|epoch| *epoch >= 1), position),
            None => (Some(FIRST_EPOCH), text),
        };
        let (txid, seq) = position.split_once('-').ok_or_else(bad)?;
        Ok(Cursor {
            epoch: epoch.ok_or_else(bad)?,
            txid: digits(txid).ok_or_else(bad)?,
            seq: digits(seq).ok_or_else(bad)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn a_cursor_reads_back_what_it_writes_and_nothing_else() {
        let cursor: Cursor = "812-40".parse().expect("a cursor");
        assert_eq!(cursor.to_string(), "812-40");
        for bad in [
            "",
            "12",
            "a-1",
            "1-",
            "-1-2",
            "1-2-3",
            "+1-2",
            "99999999999999999999-1",
        ] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad}");
        }
    }

    #[test]
    fn cursors_order_by_transaction_then_sequence() {
        let parse = |text: &str| text.parse::<Cursor>().expect("a cursor");
        assert!(parse("5-9") < parse("6-1"));
        assert!(parse("6-1") < parse("6-2"));
    }

    #[test]
    fn a_position_compares_across_histories() {
        let parse = |text: &str| text.parse::<Cursor>().expect("a cursor");
        assert!(parse("2.6-1").at_or_before(parse("6-1")));
        assert!(parse("2.5-9").at_or_before(parse("6-1")));
        assert!(!parse("2.6-2").at_or_before(parse("6-1")));
        assert!(parse("6-1").at_or_before(parse("2.6-1")));
    }
}
