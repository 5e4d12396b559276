//! What the tests read out of a Markdown page, through pulldown-cmark: its fenced code blocks
//! (with their info string and line) and its tables (cells as text, code spans in backticks).

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// A fenced code block: its info string (`sh`, `json`, `http`, …), its text, and the line
/// of the page it starts on.
#[derive(Debug, Clone)]
pub struct Block {
    pub info: String,
    pub text: String,
    pub line: usize,
}

/// A table's header cells and its rows of cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn line_of(markdown: &str, offset: usize) -> usize {
    markdown[..offset].matches('\n').count() + 1
}

/// Every fenced code block, in page order.
pub fn fenced_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (event, range) in Parser::new(markdown).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                open = Some(Block {
                    info: info.split_whitespace().next().unwrap_or("").to_owned(),
                    text: String::new(),
                    line: line_of(markdown, range.start),
                });
            }
            Event::Text(text) => {
                if let Some(block) = open.as_mut() {
                    block.text.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => blocks.extend(open.take()),
            _ => {}
        }
    }
    blocks
}

/// Every table, in page order. A cell reads as its Markdown would without emphasis: code
/// spans keep their backticks, so `` `server.bind` `` stays recognisable as a literal.
pub fn tables(markdown: &str) -> Vec<Table> {
    let mut tables = Vec::new();
    let mut table: Option<Table> = None;
    let mut row: Vec<String> = Vec::new();
    let mut cell: Option<String> = None;
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Table(_)) => table = Some(Table::default()),
            Event::End(TagEnd::Table) => tables.extend(table.take()),
            Event::Start(Tag::TableHead | Tag::TableRow) => row.clear(),
            Event::End(TagEnd::TableHead) => {
                if let Some(table) = table.as_mut() {
                    table.header = std::mem::take(&mut row);
                }
            }
            Event::End(TagEnd::TableRow) => {
                if let Some(table) = table.as_mut() {
                    table.rows.push(std::mem::take(&mut row));
                }
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                row.extend(cell.take().map(|text| text.trim().to_owned()))
            }
            Event::Text(text) => {
                if let Some(cell) = cell.as_mut() {
                    cell.push_str(&text);
                }
            }
            Event::Code(code) => {
                if let Some(cell) = cell.as_mut() {
                    cell.push('`');
                    cell.push_str(&code);
                    cell.push('`');
                }
            }
            _ => {}
        }
    }
    tables
}

/// The first code span of a cell, if the cell starts with one (`` `5` (seconds) `` → `5`).
pub fn leading_code(cell: &str) -> Option<&str> {
    cell.strip_prefix('`')
        .and_then(|rest| rest.split_once('`'))
        .map(|(code, _)| code)
}

#[test]
fn blocks_and_tables_are_read_with_their_lines_and_code_spans() {
    let page = "# t\n\n```sh\ncurl x\n```\n\n| a | b |\n|---|---|\n| `k` | 5 (s) |\n";
    let blocks = fenced_blocks(page);
    assert_eq!(blocks.len(), 1);
    assert_eq!(
        (
            blocks[0].info.as_str(),
            blocks[0].text.as_str(),
            blocks[0].line
        ),
        ("sh", "curl x\n", 3)
    );
    let tables = tables(page);
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0].header, ["a", "b"]);
    assert_eq!(tables[0].rows, [["`k`", "5 (s)"]]);
    assert_eq!(leading_code("`k` more"), Some("k"));
    assert_eq!(leading_code("unset: k"), None);
}
