//! `clientela-api import` and `export` through the library: formats, per-record rejections,
//! the summary, resuming an interrupted import, and exporting everything as JSON lines.

#![expect(
    clippy::expect_used,
    reason = "in the harness a failed setup step is a failed test, said with its reason"
)]

use std::path::{Path, PathBuf};

use clientela_api::cli::export::export;
use clientela_api::cli::import::{
    Format, ImportArgs, Progress, import, progress_path, rate_text, rejected_path, summary,
};
use clientela_api::ingest::Ingest;
use clientela_core::geo::Resolver;
use clientela_store::{Store, StoreOptions};
use serde_json::{Value, json};

struct Bench {
    folder: tempfile::TempDir,
    store: Store,
    resolver: Resolver,
}

impl Bench {
    fn new() -> Bench {
        let folder = tempfile::tempdir().expect("folder");
        let url = format!("sqlite://{}", folder.path().join("db.sqlite").display());
        let store = Store::open(&StoreOptions::new(url)).expect("store");
        Bench {
            folder,
            store,
            resolver: Resolver::builtin(),
        }
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.folder.path().join(name);
        std::fs::write(&path, text).expect("write input");
        path
    }

    fn import(&self, file: &Path) -> anyhow::Result<Progress> {
        self.import_with(file, false)
    }

    fn import_with(&self, file: &Path, restart: bool) -> anyhow::Result<Progress> {
        self.run_import(file, restart, false)
    }

    fn run_import(&self, file: &Path, restart: bool, dry_run: bool) -> anyhow::Result<Progress> {
        let ingest = Ingest {
            store: &self.store,
            resolver: &self.resolver,
            strict_geo: false,
            dry_run,
        };
        import(
            &ingest,
            &ImportArgs {
                file: file.to_owned(),
                format: None,
                strict: false,
                restart,
                dry_run,
            },
        )
    }

    fn customer(&self, code: &str) -> Option<Value> {
        self.store
            .get(code)
            .expect("get")
            .map(|customer| serde_json::to_value(customer).expect("json"))
    }
}

fn rejected_lines(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(rejected_path(file))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

fn json_lines(count: usize, prefix: &str) -> String {
    (0..count)
        .map(|index| {
            format!(
                "{}\n",
                json!({"code": format!("{prefix}{index:05}"), "yearBorn": 1990})
            )
        })
        .collect()
}

#[test]
fn a_json_array_imports_with_a_summary_and_leaves_no_side_files() {
    let bench = Bench::new();
    let file = bench.file(
        "customers.json",
        &json!([
            {"code": "D314K1432", "country": "ES", "state": "Barcelona", "metadata": {"isNew": true}},
            {"code": "N4213S4123"}
        ])
        .to_string(),
    );
    let progress = bench.import(&file).expect("import");
    assert_eq!(
        (progress.created, progress.updated, progress.failed),
        (2, 0, 0)
    );
    assert_eq!(
        bench.customer("D314K1432").expect("imported")["location"]["state"]["code"],
        "ES-B"
    );
    assert!(!progress_path(&file).exists(), "done: no progress file");
    assert!(
        !rejected_path(&file).exists(),
        "nothing rejected: no rejected file"
    );

    let again = bench.import(&file).expect("import again");
    assert_eq!(again.unchanged, 2, "importing twice changes nothing");
}

#[test]
fn json_lines_reject_only_the_bad_records_with_their_reasons() {
    let bench = Bench::new();
    let file = bench.file(
        "customers.jsonl",
        "{\"code\": \"ok-1\"}\n\n{not json\n{\"code\": \"bad\", \"gender\": 7}\n{\"code\": \"ok-2\", \"colour\": 1}\n",
    );
    let progress = bench.import(&file).expect("import");
    assert_eq!((progress.created, progress.failed), (1, 3));
    let rejected = rejected_lines(&file);
    let records: Vec<&Value> = rejected.iter().map(|line| &line["record"]).collect();
    assert_eq!(records, [&json!(3), &json!(4), &json!(5)], "line numbers");
    assert!(
        rejected[0]["error"]["detail"]
            .as_str()
            .expect("detail")
            .contains("not valid JSON")
    );
    assert_eq!(rejected[1]["code"], "bad");
    assert_eq!(rejected[1]["error"]["errors"][0]["field"], "gender");
    assert_eq!(rejected[1]["input"]["gender"], 7, "the record as read");
    assert!(
        rejected[2]["error"]["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("colour"),
        "{}",
        rejected[2]
    );
}

#[test]
fn csv_imports_typed_cells_nulls_and_metadata_as_json() {
    let bench = Bench::new();
    let first = bench.file(
        "first.csv",
        "code,isActive,country,yearBorn,gender,metadata\n\
         C-1,false,ES,1990,2,\"{\"\"tier\"\": \"\"gold\"\", \"\"isNew\"\": true}\"\n\
         C-2,,724,,,\n\
         C-3,,,1200,,\n",
    );
    let progress = bench.import(&first).expect("import");
    assert_eq!((progress.created, progress.failed), (2, 1));
    let c1 = bench.customer("C-1").expect("C-1");
    assert_eq!(c1["isActive"], false);
    assert_eq!(c1["metadata"], json!({"tier": "gold", "isNew": true}));
    assert_eq!(
        bench.customer("C-2").expect("C-2")["location"]["country"]["code"],
        "ES"
    );
    assert_eq!(
        rejected_lines(&first)[0]["error"]["errors"][0]["field"],
        "yearBorn"
    );

    let second = bench.file(
        "second.csv",
        "code,country,metadata\nC-1,null,\"{\"\"isNew\"\": null}\"\n",
    );
    let progress = bench.import(&second).expect("import");
    assert_eq!(progress.updated, 1);
    let c1 = bench.customer("C-1").expect("C-1");
    assert_eq!(c1["country"], Value::Null, "null removes the field");
    assert_eq!(c1["metadata"], json!({"tier": "gold"}), "metadata merges");
    assert_eq!(c1["yearBorn"], 1990, "an absent column keeps the value");
}

#[test]
fn a_csv_column_that_is_not_a_field_stops_the_import_naming_it() {
    let bench = Bench::new();
    let file = bench.file("bad.csv", "code,colour\nA,red\n");
    let error = bench.import(&file).expect_err("refused").to_string();
    assert!(error.contains("colour"), "{error}");
    assert!(bench.customer("A").is_none());
}

#[test]
fn an_interrupted_import_resumes_after_the_last_committed_batch() {
    let bench = Bench::new();
    let file = bench.file("big.jsonl", &json_lines(250, "R"));
    let (input_bytes, input_modified) = {
        let metadata = std::fs::metadata(&file).expect("metadata");
        let modified = metadata
            .modified()
            .expect("mtime")
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        (metadata.len(), modified)
    };
    // What an import killed after its second batch leaves behind.
    let interrupted = Progress {
        input_bytes,
        input_modified,
        records_done: 200,
        rejected_bytes: 0,
        created: 200,
        ..Progress::default()
    };
    std::fs::write(
        progress_path(&file),
        serde_json::to_vec(&interrupted).expect("json"),
    )
    .expect("write progress");

    let progress = bench.import(&file).expect("resume");
    assert_eq!(progress.records_done, 250);
    assert_eq!(progress.created, 250, "the summary covers the whole file");
    assert!(
        bench.customer("R00199").is_none(),
        "batches 1 and 2 were skipped"
    );
    assert!(bench.customer("R00200").is_some(), "batch 3 was imported");
    assert!(!progress_path(&file).exists());
}

#[test]
fn a_file_changed_since_the_interruption_is_not_resumed_unless_restarted() {
    let bench = Bench::new();
    let file = bench.file("changed.jsonl", &json_lines(3, "X"));
    let stale = Progress {
        input_bytes: 1,
        records_done: 2,
        ..Progress::default()
    };
    std::fs::write(
        progress_path(&file),
        serde_json::to_vec(&stale).expect("json"),
    )
    .expect("write progress");
    let error = bench.import(&file).expect_err("refused").to_string();
    assert!(error.contains("--restart"), "{error}");
    let progress = bench.import_with(&file, true).expect("restart");
    assert_eq!(progress.created, 3);
}

#[test]
fn the_format_comes_from_the_extension_or_the_first_character() {
    let bench = Bench::new();
    let array = bench.file("a.txt", "  [{\"code\": \"a\"}]");
    let lines = bench.file("b.txt", "{\"code\": \"b\"}\n");
    let csv = bench.file("c.CSV", "code\nc\n");
    assert_eq!(Format::detect(&array).ok(), Some(Format::Json));
    assert_eq!(Format::detect(&lines).ok(), Some(Format::Jsonl));
    assert_eq!(Format::detect(&csv).ok(), Some(Format::Csv));
}

#[test]
fn export_writes_every_customer_as_json_lines_in_code_order_across_pages() {
    let bench = Bench::new();
    let file = bench.file("many.jsonl", &json_lines(1001, "E"));
    assert_eq!(bench.import(&file).expect("import").created, 1001);
    let mut output = Vec::new();
    let count = export(&bench.store, &mut output).expect("export");
    assert_eq!(count, 1001);
    let lines: Vec<Value> = String::from_utf8(output)
        .expect("utf-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 1001);
    assert_eq!(lines[0]["code"], "E00000");
    assert_eq!(lines[1000]["code"], "E01000");
    assert_eq!(lines[500]["yearBorn"], 1990);
    assert!(lines[0]["location"].is_object(), "the full representation");
}

#[test]
fn an_export_imports_back_into_an_empty_database_as_it_was() {
    let source = Bench::new();
    let file = source.file(
        "customers.json",
        &json!([
            {"code": "R1", "country": "ES", "state": "Barcelona", "isActive": false,
             "metadata": {"tier": "gold", "tags": ["a", "b"]}},
            {"code": "R2", "yearBorn": 1977, "gender": 3}
        ])
        .to_string(),
    );
    source.import(&file).expect("import");
    let mut exported = Vec::new();
    export(&source.store, &mut exported).expect("export");

    let target = Bench::new();
    let dump = target.file("dump.jsonl", &String::from_utf8(exported).expect("utf-8"));
    let progress = target.import(&dump).expect("import the export");
    assert_eq!((progress.created, progress.failed), (2, 0));
    for code in ["R1", "R2"] {
        let (before, after) = (
            source.customer(code).expect("source"),
            target.customer(code).expect("target"),
        );
        for field in [
            "isActive", "country", "state", "city", "yearBorn", "gender", "metadata", "location",
        ] {
            assert_eq!(before[field], after[field], "{code}.{field}");
        }
    }
}

#[test]
fn the_progress_rate_is_a_whole_number_with_thousands_separators() {
    assert_eq!(rate_text(27_757.393_1), "27,757/s");
    assert_eq!(rate_text(999.6), "1,000/s");
    assert_eq!(rate_text(12.0), "12/s");
    assert_eq!(rate_text(f64::NAN), "0/s");
}

#[test]
fn the_summary_counts_places_that_stayed_unresolved() {
    let bench = Bench::new();
    let file = bench.file(
        "places.jsonl",
        "{\"code\": \"U-1\", \"country\": \"Atlantis\"}\n\
         {\"code\": \"U-2\", \"country\": \"ES\", \"city\": \"Nowhere-on-earth\"}\n\
         {\"code\": \"U-3\", \"country\": \"ES\"}\n",
    );
    let progress = bench.import(&file).expect("import");
    assert_eq!(progress.created, 3);
    assert_eq!(progress.unresolved, 2);
    assert!(
        summary(&file, &progress).ends_with("0 failed; 2 with a place not resolved (kept as sent)"),
        "{}",
        summary(&file, &progress)
    );
}

#[test]
fn a_dry_run_reports_what_would_happen_and_writes_nothing() {
    let bench = Bench::new();
    bench
        .import(&bench.file("first.jsonl", "{\"code\": \"kept\", \"yearBorn\": 1990}\n"))
        .expect("import");
    let file = bench.file(
        "customers.jsonl",
        "{\"code\": \"kept\", \"yearBorn\": 1991}\n{\"code\": \"new\"}\n{\"code\": \"bad\", \"yearBorn\": 1200}\n",
    );
    let progress = bench.run_import(&file, false, true).expect("dry run");
    assert_eq!(
        (progress.created, progress.updated, progress.failed),
        (1, 1, 1),
        "what the import would do"
    );
    assert_eq!(
        bench.customer("kept").expect("kept")["yearBorn"],
        1990,
        "nothing changed"
    );
    assert!(bench.customer("new").is_none(), "nothing created");
    assert!(!progress_path(&file).exists(), "no progress file");
    assert!(
        !rejected_path(&file).exists(),
        "the real import's report is not touched"
    );
    let report = file.with_file_name("customers.jsonl.dry-run-rejected.jsonl");
    assert!(std::fs::read_to_string(report).is_ok_and(|text| text.contains("bad")));
}
