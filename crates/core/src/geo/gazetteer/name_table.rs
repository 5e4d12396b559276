//! The name tables: folded names pointing at record indexes, sorted for binary search.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

#[cfg(any(test, feature = "build"))]
use super::super::fold::fold;
use super::exact_vec;

/// How a name key was derived; a lower rank is the better claim when two places share a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum NameRank {
    /// The place's own English or ISO name.
    Primary,
    /// Its native or official name, or a well-known alias.
    Native,
    /// A translation or an alternate spelling.
    Alternate,
}

/// Folded names pointing at record indexes, sorted by key, in one string buffer so that a
/// few hundred thousand keys cost two allocations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NameTable {
    text: String,
    #[serde(deserialize_with = "exact_vec")]
    entries: Vec<NameEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct NameEntry {
    start: u32,
    len: u32,
    target: u32,
    rank: NameRank,
}

/// Collects names for a [`NameTable`]; duplicates are dropped when it is built.
#[derive(Debug, Default)]
pub struct NameTableBuilder {
    table: NameTable,
}

impl NameTableBuilder {
    /// Adds `name` (folded here) as a key of record `target`.
    #[cfg(any(test, feature = "build"))]
    pub fn add(&mut self, name: &str, target: u32, rank: NameRank) {
        let key = fold(name);
        self.add_folded(&key, target, rank);
    }

    pub fn add_folded(&mut self, key: &str, target: u32, rank: NameRank) {
        if key.is_empty() {
            return;
        }
        let (Ok(start), Ok(len)) = (
            u32::try_from(self.table.text.len()),
            u32::try_from(key.len()),
        ) else {
            return;
        };
        self.table.text.push_str(key);
        self.table.entries.push(NameEntry {
            start,
            len,
            target,
            rank,
        });
    }

    /// Every (folded key, target) added so far, in the order added.
    #[cfg(feature = "build")]
    pub fn snapshot(&self) -> Vec<(String, u32, NameRank)> {
        self.table
            .entries
            .iter()
            .map(|entry| (self.table.key(entry).to_owned(), entry.target, entry.rank))
            .collect()
    }

    /// Sorts by key, then rank, then target, and keeps each (key, target) once with its best
    /// rank; the text is rewritten so each distinct key is stored once.
    pub fn build(self) -> NameTable {
        let NameTable { text, mut entries } = self.table;
        let key_of =
            |entry: &NameEntry| &text[entry.start as usize..(entry.start + entry.len) as usize];
        entries.sort_by(|left, right| {
            key_of(left)
                .cmp(key_of(right))
                .then(left.target.cmp(&right.target))
                .then(left.rank.cmp(&right.rank))
        });
        compact(
            entries.iter().map(|entry| (key_of(entry), *entry)),
            text.len() / 2,
            entries.len(),
        )
    }
}

/// Whether `left` comes before `right` (or with it) in a table's order.
fn sorts_first(left: &(&str, NameEntry), right: &(&str, NameEntry)) -> bool {
    (left.0, left.1.target, left.1.rank) <= (right.0, right.1.target, right.1.rank)
}

/// Builds a table from entries sorted by (key, target, rank): each (key, target) kept once
/// with its best rank, each distinct key stored once in the text.
fn compact<'a>(
    sorted: impl Iterator<Item = (&'a str, NameEntry)>,
    text_capacity: usize,
    entries_capacity: usize,
) -> NameTable {
    let mut text = String::with_capacity(text_capacity);
    let mut entries: Vec<NameEntry> = Vec::with_capacity(entries_capacity);
    let mut previous_key: Option<&str> = None;
    for (key, entry) in sorted {
        if previous_key == Some(key) {
            if let Some(last) = entries.last()
                && last.target == entry.target
            {
                continue;
            }
            let start = entries.last().map_or(0, |last| last.start);
            entries.push(NameEntry { start, ..entry });
            continue;
        }
        let Ok(start) = u32::try_from(text.len()) else {
            break;
        };
        text.push_str(key);
        entries.push(NameEntry { start, ..entry });
        previous_key = Some(key);
    }
    NameTable { text, entries }
}

impl NameTable {
    /// Every record named `key` (already folded), with the rank of that name.
    pub fn get<'a>(&'a self, key: &'a str) -> impl Iterator<Item = (u32, NameRank)> + 'a {
        let first = self
            .entries
            .partition_point(|entry| self.key(entry).cmp(key) == Ordering::Less);
        self.entries[first..]
            .iter()
            .take_while(move |entry| self.key(entry) == key)
            .map(|entry| (entry.target, entry.rank))
    }

    /// This table and `other` as one, in one linear pass over both (an overlay adds its
    /// names this way instead of sorting the whole table again).
    pub fn merge(self, other: NameTable) -> NameTable {
        let mut left = self
            .entries
            .iter()
            .map(|entry| (self.key(entry), *entry))
            .peekable();
        let mut right = other
            .entries
            .iter()
            .map(|entry| (other.key(entry), *entry))
            .peekable();
        let merged = std::iter::from_fn(|| match (left.peek(), right.peek()) {
            (Some(from_left), Some(from_right)) if sorts_first(from_left, from_right) => {
                left.next()
            }
            (Some(_), None) => left.next(),
            _ => right.next(),
        });
        compact(
            merged,
            self.text.len() + other.text.len(),
            self.entries.len() + other.entries.len(),
        )
    }

    /// The entry at `position` in key order, as (key, target, rank).
    pub fn entry(&self, position: usize) -> Option<(&str, u32, NameRank)> {
        let entry = self.entries.get(position)?;
        Some((self.key(entry), entry.target, entry.rank))
    }

    /// The positions of the entries whose key starts with `prefix` (already folded).
    pub fn prefixed(&self, prefix: &str) -> std::ops::Range<usize> {
        let start = self
            .entries
            .partition_point(|entry| self.key(entry) < prefix);
        let end = start
            + self.entries[start..].partition_point(|entry| self.key(entry).starts_with(prefix));
        start..end
    }

    /// Every (key, target, rank), in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32, NameRank)> + '_ {
        self.entries
            .iter()
            .map(|entry| (self.key(entry), entry.target, entry.rank))
    }

    /// How many (key, target) entries the table holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(feature = "build")]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The table without the entries `keep` refuses.
    #[cfg(feature = "build")]
    pub fn retain(self, mut keep: impl FnMut(&str, u32, NameRank) -> bool) -> NameTable {
        let kept: Vec<(&str, NameEntry)> = self
            .entries
            .iter()
            .map(|entry| (self.key(entry), *entry))
            .filter(|(key, entry)| keep(key, entry.target, entry.rank))
            .collect();
        let entries = kept.len();
        compact(kept.into_iter(), self.text.len(), entries)
    }

    fn key(&self, entry: &NameEntry) -> &str {
        self.text
            .get(entry.start as usize..(entry.start + entry.len) as usize)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_table_finds_every_target_of_a_key_once_with_its_best_rank() {
        let mut builder = NameTableBuilder::default();
        builder.add("Georgia", 7, NameRank::Alternate);
        builder.add("georgia", 7, NameRank::Primary);
        builder.add("Géorgie", 7, NameRank::Alternate);
        builder.add("Georgia", 3, NameRank::Primary);
        builder.add("Gabon", 1, NameRank::Primary);
        let table = builder.build();
        let found: Vec<_> = table.get("georgia").collect();
        assert_eq!(found, vec![(3, NameRank::Primary), (7, NameRank::Primary)]);
        assert_eq!(table.get("georgie").count(), 1);
        assert_eq!(table.get("georg").count(), 0);
    }

    #[test]
    fn merging_two_tables_finds_the_names_of_both_once() {
        let mut first = NameTableBuilder::default();
        first.add("Georgia", 3, NameRank::Primary);
        first.add("Gabon", 1, NameRank::Primary);
        let mut second = NameTableBuilder::default();
        second.add("Georgia", 3, NameRank::Alternate);
        second.add("Georgia", 7, NameRank::Native);
        second.add("Zambia", 9, NameRank::Primary);
        let merged = first.build().merge(second.build());
        let georgia: Vec<_> = merged.get("georgia").collect();
        assert_eq!(georgia, vec![(3, NameRank::Primary), (7, NameRank::Native)]);
        assert_eq!(merged.get("gabon").count(), 1);
        assert_eq!(merged.get("zambia").count(), 1);
        assert_eq!(merged.iter().count(), 4);
    }
}
