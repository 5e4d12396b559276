//! The create / edit form: one line per field with its error under it, the resolver's
//! reading of the place fields, and the metadata JSON editor with its syntax error.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::fit;
use crate::form::{FieldId, Form};
use crate::input::LineInput;
use crate::strings;

const LABEL_WIDTH: usize = 10;
/// "▸ " or "  " before each label.
const MARKER_WIDTH: usize = 2;

pub fn render(form: &Form, frame: &mut Frame, area: Rect) {
    let title = if form.is_create() {
        strings::FORM_TITLE_NEW.to_owned()
    } else {
        strings::form_title_edit(form.code())
    };
    let mut block = Block::new().borders(Borders::ALL).title(title);
    if form.saving {
        block = block.title_bottom(format!(" {} ", strings::FORM_SAVING));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut lines: Vec<Line> = Vec::new();
    let mut cursor: Option<(usize, usize)> = None;
    if let Some(banner) = &form.banner {
        // Wrapped, not cut: the banner says what to do next (a 412's choice, say).
        for part in wrap(banner, inner.width).into_iter().take(3) {
            lines.push(Line::from(part).red().bold());
        }
    }
    for field in FieldId::ALL {
        if field == FieldId::Metadata {
            break;
        }
        let (value, input) = match field {
            FieldId::Code => (form.code.text().to_owned(), Some(&form.code)),
            FieldId::Active => (checkbox(form.active), None),
            FieldId::Country => (form.country.text().to_owned(), Some(&form.country)),
            FieldId::State => (form.state.text().to_owned(), Some(&form.state)),
            FieldId::City => (form.city.text().to_owned(), Some(&form.city)),
            FieldId::YearBorn => (form.year_born.text().to_owned(), Some(&form.year_born)),
            FieldId::Gender => (format!("‹ {} ›", strings::gender_name(form.gender)), None),
            FieldId::Metadata => (String::new(), None),
        };
        let value = if field == FieldId::Code && !form.is_create() {
            format!("{value}  {}", strings::CODE_FIXED)
        } else {
            value
        };
        if form.focus == field
            && let Some(input) = input
        {
            cursor = Some((lines.len(), column_of(input)));
        }
        lines.push(field_line(form, field, &value, inner.width));
        if let Some(error) = form.errors.get(&field) {
            lines.push(error_line(error, inner.width));
        }
        if field == FieldId::City {
            lines.extend(geo_lines(form, inner.width));
        }
    }

    // The metadata editor takes the rest, less its label line and its error line.
    let metadata_focused = form.focus == FieldId::Metadata;
    lines.push(field_line(form, FieldId::Metadata, "", inner.width));
    let top = lines.len();
    let error = form
        .errors
        .get(&FieldId::Metadata)
        .or(form.metadata_error.as_ref());
    let reserved = top + usize::from(error.is_some());
    let editor_rows = usize::from(inner.height).saturating_sub(reserved).max(1);
    let (cursor_row, cursor_column) = form.metadata.cursor();
    // Scroll just enough to keep the cursor's line on screen.
    let first = cursor_row.saturating_sub(editor_rows - 1);
    let indent = " ".repeat(MARKER_WIDTH + 1);
    for line in form.metadata.lines().iter().skip(first).take(editor_rows) {
        let text = format!("{indent}{line}");
        lines.push(Line::from(fit(&text, inner.width)));
    }
    if metadata_focused {
        let line = &form.metadata.lines()[cursor_row];
        let before: String = line.chars().take(cursor_column).collect();
        cursor = Some((top + cursor_row - first, indent.len() + before.width()));
    }
    if let Some(error) = error {
        lines.push(error_line(error, inner.width));
    }

    frame.render_widget(Paragraph::new(lines), inner);
    if let Some((row, column)) = cursor
        && row < usize::from(inner.height)
    {
        let column = (column as u16).min(inner.width.saturating_sub(1));
        frame.set_cursor_position(Position::new(inner.x + column, inner.y + row as u16));
    }
}

fn checkbox(checked: bool) -> String {
    if checked {
        format!("[x] {}", strings::YES)
    } else {
        format!("[ ] {}", strings::NO)
    }
}

/// Where the cursor sits on a field line: after marker, label, and the text before it.
fn column_of(input: &LineInput) -> usize {
    let before: String = input.text().chars().take(input.cursor()).collect();
    MARKER_WIDTH + LABEL_WIDTH + 1 + before.width()
}

fn field_line<'a>(form: &Form, field: FieldId, value: &str, width: u16) -> Line<'a> {
    let focused = form.focus == field;
    let marker = if focused { "▸ " } else { "  " };
    let label = format!("{marker}{:LABEL_WIDTH$} ", field.label());
    let label_style = match (focused, form.errors.contains_key(&field)) {
        (_, true) => Style::new().red().bold(),
        (true, false) => Style::new().yellow().bold(),
        (false, false) => Style::new().bold(),
    };
    let room = width.saturating_sub(label.width() as u16);
    Line::from(vec![
        Span::styled(label, label_style),
        Span::from(fit(value, room)),
    ])
}

fn error_line<'a>(error: &str, width: u16) -> Line<'a> {
    let indent = " ".repeat(MARKER_WIDTH + LABEL_WIDTH + 1);
    Line::from(fit(&format!("{indent}↳ {error}"), width)).red()
}

/// The resolver's reading of country / state / city as the user types them, on one line,
/// then one line per warning.
fn geo_lines<'a>(form: &Form, width: u16) -> Vec<Line<'a>> {
    let Some(preview) = &form.geo.preview else {
        return Vec::new();
    };
    let location = &preview.location;
    let wikidata =
        |id: &Option<String>| id.as_ref().map(|id| format!(" ({id})")).unwrap_or_default();
    let mut parts = Vec::new();
    if let Some(country) = &location.country {
        parts.push(format!(
            "{} {}{}",
            country.code,
            country.name,
            wikidata(&country.wikidata_id)
        ));
    }
    if let Some(state) = &location.state {
        parts.push(format!(
            "{} {}{}",
            state.code,
            state.name,
            wikidata(&state.wikidata_id)
        ));
    }
    if let Some(city) = &location.city {
        parts.push(format!("{}{}", city.name, wikidata(&city.wikidata_id)));
    }
    parts.push(strings::location_status(location.status).to_owned());
    let indent = " ".repeat(MARKER_WIDTH + LABEL_WIDTH + 1);
    let mut lines =
        vec![Line::from(fit(&format!("{indent}→ {}", parts.join(" · ")), width)).cyan()];
    for warning in &preview.warnings {
        let text = format!("{indent}⚠ {}: {}", warning.field.name(), warning.message);
        lines.push(Line::from(fit(&text, width)).yellow());
    }
    lines
}

/// `text` broken at spaces into lines at most `width` cells wide (a longer word is cut).
fn wrap(text: &str, width: u16) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if candidate.width() <= usize::from(width) || current.is_empty() {
            current = candidate;
        } else {
            lines.push(fit(&current, width));
            current = word.to_owned();
        }
    }
    if !current.is_empty() {
        lines.push(fit(&current, width));
    }
    lines
}
