//! `clientela-api import FILE`: customers from a JSON array, JSON lines or CSV file, applied in
//! batches of 100 through [`crate::ingest`], the code path of `POST /customers`.
//!
//! Next to FILE it keeps two files:
//! - `FILE.rejected.jsonl`: one line per refused record, `{"record", "code", "error",
//!   "input"}` (`record` counts from 1: array element, line, or CSV row after the header).
//! - `FILE.import-progress.json`: written after every committed batch (records done,
//!   counts, the rejected file's length, and FILE's size and modification time). An
//!   interrupted import run again resumes after the last committed batch; the progress file
//!   is removed when the import completes. `--restart` ignores it. If FILE changed since, the
//!   import refuses to resume rather than skip the wrong records.
//!
//! `--dry-run` runs the same checks and writes nothing but its own rejected file.
//!
//! Each batch commits in one transaction, and a POST is safe to repeat, so a crash between a
//! commit and the progress write only replays that one batch (its customers come out
//! `unchanged`).

mod records;

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::{Context, bail};
use clap::Args;
use clientela_core::MAX_BATCH;
use clientela_core::wire::BatchItem;
use clientela_store::Store;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::Settings;
use crate::error::ApiError;
use crate::ingest::Ingest;
use crate::ingest::batch_response;
pub use records::Format;
use records::Record;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file: a JSON array, JSON lines (.jsonl) or CSV (.csv) with a header of API field
    /// names.
    pub file: PathBuf,
    /// The file's format, when its extension does not say.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Refuse places that cannot be resolved (as `?strict=true`).
    #[arg(long)]
    pub strict: bool,
    /// Start from the first record even if an interrupted import left progress behind.
    #[arg(long)]
    pub restart: bool,
    /// Validate and resolve every record and say what would happen (created, updated,
    /// unchanged, failed), writing nothing to the database and leaving any progress of an
    /// interrupted import alone. Refused records go to `FILE.dry-run-rejected.jsonl`. Each
    /// batch is weighed against the database as it is, so a code that appears in two
    /// batches of the file counts as created in both.
    #[arg(long)]
    pub dry_run: bool,
}

/// What has been done so far; also the progress file's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// FILE's size and modification time (seconds) when the import started.
    pub input_bytes: u64,
    pub input_modified: u64,
    /// Records read and committed (or rejected), from the start of FILE.
    pub records_done: usize,
    /// Length of the rejected file after the last committed batch.
    pub rejected_bytes: u64,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    /// Records saved with a place (country, state or city) the resolver could not resolve;
    /// they are kept as sent, with a warning. (Absent from progress files of older versions.)
    #[serde(default)]
    pub unresolved: usize,
}

pub fn progress_path(file: &Path) -> PathBuf {
    sibling(file, "import-progress.json")
}

pub fn rejected_path(file: &Path) -> PathBuf {
    sibling(file, "rejected.jsonl")
}

fn sibling(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(suffix);
    file.with_file_name(name)
}

pub fn run(settings: &Settings, args: &ImportArgs) -> anyhow::Result<()> {
    let store = Store::open(&settings.store_options()).context("could not open the database")?;
    // The resolver the server would use (with `geo.overlays`), so a file imports exactly
    // as the same customers posted to the API would.
    let resolver = super::resolver::load(settings)?;
    let ingest = Ingest {
        store: &store,
        resolver: &resolver,
        strict_geo: args.strict || settings.geo.strict,
        dry_run: args.dry_run,
    };
    let progress = import(&ingest, args)?;
    let rejected = rejected_file_of(args);
    if args.dry_run {
        println!(
            "dry run, nothing written: {}",
            summary(&args.file, &progress)
        );
    } else {
        println!("{}", summary(&args.file, &progress));
    }
    if progress.failed > 0 {
        println!("rejected records and their reasons: {}", rejected.display());
        // A script must not take a partial import for a complete one.
        bail!(
            "{} of {} records failed (see {})",
            progress.failed,
            progress.records_done,
            rejected.display()
        );
    }
    Ok(())
}

/// Where refused records are written: a dry run keeps its own file, so that it never
/// truncates the report of an interrupted real import.
fn rejected_file_of(args: &ImportArgs) -> PathBuf {
    if args.dry_run {
        sibling(&args.file, "dry-run-rejected.jsonl")
    } else {
        rejected_path(&args.file)
    }
}

/// The closing line: what became of the records, and how many places stayed unresolved.
pub fn summary(file: &Path, progress: &Progress) -> String {
    format!(
        "imported {}: {} created, {} updated, {} unchanged, {} failed; {} with a place not \
         resolved (kept as sent)",
        file.display(),
        progress.created,
        progress.updated,
        progress.unchanged,
        progress.failed,
        progress.unresolved
    )
}

/// Runs the import (resuming when progress says so) and returns the final counts.
pub fn import(ingest: &Ingest<'_>, args: &ImportArgs) -> anyhow::Result<Progress> {
    let file = &args.file;
    let format = match args.format {
        Some(format) => format,
        None => Format::detect(file)?,
    };
    let (input_bytes, input_modified) = fingerprint(file)?;
    let progress_file = progress_path(file);
    let rejected_file = rejected_file_of(args);

    let mut progress = Progress {
        input_bytes,
        input_modified,
        ..Progress::default()
    };
    if !args.restart && !args.dry_run && progress_file.exists() {
        let saved: Progress = serde_json::from_slice(&std::fs::read(&progress_file)?)
            .with_context(|| format!("{} is not a progress file", progress_file.display()))?;
        if (saved.input_bytes, saved.input_modified) != (input_bytes, input_modified) {
            bail!(
                "{} changed since the interrupted import recorded in {}; run with --restart to \
                 import it from the start",
                file.display(),
                progress_file.display()
            );
        }
        eprintln!(
            "resuming after record {} ({})",
            saved.records_done,
            progress_file.display()
        );
        progress = saved;
    }
    // Back to the last committed batch: drop rejections written after it.
    let rejected = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&rejected_file)
        .with_context(|| format!("could not write {}", rejected_file.display()))?;
    rejected.set_len(progress.rejected_bytes)?;
    let mut rejected = BufWriter::new(OpenOptions::new().append(true).open(&rejected_file)?);

    let total = records::count(file, format)?;
    let bar = progress_bar(total, progress.records_done);
    let mut pending: Vec<Record> = Vec::with_capacity(MAX_BATCH);
    let mut reader = records::read(file, format)?.skip(progress.records_done);
    loop {
        let record = reader.next();
        let end = record.is_none();
        if let Some(record) = record {
            pending.push(record);
        }
        if pending.len() == MAX_BATCH || (end && !pending.is_empty()) {
            apply_batch(
                ingest,
                std::mem::take(&mut pending),
                &mut progress,
                &mut rejected,
            )?;
            rejected.flush()?;
            progress.rejected_bytes = rejected.get_ref().metadata()?.len();
            if !args.dry_run {
                save_progress(&progress_file, &progress)?;
            }
            bar.set_position(progress.records_done as u64);
        }
        if end {
            break;
        }
    }
    bar.finish_and_clear();
    if !args.dry_run {
        std::fs::remove_file(&progress_file).ok();
    }
    if progress.failed == 0 {
        std::fs::remove_file(&rejected_file).ok();
    }
    Ok(progress)
}

/// Sends one batch through the API's ingest and records what became of each record.
fn apply_batch(
    ingest: &Ingest<'_>,
    batch: Vec<Record>,
    progress: &mut Progress,
    rejected: &mut impl Write,
) -> anyhow::Result<()> {
    let mut numbers = Vec::with_capacity(batch.len());
    let mut inputs = Vec::with_capacity(batch.len());
    for record in batch {
        match record.value {
            Ok(value) => {
                numbers.push(record.number);
                inputs.push(value);
            }
            Err(problem) => {
                progress.failed += 1;
                let line = json!({
                    "record": record.number,
                    "code": null,
                    "error": unreadable_error(&problem).problem(),
                    "input": problem.input,
                });
                writeln!(rejected, "{line}")?;
            }
        }
        progress.records_done += 1;
    }
    if inputs.is_empty() {
        return Ok(());
    }
    let batch = ingest
        .batch(inputs.iter().cloned().map(Ok), false)
        .map_err(|error| {
            anyhow::anyhow!(
                "the batch ending at record {}: {error}",
                progress.records_done
            )
        })?;
    let response = batch_response(batch.items);
    progress.created += response.created;
    progress.updated += response.updated;
    progress.unchanged += response.unchanged;
    progress.failed += response.failed;
    for BatchItem {
        index,
        code,
        error,
        warnings,
        ..
    } in response.results
    {
        let unresolved = warnings
            .iter()
            .flatten()
            .any(|warning| warning.kind == clientela_core::geo::WarningKind::Unresolved);
        if unresolved {
            progress.unresolved += 1;
        }
        if let Some(error) = error {
            let line = json!({
                "record": numbers.get(index),
                "code": code,
                "error": error,
                "input": inputs.get(index).cloned().unwrap_or(Value::Null),
            });
            writeln!(rejected, "{line}")?;
        }
    }
    Ok(())
}

/// What the API answers a body like this record: JSON it cannot read is malformed (400); a
/// field that cannot be read (a CSV `metadata` cell that is not JSON) makes the customer
/// invalid (422), naming the field.
fn unreadable_error(problem: &records::RecordProblem) -> ApiError {
    match &problem.field {
        None => ApiError::MalformedJson(problem.message.clone()),
        Some(field) => ApiError::Invalid {
            detail: problem.message.clone(),
            errors: vec![clientela_core::wire::ProblemField {
                index: None,
                field: field.clone(),
                message: problem.message.clone(),
            }],
        },
    }
}

/// Size and modification time, to notice a file that changed between runs.
fn fingerprint(file: &Path) -> anyhow::Result<(u64, u64)> {
    let metadata =
        std::fs::metadata(file).with_context(|| format!("could not read {}", file.display()))?;
    let modified = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |age| age.as_secs());
    Ok((metadata.len(), modified))
}

/// Written to a temporary file and renamed, so an interruption never leaves half of it.
fn save_progress(path: &Path, progress: &Progress) -> anyhow::Result<()> {
    let temporary = sibling(path, "tmp");
    {
        let mut file = File::create(&temporary)?;
        file.write_all(&serde_json::to_vec_pretty(progress)?)?;
        file.sync_all()?;
    }
    std::fs::rename(&temporary, path)?;
    Ok(())
}

/// A bar on stderr (hidden when stderr is not a terminal).
fn progress_bar(total: usize, done: usize) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} customers ({rate}, {eta} left)")
    {
        bar.set_style(style.with_key(
            "rate",
            |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = out.write_str(&rate_text(state.per_sec()));
            },
        ));
    }
    bar.set_position(done as u64);
    bar
}

/// A rate as a whole number of customers per second with thousands separators
/// (`27,757/s`; indicatif's `{per_sec}` prints `27,757.3931/s`).
pub fn rate_text(per_second: f64) -> String {
    let whole = if per_second.is_finite() && per_second > 0.0 {
        per_second.round() as u64
    } else {
        0
    };
    let digits = whole.to_string();
    let mut text = String::with_capacity(digits.len() + digits.len() / 3 + 2);
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text.push_str("/s");
    text
}
