//! What a delivering task knows of its subscription beyond the stored state: the batches
//! recorded to send next, how far the receiver has taken them, and the feed rows read ahead.
//!
//! # Writes
//! The stored state (`clientela_store::webhooks`) records batches before they are sent and
//! moves the cursor only past batches the receiver took. A task keeping up does not write
//! twice per batch for that: when it has nothing recorded left to send, one write moves the
//! cursor past everything taken since the last write (with their log entries) and records
//! the next batches, as many as the rows read ahead fill, up to [`READ_AHEAD`]; then it
//! sends them one after the other without writing. So one write serves up to ten batches,
//! and after a crash the next holder sends at most those again, under the same message ids.
//! A task also writes when it has nothing more to send (the stored cursor then catches up),
//! when a batch fails, and when its progress has waited [`WRITE_EVERY`] (a slow receiver's
//! deliveries show in the log within a second or so).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use clientela_store::{Change, Cursor, Delivery, NextBatch, Progress, Webhook};

use super::filter::Filter;
use super::new_id;
use crate::feed::ChangeItem;

/// How many batches one write records at most, and how many batches' worth of feed rows a
/// task reads ahead.
pub const READ_AHEAD: usize = 10;

/// How long deliveries wait at most to be written while recorded batches remain to send.
pub const WRITE_EVERY: Duration = Duration::from_secs(1);

/// A subscription's delivery as its task knows it.
pub struct Plan {
    /// The cursor and batch in flight as stored (the task's writes apply only while they are).
    stored_cursor: String,
    stored_batch: Option<String>,
    /// The cursor after every change the receiver took or the subscription does not send.
    pub cursor: String,
    /// Recorded batches not taken yet, in order; the first is the one to send.
    pub batches: VecDeque<NextBatch>,
    /// Log entries of the batches taken since the last write, and when the first was taken.
    delivered: Vec<Delivery>,
    since: Option<Instant>,
    /// Failed attempts of the first batch, and since when it fails (the retry schedule).
    pub attempts: i32,
    pub failing_since: Option<i64>,
    pub ahead: ReadAhead,
    /// The items of the batch to send next, read while the one before was in flight: its
    /// message id, and its items (customers read then).
    pub prepared: Option<(String, Vec<ChangeItem>)>,
}

impl Plan {
    /// The plan the stored state holds: its cursor and recorded batches.
    pub fn stored(subscription: &Webhook) -> Plan {
        Plan {
            stored_cursor: subscription.cursor.clone(),
            stored_batch: subscription.batch_id.clone(),
            cursor: subscription.cursor.clone(),
            batches: subscription.recorded_batches().into(),
            delivered: Vec::new(),
            since: None,
            attempts: subscription.attempts,
            failing_since: subscription.failing_since,
            ahead: ReadAhead::default(),
            prepared: None,
        }
    }

    /// Whether anything happened since the last write that it does not hold.
    pub fn unwritten(&self) -> bool {
        self.cursor != self.stored_cursor || !self.delivered.is_empty()
    }

    /// Whether taken batches have waited [`WRITE_EVERY`] to be written.
    pub fn overdue(&self) -> bool {
        self.since
            .is_some_and(|since| since.elapsed() >= WRITE_EVERY)
    }

    /// The receiver took the first batch: it is passed, with its log entry to write.
    pub fn taken(&mut self, delivery: Delivery) {
        self.passed();
        self.delivered.push(delivery);
        self.since.get_or_insert_with(Instant::now);
    }

    /// The first batch is done: the cursor moves past it and its failures are forgotten.
    /// Called alone for a batch that held nothing to send (every change filtered out or
    /// erased), which leaves no log entry.
    pub fn passed(&mut self) {
        if let Some(batch) = self.batches.pop_front() {
            self.cursor = batch.end;
        }
        self.attempts = 0;
        self.failing_since = None;
    }

    /// The write of this plan as it stands (its recorded batches unchanged).
    pub fn progress(&self, id: &str, holder: &str) -> Progress {
        Progress {
            webhook_id: id.to_owned(),
            holder: holder.to_owned(),
            stored_cursor: self.stored_cursor.clone(),
            stored_batch: self.stored_batch.clone(),
            cursor: self.cursor.clone(),
            delivered: self.delivered.clone(),
            next: self.batches.iter().cloned().collect(),
        }
    }

    /// `progress` was written: the stored state is this plan's now.
    pub fn written(&mut self, progress: &Progress) {
        let new_batch = progress.new_batch_in_flight();
        self.stored_cursor.clone_from(&progress.cursor);
        self.stored_batch = progress.next.first().map(|batch| batch.message_id.clone());
        self.delivered.clear();
        self.since = None;
        if new_batch {
            self.attempts = 0;
            self.failing_since = None;
        }
    }

    /// Makes the rows read ahead into new batches to record (when none is left): up to
    /// [`READ_AHEAD`] of up to `size` rows each; false when no row follows the cursor.
    pub fn cut(&mut self, size: usize) -> bool {
        let size = size.max(1);
        if self.ahead.after.as_deref() != Some(self.cursor.as_str()) {
            return false;
        }
        self.batches = self
            .ahead
            .rows
            .iter()
            .collect::<Vec<_>>()
            .chunks(size)
            .take(READ_AHEAD)
            .filter_map(|chunk| chunk.last())
            .map(|last| NextBatch {
                message_id: new_id("msg"),
                end: last.cursor.to_string(),
            })
            .collect();
        !self.batches.is_empty()
    }

    /// The rows the subscription sends of the recorded batch at `index` (0: the one to send,
    /// 1: the one after it), taken from those read ahead when they follow the batch before
    /// and reach the batch's end; `None` when they do not (read them from the feed).
    pub fn take_rows(&mut self, index: usize, filter: &Filter) -> Option<Vec<Change>> {
        let end: Cursor = self.batches.get(index)?.end.parse().ok()?;
        let after = match index {
            0 => self.cursor.as_str(),
            _ => self.batches.get(index - 1)?.end.as_str(),
        };
        let covered = self
            .ahead
            .rows
            .back()
            .is_some_and(|last| end.at_or_before(last.cursor));
        if self.ahead.after.as_deref() != Some(after) || !covered {
            return None;
        }
        let mut rows = Vec::new();
        while let Some(row) = self.ahead.rows.front() {
            if !row.cursor.at_or_before(end) {
                break;
            }
            if let Some(row) = self.ahead.rows.pop_front() {
                rows.push(row);
            }
        }
        self.ahead.after = self.batches.get(index).map(|batch| batch.end.clone());
        rows.retain(|change| filter.sends(change));
        Some(rows)
    }
}

/// Feed rows read ahead: those after `after`, in feed order, their customers not read
/// (that is done when their batch is sent).
#[derive(Default)]
pub struct ReadAhead {
    /// The cursor the rows follow (`None`: nothing read).
    pub after: Option<String>,
    pub rows: VecDeque<Change>,
}

impl ReadAhead {
    pub fn clear(&mut self) {
        self.after = None;
        self.rows.clear();
    }

    /// Makes these the rows after `cursor`: kept when they are, dropped when they follow
    /// anything else.
    pub fn follow(&mut self, cursor: &str) {
        if self.after.as_deref() != Some(cursor) {
            self.rows.clear();
            self.after = Some(cursor.to_owned());
        }
    }

    /// Where the next read goes on from: the last row held, else the cursor followed.
    pub fn read_from(&self) -> Option<Cursor> {
        self.rows.back().map(|row| row.cursor).or_else(|| {
            self.after
                .as_deref()
                .and_then(|after| after.parse::<Cursor>().ok())
        })
    }
}
