//! No import circles: within each crate, no source file reaches itself again by following the
//! files it imports. An import is a `crate::…` or `super::…` path anywhere in a file's code
//! (a `use` line, or a path written out in place); it points at the file of the longest
//! module prefix that is a file. The crate root (`lib.rs`, `main.rs`) declares the modules
//! and what the crate exports: it stands above every file and is not counted.
//!
//! A circle means two files that cannot be understood, or moved, one without the other: a
//! rule split across them, or a forwarder that only closes the loop. Layer them instead (the
//! lower file owns what both need).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The folders whose `src/` each hold one crate.
const CRATE_PARENTS: [&str; 2] = ["crates", "tools"];

fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Every crate's `src/` folder.
fn crate_sources() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut sources = vec![root.join("xtask/src")];
    for parent in CRATE_PARENTS {
        let Ok(entries) = fs::read_dir(root.join(parent)) else {
            continue;
        };
        for entry in entries.flatten() {
            let source = entry.path().join("src");
            if source.is_dir() {
                sources.push(source);
            }
        }
    }
    sources.sort();
    sources
}

/// The `.rs` files under `folder`, relative to it.
fn rust_files(folder: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in fs::read_dir(&next).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs")
                && let Ok(relative) = path.strip_prefix(folder)
            {
                files.push(relative.to_path_buf());
            }
        }
    }
    files.sort();
    files
}

/// The module path of a file (`http/payload.rs` is `["http", "payload"]`); empty for the root.
fn module_of(file: &Path) -> Vec<String> {
    let text = file.with_extension("").to_string_lossy().into_owned();
    if text == "lib" || text == "main" {
        return Vec::new();
    }
    text.split('/').map(str::to_owned).collect()
}

/// The file a module path points into: the longest prefix that is a file of `files`.
fn file_of(path: &[String], files: &BTreeMap<Vec<String>, PathBuf>) -> Option<PathBuf> {
    (1..=path.len())
        .rev()
        .find_map(|length| files.get(&path[..length]).cloned())
}

/// The module paths a line of code names through `crate::` or `super::`, `own` being the
/// module of its file and `nested` whether the line sits inside an inline module (where
/// `super` is the file's own module).
fn named_paths(line: &str, own: &[String], nested: bool) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for start in ["crate::", "super::"] {
        let mut rest = line;
        while let Some(at) = rest.find(start) {
            let before = rest[..at].chars().last();
            let after = &rest[at + start.len()..];
            rest = after;
            if before.is_some_and(|character| character.is_alphanumeric() || character == '_') {
                continue;
            }
            let base: Vec<String> = if start == "crate::" {
                Vec::new()
            } else if nested {
                own.to_vec()
            } else {
                own[..own.len().saturating_sub(1)].to_vec()
            };
            paths.extend(expand(&base, after));
        }
    }
    paths
}

/// The paths of `text` after a `::`: `a::b::c`, or a group `{a::b, c::{d, e}}`.
fn expand(base: &[String], text: &str) -> Vec<Vec<String>> {
    let mut path = base.to_vec();
    let mut rest = text;
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            return group_items(group)
                .into_iter()
                .flat_map(|item| expand(&path, item))
                .collect();
        }
        let length = rest
            .find(|character: char| !(character.is_alphanumeric() || character == '_'))
            .unwrap_or(rest.len());
        if length == 0 {
            break;
        }
        path.push(rest[..length].to_owned());
        match rest[length..].strip_prefix("::") {
            Some(after) => rest = after,
            None => break,
        }
    }
    vec![path]
}

/// The items of a `{…}` group, split at its top-level commas (up to its closing brace).
fn group_items(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (position, character) in group.char_indices() {
        match character {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(group[start..position].trim());
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(group[start..position].trim());
                start = position + 1;
            }
            _ => {}
        }
    }
    items.push(group[start..].trim());
    items
}

/// Joins the lines of a `use` group spread over several lines, so a group is read whole; drops
/// comments.
fn code_lines(text: &str) -> Vec<(String, bool)> {
    let mut lines = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        if pending.is_empty() {
            pending = line.to_owned();
        } else {
            pending.push(' ');
            pending.push_str(code);
        }
        let open = pending.matches('{').count();
        let close = pending.matches('}').count();
        if pending.trim_start().starts_with("use ") && open > close {
            continue;
        }
        let nested = pending.starts_with(' ');
        lines.push((std::mem::take(&mut pending), nested));
    }
    lines
}

/// The files of one crate and the files each imports.
fn import_graph(source: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let files: BTreeMap<Vec<String>, PathBuf> = rust_files(source)
        .into_iter()
        .map(|file| (module_of(&file), file))
        .filter(|(module, _)| !module.is_empty())
        .collect();
    let mut graph = BTreeMap::new();
    for (module, file) in &files {
        let text = fs::read_to_string(source.join(file)).unwrap_or_default();
        let mut imports = BTreeSet::new();
        for (line, nested) in code_lines(&text) {
            for path in named_paths(&line, module, nested) {
                if let Some(target) = file_of(&path, &files)
                    && &target != file
                {
                    imports.insert(target);
                }
            }
        }
        graph.insert(file.clone(), imports);
    }
    graph
}

/// The circles of a graph: its strongly connected parts of more than one file.
fn circles(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    // Reachability is enough at this size: two files share a circle when each reaches the other.
    let reach = |from: &PathBuf| -> BTreeSet<PathBuf> {
        let mut seen = BTreeSet::new();
        let mut pending: Vec<&PathBuf> = graph.get(from).into_iter().flatten().collect();
        while let Some(next) = pending.pop() {
            if seen.insert(next.clone()) {
                pending.extend(graph.get(next).into_iter().flatten());
            }
        }
        seen
    };
    let reaches: BTreeMap<&PathBuf, BTreeSet<PathBuf>> =
        graph.keys().map(|file| (file, reach(file))).collect();
    let mut found: BTreeSet<Vec<PathBuf>> = BTreeSet::new();
    for (file, reached) in &reaches {
        if !reached.contains(*file) {
            continue;
        }
        let mut circle: Vec<PathBuf> = reached
            .iter()
            .filter(|other| reaches.get(other).is_some_and(|back| back.contains(*file)))
            .cloned()
            .collect();
        circle.sort();
        found.insert(circle);
    }
    found.into_iter().collect()
}

#[test]
fn no_file_imports_itself_back_through_others() {
    let mut report = Vec::new();
    for source in crate_sources() {
        for circle in circles(&import_graph(&source)) {
            let names: Vec<String> = circle
                .iter()
                .map(|file| file.display().to_string())
                .collect();
            let crate_source = source.strip_prefix(workspace_root()).unwrap_or(&source);
            report.push(format!("{}: {}", crate_source.display(), names.join(" ⇄ ")));
        }
    }
    assert!(
        report.is_empty(),
        "files that import each other, directly or through others (layer them):\n{}",
        report.join("\n")
    );
}

#[test]
fn paths_are_read_from_use_lines_groups_and_code() {
    let own = vec!["http".to_owned(), "payload".to_owned()];
    assert_eq!(
        named_paths(
            "use crate::http::{connection::Watched, refusals};",
            &own,
            false
        ),
        [
            vec!["http", "connection", "Watched"],
            vec!["http", "refusals"]
        ]
    );
    assert_eq!(
        named_paths("    let x = super::limits::LARGE;", &own, true),
        [vec!["http", "payload", "limits", "LARGE"]]
    );
    assert_eq!(
        named_paths("use super::connection;", &own, false),
        [vec!["http", "connection"]]
    );
    assert!(named_paths("let ocrate::x = 1;", &own, false).is_empty());
}

#[test]
fn a_circle_of_three_files_is_found_and_a_chain_is_not() {
    let file = |name: &str| PathBuf::from(name);
    let graph = |edges: &[(&str, &str)]| {
        let mut graph: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
        for (from, to) in edges {
            graph.entry(file(from)).or_default().insert(file(to));
            graph.entry(file(to)).or_default();
        }
        graph
    };
    assert_eq!(
        circles(&graph(&[
            ("a.rs", "b.rs"),
            ("b.rs", "c.rs"),
            ("c.rs", "a.rs"),
            ("c.rs", "d.rs")
        ])),
        [vec![file("a.rs"), file("b.rs"), file("c.rs")]]
    );
    assert!(circles(&graph(&[("a.rs", "b.rs"), ("b.rs", "c.rs")])).is_empty());
}
