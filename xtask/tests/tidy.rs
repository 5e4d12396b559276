//! Tidy checks over the workspace's Rust sources, run as ordinary tests (so `cargo test
//! --workspace` and `cargo xtask ci` run them): every `.rs` file under `crates/`, `tools/`,
//! `xtask/` and `fuzz/` (build output in `target/` aside)
//! - opens with a `//!` comment saying what lives there: the first line is `//!`; inner
//!   attributes such as `#![no_main]` come after it (a `//!` is itself an inner attribute,
//!   so the order is free, and one rule is simpler to follow than two);
//! - gives a reason for every lint it silences: each `allow` and `expect` attribute (inner or
//!   outer) carries `reason = "…"`; prefer `expect`, which also says when the reason is gone,
//!   and keep `allow` for a lint that fires in some builds only;
//! - follows one module-file convention: `foo.rs` beside a `foo/` folder, never
//!   `foo/mod.rs` (except under `tests/`, where `tests/common/mod.rs` is how cargo is told
//!   that a folder is not a test of its own).
//!
//! And every text file of the repository (documents, code, manifests, scripts) describes the
//! product as it is, not how it was made: no work sessions, sittings or rounds, no issue
//! numbers. History lives in git and CHANGELOG.md. Database sessions, PgBouncer's session
//! mode, tmux sessions, round trips and a loop's `round` are not history and pass.

use std::fs;
use std::path::{Path, PathBuf};

/// Where the workspace's Rust sources live, relative to its root.
const SOURCE_FOLDERS: [&str; 4] = ["crates", "tools", "xtask", "fuzz"];

/// Lint-level attributes that must say why; spelled in pieces so this file does not match.
const LINT_ATTRIBUTES: [&str; 4] = [
    concat!("#[", "allow("),
    concat!("#![", "allow("),
    concat!("#[", "expect("),
    concat!("#![", "expect("),
];

fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Every `.rs` file under the source folders, relative to the root, sorted.
fn rust_files() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut files = Vec::new();
    for folder in SOURCE_FOLDERS {
        collect(&root.join(folder), &mut files);
    }
    let mut files: Vec<PathBuf> = files
        .into_iter()
        .filter_map(|file| file.strip_prefix(&root).ok().map(Path::to_path_buf))
        .collect();
    files.sort();
    files
}

fn collect(folder: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && !name.to_string_lossy().starts_with('.') {
                collect(&path, files);
            }
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

fn read(file: &Path) -> String {
    fs::read_to_string(workspace_root().join(file))
        .unwrap_or_else(|error| panic!("{}: {error}", file.display()))
}

/// The attribute starting at `text`'s beginning, up to its closing `]`.
fn attribute(text: &str) -> &str {
    let mut depth = 0usize;
    for (position, character) in text.char_indices() {
        match character {
            '[' | '(' => depth += 1,
            ']' | ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return &text[..=position];
                }
            }
            _ => {}
        }
    }
    text
}

/// `file:line: attribute` for each lint attribute in `text` without a `reason`.
fn lint_attributes_without_reason(file: &Path, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for pattern in LINT_ATTRIBUTES {
        for (start, _) in text.match_indices(pattern) {
            let attribute = attribute(&text[start..]);
            if !attribute.contains("reason") {
                let line = text[..start].lines().count() + 1;
                let shown = attribute.split_whitespace().collect::<Vec<_>>().join(" ");
                found.push(format!("{}:{line}: {shown}", file.display()));
            }
        }
    }
    found
}

fn fail_naming(problems: &[String], rule: &str) {
    assert!(
        problems.is_empty(),
        "{rule}:\n{}",
        problems
            .iter()
            .map(|problem| format!("  {problem}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_walk_finds_the_workspace_sources() {
    let files = rust_files();
    for expected in [
        "crates/core/src/lib.rs",
        "xtask/src/main.rs",
        "xtask/tests/tidy.rs",
    ] {
        assert!(
            files.contains(&PathBuf::from(expected)),
            "{expected} is walked"
        );
    }
    assert!(
        !files
            .iter()
            .any(|file| file.components().any(|part| part.as_os_str() == "target")),
        "build output is skipped"
    );
}

#[test]
fn every_rust_file_opens_with_a_doc_comment() {
    let problems: Vec<String> = rust_files()
        .into_iter()
        .filter(|file| !read(file).starts_with("//!"))
        .map(|file| format!("{}: the first line is not a `//!` comment", file.display()))
        .collect();
    fail_naming(
        &problems,
        "every .rs file opens with `//!` saying what lives there",
    );
}

#[test]
fn every_silenced_lint_gives_its_reason() {
    let problems: Vec<String> = rust_files()
        .into_iter()
        .flat_map(|file| lint_attributes_without_reason(&file, &read(&file)))
        .collect();
    fail_naming(
        &problems,
        "write `#[expect(lint, reason = \"…\")]` (or `allow` with a reason where the lint \
         fires in some builds only)",
    );
}

#[test]
fn modules_with_children_are_foo_rs_beside_a_foo_folder() {
    let problems: Vec<String> = rust_files()
        .into_iter()
        .filter(|file| file.file_name().is_some_and(|name| name == "mod.rs"))
        .filter(|file| !file.components().any(|part| part.as_os_str() == "tests"))
        .map(|file| format!("{}: name it after its folder instead", file.display()))
        .collect();
    fail_naming(&problems, "one module-file convention: `foo.rs` + `foo/`");
}

#[test]
fn a_lint_attribute_without_a_reason_is_found_even_across_lines() {
    let file = Path::new("example.rs");
    let text = format!(
        "{}dead_code)]\nfn a() {{}}\n{}\n    clippy::unwrap_used,\n    reason = \"why\"\n)]\n{}unused)]",
        LINT_ATTRIBUTES[0], LINT_ATTRIBUTES[2], LINT_ATTRIBUTES[1]
    );
    let found = lint_attributes_without_reason(file, &text);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("example.rs:1:"), "{found:?}");
    assert!(found[1].starts_with("example.rs:7:"), "{found:?}");
}

/// Extensions (and names) of the text files whose words are read.
const TEXT_FILES: [&str; 9] = [
    "md",
    "rs",
    "toml",
    "yaml",
    "yml",
    "sh",
    "sql",
    "Dockerfile",
    "run",
];

/// Words that, after one of [`WHEN`], name a stretch of work (`the third session`).
const WORK: [&str; 6] = [
    "session", "sessions", "round", "rounds", "sitting", "sittings",
];
const WHEN: [&str; 17] = [
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "this", "that", "last", "previous", "earlier", "next", "later",
];

/// Every text file of the repository (build output and hidden folders but `.ci` aside),
/// relative to the root.
fn text_files() -> Vec<PathBuf> {
    fn walk(root: &Path, folder: &Path, files: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(folder) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "target" && (!name.starts_with('.') || name == ".ci") {
                    walk(root, &path, files);
                }
                continue;
            }
            let kind = path
                .extension()
                .map_or(name.as_str(), |extension| extension.to_str().unwrap_or(""));
            if TEXT_FILES.contains(&kind)
                && let Ok(relative) = path.strip_prefix(root)
            {
                files.push(relative.to_path_buf());
            }
        }
    }
    let root = workspace_root();
    let mut files = Vec::new();
    walk(&root, &root, &mut files);
    files.sort();
    files
}

/// A line's words in lower case, each with whether the next word follows it in one phrase:
/// apart by spaces, `_` (`issue_13` in a name) or `#` (`#7`), not by `.`
/// (`per_second.round()`) or other punctuation.
fn phrase_words(line: &str) -> Vec<(String, bool)> {
    let is_word = |c: char| c.is_alphanumeric() || c == '\'';
    let mut words: Vec<(String, bool)> = Vec::new();
    for piece in line.split_inclusive(|c: char| !is_word(c)) {
        let word: String = piece.chars().take_while(|c| is_word(*c)).collect();
        let separator = &piece[word.len()..];
        if !word.is_empty() {
            words.push((word.to_lowercase(), true));
        }
        if !matches!(separator, "" | " " | "\t" | "_" | "#")
            && let Some((_, joined)) = words.last_mut()
        {
            *joined = false;
        }
    }
    words
}

/// The phrases of `text` that speak of how the code was made, as `line: phrase`.
fn words_about_how_it_was_made(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let (words, joined): (Vec<String>, Vec<bool>) = phrase_words(line).into_iter().unzip();
        for (index, word) in words.iter().enumerate() {
            let next = match joined[index] {
                true => words.get(index + 1).map(String::as_str).unwrap_or(""),
                false => "",
            };
            let then = words.get(index + 2).map(String::as_str).unwrap_or("");
            let phrase = match word.as_str() {
                "sitting" | "sittings" => Some(word.clone()),
                "session's" | "round's" | "sitting's" => Some(word.clone()),
                "issue" | "issues" if next.parse::<u32>().is_ok() => Some(format!("{word} {next}")),
                "work" if matches!(next, "period" | "periods") => Some(format!("work {next}")),
                "this" if next == "workplace" => Some("this workplace".to_owned()),
                when if WHEN.contains(&when)
                    && WORK.contains(&next)
                    && !matches!(then, "trip" | "trips" | "robin") =>
                {
                    Some(format!("{when} {next}"))
                }
                _ => None,
            };
            found.extend(phrase.map(|phrase| format!("{}: {phrase}", number + 1)));
        }
    }
    found
}

#[test]
fn nothing_in_the_repository_speaks_of_how_it_was_made() {
    let files = text_files();
    for expected in [
        "README.md",
        "Cargo.toml",
        ".ci/run",
        "docker/Dockerfile",
        "xtask/tests/tidy.rs",
    ] {
        assert!(
            files.contains(&PathBuf::from(expected)),
            "{expected} is read"
        );
    }
    let problems: Vec<String> = files
        .iter()
        // This file names the words it looks for.
        .filter(|file| *file != Path::new("xtask/tests/tidy.rs"))
        .flat_map(|file| {
            words_about_how_it_was_made(&read(file))
                .into_iter()
                .map(move |found| format!("{}:{found}", file.display()))
        })
        .collect();
    fail_naming(
        &problems,
        "describe the product as it is (history lives in git and CHANGELOG.md; benchmarks \
         name the commit they measured)",
    );
}

#[test]
fn words_about_work_are_found_and_other_sessions_and_rounds_pass() {
    let found = words_about_how_it_was_made(
        "measured in the third session\nThis round's changes\nsee issue 13 and issues #7\n\
         fn fixed_in_issue_12() {}\none sitting\nBudgets of that work period\nin this workplace",
    );
    assert_eq!(
        found,
        [
            "1: third session",
            "2: round's",
            "3: issue 13",
            "3: issues 7",
            "4: issue 12",
            "5: sitting",
            "6: work period",
            "7: this workplace",
        ]
    );
    let innocent = "another database session holds the lock\nPgBouncer in session mode\n\
                    tmux new-session -d\none network round trip; the next round trip\n\
                    for round in 0..25 {}\nper_second.round() as u64\nan issue with the pool\ntarget_session_attrs=read-write";
    assert_eq!(words_about_how_it_was_made(innocent), Vec::<String>::new());
}
