//! The Markdown files hold together: every relative link names a file or folder of the
//! repository, and every `#anchor` names a heading of the page it points at (as GitHub
//! makes anchors from headings). Links to other sites are not followed: this runs offline.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Every `.md` file of the repository (build output and hidden folders aside), relative to
/// the root.
fn markdown_files() -> Vec<PathBuf> {
    fn collect(root: &Path, folder: &Path, files: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(folder) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    collect(root, &path, files);
                }
            } else if name.ends_with(".md")
                && let Ok(relative) = path.strip_prefix(root)
            {
                files.push(relative.to_path_buf());
            }
        }
    }
    let root = workspace_root();
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort();
    files
}

/// GitHub's anchor for a heading: lower case, letters, digits, `-` and `_` kept, spaces
/// made `-`, everything else dropped; a repeated anchor gets `-1`, `-2`, … .
fn anchors(markdown: &str) -> Vec<String> {
    let mut anchors = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut heading: Option<String> = None;
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(text) | Event::Code(text) => {
                if let Some(heading) = heading.as_mut() {
                    heading.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                let Some(text) = heading.take() else { continue };
                let slug: String = text
                    .to_lowercase()
                    .chars()
                    .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
                    .map(|c| if c == ' ' { '-' } else { c })
                    .collect();
                let count = seen.entry(slug.clone()).or_insert(0);
                anchors.push(match *count {
                    0 => slug,
                    n => format!("{slug}-{n}"),
                });
                *count += 1;
            }
            _ => {}
        }
    }
    anchors
}

/// Every link and image target of a page, with its line.
fn links(markdown: &str) -> Vec<(usize, String)> {
    Parser::new_ext(markdown, Options::ENABLE_TABLES)
        .into_offset_iter()
        .filter_map(|(event, range)| match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => Some((
                markdown[..range.start].matches('\n').count() + 1,
                dest_url.into_string(),
            )),
            _ => None,
        })
        .collect()
}

/// `folder/../x` → `x`, so targets compare with the walked paths.
fn normalize(path: &Path) -> PathBuf {
    let mut parts: Vec<Component> = Vec::new();
    for part in path.components() {
        match part {
            Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                parts.pop();
            }
            Component::CurDir => {}
            other => parts.push(other),
        }
    }
    parts.iter().collect()
}

/// What is wrong with one link of `page`, if anything.
fn check_link(root: &Path, page: &Path, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
    let file = if path.is_empty() {
        page.to_path_buf()
    } else {
        normalize(&page.parent().unwrap_or(Path::new("")).join(path))
    };
    if !root.join(&file).exists() {
        return Some(format!("`{target}`: {} does not exist", file.display()));
    }
    if anchor.is_empty() || file.extension().is_none_or(|extension| extension != "md") {
        return None;
    }
    let text = fs::read_to_string(root.join(&file)).ok()?;
    (!anchors(&text).iter().any(|known| known == anchor))
        .then(|| format!("`{target}`: {} has no heading `#{anchor}`", file.display()))
}

#[test]
fn every_relative_link_and_anchor_of_the_markdown_files_resolves() {
    let root = workspace_root();
    let files = markdown_files();
    assert!(
        files.contains(&PathBuf::from("README.md"))
            && files.contains(&PathBuf::from("docs/api.md")),
        "the walk finds the pages: {files:?}"
    );
    let mut problems = Vec::new();
    for page in &files {
        let text = fs::read_to_string(root.join(page)).expect("a page reads as UTF-8");
        for (line, target) in links(&text) {
            if let Some(problem) = check_link(&root, page, &target) {
                problems.push(format!("{}:{line}: {problem}", page.display()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "links that lead nowhere:\n{}",
        problems.join("\n")
    );
}

#[test]
fn anchors_are_made_as_github_makes_them() {
    let page = "# The HTTP API\n## `GET /customers/{code}`\n## Retention and 410\n\
                ## Exactly once, across replicas\n## Notes\n## Notes\n### `crates/core` (clientela-core)\n";
    assert_eq!(
        anchors(page),
        [
            "the-http-api",
            "get-customerscode",
            "retention-and-410",
            "exactly-once-across-replicas",
            "notes",
            "notes-1",
            "cratescore-clientela-core",
        ]
    );
}

#[test]
fn a_link_to_a_missing_file_or_heading_is_found() {
    let root = workspace_root();
    let page = Path::new("docs/api.md");
    assert_eq!(check_link(&root, page, "https://example.com/x"), None);
    assert_eq!(check_link(&root, page, "../README.md"), None);
    assert_eq!(check_link(&root, page, "#errors"), None);
    assert!(check_link(&root, page, "#no-such-heading").is_some());
    assert!(check_link(&root, page, "nowhere.md").is_some());
    assert!(check_link(&root, page, "../README.md#no-such-heading").is_some());
    assert_eq!(
        check_link(&root, page, "places.md"),
        None,
        "written elsewhere"
    );
}

/// The tests RELIABILITY.md names, as `file::test`: each code span of a table's last column
/// that holds `::` names a file under `crates/` and a test in it; a span without `::` names
/// another test of the same file.
fn reliability_tests(markdown: &str) -> Vec<(usize, String, String)> {
    let mut named = Vec::new();
    for (number, line) in markdown.lines().enumerate() {
        let Some(cell) = line
            .trim_end()
            .strip_suffix('|')
            .and_then(|row| row.rsplit('|').next())
        else {
            continue;
        };
        let mut file: Option<String> = None;
        for span in cell.split('`').skip(1).step_by(2) {
            let test = match span.split_once("::") {
                Some((path, test)) => {
                    file = Some(format!("crates/{path}"));
                    test
                }
                None => span,
            };
            if let Some(file) = &file {
                named.push((number + 1, file.clone(), test.to_owned()));
            }
        }
    }
    named
}

#[test]
fn every_test_reliability_md_names_exists() {
    let root = workspace_root();
    let page = fs::read_to_string(root.join("RELIABILITY.md")).expect("RELIABILITY.md");
    let named = reliability_tests(&page);
    assert!(
        named.len() > 50,
        "the tables name the tests: {}",
        named.len()
    );
    let missing: Vec<String> = named
        .iter()
        .filter(|(_, file, test)| {
            fs::read_to_string(root.join(file)).map_or(true, |source| {
                !source.contains(&format!("fn {test}(")) && !source.contains(&format!("fn {test} "))
            })
        })
        .map(|(line, file, test)| format!("RELIABILITY.md:{line}: {file}::{test}"))
        .collect();
    assert!(
        missing.is_empty(),
        "tests RELIABILITY.md names that do not exist (renamed or moved?):\n{}",
        missing.join("\n")
    );
}

/// Code spans of a page that name a path of the repository (`crates/store/src/lib.rs`),
/// with their line: those that start with a top folder and hold no pattern or placeholder.
fn named_paths(markdown: &str) -> Vec<(usize, String)> {
    const TOP_FOLDERS: [&str; 6] = [
        "crates/",
        "tools/",
        "xtask/",
        "fuzz/",
        "migrations/",
        "docs/",
    ];
    Parser::new_ext(markdown, Options::ENABLE_TABLES)
        .into_offset_iter()
        .filter_map(|(event, range)| match event {
            Event::Code(code)
                if TOP_FOLDERS.iter().any(|top| code.starts_with(top))
                    && !code.contains(['{', '<', '*', ' ', '…']) =>
            {
                let path = code.split("::").next().unwrap_or(&code).to_owned();
                Some((markdown[..range.start].matches('\n').count() + 1, path))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn every_path_a_page_names_in_code_exists() {
    let root = workspace_root();
    let mut missing = Vec::new();
    let mut named = 0;
    for page in markdown_files() {
        let text = fs::read_to_string(root.join(&page)).expect("a page reads as UTF-8");
        for (line, path) in named_paths(&text) {
            named += 1;
            if !root.join(&path).exists() {
                missing.push(format!("{}:{line}: `{path}`", page.display()));
            }
        }
    }
    assert!(named > 30, "the pages name paths: {named} found");
    assert!(
        missing.is_empty(),
        "paths named in the documents that do not exist (moved or renamed?):\n{}",
        missing.join("\n")
    );
}
