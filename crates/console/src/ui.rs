//! Drawing: `render(&App, &mut Frame)` turns the state into a screen and does nothing else
//! (no I/O, no state change), so every screen is tested on ratatui's `TestBackend`.
//!
//! Layout, top to bottom: a title line (count, position, loading spinner), the body (table,
//! detail or form; on a terminal of [`crate::layout::SIDE_BY_SIDE_MIN_WIDTH`] columns or
//! more the detail opens beside the table), the status line (server and filter) and the
//! message line (last action, prompt, or the keys that matter now).

mod detail;
mod form_view;

use clientela_core::Customer;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Wrap};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::app::{App, Connection, Mode, PromptKind};
use crate::keys;
use crate::layout::is_side_by_side;
use crate::strings;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn render(app: &App, frame: &mut Frame) {
    let [title, body, status, message] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    render_title(app, frame, title);
    match (&app.connection, &app.mode) {
        (_, Mode::Form(form)) => form_view::render(form, frame, body),
        (Connection::Down { .. }, _) => render_connection_problem(app, frame, body),
        (_, Mode::Detail { scroll, geo, .. }) => match app.selected_customer() {
            Some(customer) if is_side_by_side(body.width) => {
                let [list, pane] =
                    Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                        .areas(body);
                render_table(app, frame, list);
                detail::render(customer, geo.as_deref(), *scroll, frame, pane);
            }
            Some(customer) => detail::render(customer, geo.as_deref(), *scroll, frame, body),
            None => render_table(app, frame, body),
        },
        _ => render_table(app, frame, body),
    }
    render_status(app, frame, status);
    render_message(app, frame, message);
    if app.help {
        // The help may cover the status lines too: at 80x24 it needs every row below the title.
        let below_title = Rect {
            height: frame.area().height.saturating_sub(1),
            ..body
        };
        render_help(frame, below_title);
    }
}

fn render_title(app: &App, frame: &mut Frame, area: Rect) {
    let help = format!("{} ", strings::HELP_HINT);
    let mut title = format!(
        " {} · {}",
        strings::TITLE,
        strings::count(
            app.rows.len(),
            app.next_cursor.is_some() || app.previous_cursor.is_some(),
            app.total,
        )
    );
    let position = strings::position(app.selected, app.rows.len());
    if !position.is_empty() {
        title.push_str(&format!(" · {position}"));
    }
    let spinner = if app.loading {
        let frame_index = (app.ticks as usize) % SPINNER.len();
        format!(" {} {}", SPINNER[frame_index], strings::LOADING)
    } else {
        String::new()
    };
    // The help hint keeps its place on the right; the title gives way on narrow screens.
    let room = area.width.saturating_sub(help.width() as u16 + 1);
    let spinner = fit(&spinner, room);
    let title = fit(&title, room.saturating_sub(spinner.width() as u16));
    let line = Line::from(vec![Span::from(title).bold(), Span::from(spinner).cyan()]);
    frame.render_widget(Paragraph::new(line).reversed(), area);
    let help = Line::from(help).right_aligned();
    frame.render_widget(Paragraph::new(help).reversed(), area);
}

/// Column widths for a table `width` cells wide: active and updated are fixed, the text
/// columns share what is left, so every column stays visible at any width.
fn column_widths(width: u16) -> [u16; 6] {
    const SPACING: u16 = 5;
    let active = 6;
    let updated = if width >= 76 { 16 } else { 10 };
    let rest = width.saturating_sub(SPACING + active + updated);
    let code = rest * 3 / 10;
    let country = rest / 4;
    let state = rest / 5;
    let city = rest.saturating_sub(code + country + state);
    [code, active, country, state, city, updated]
}

fn render_table(app: &App, frame: &mut Frame, area: Rect) {
    let widths = column_widths(area.width);
    let header = [
        strings::COLUMN_CODE,
        strings::COLUMN_ACTIVE,
        strings::COLUMN_COUNTRY,
        strings::COLUMN_STATE,
        strings::COLUMN_CITY,
        strings::COLUMN_UPDATED,
    ];
    let header = Row::new(
        header
            .iter()
            .zip(widths)
            .map(|(title, width)| Cell::from(fit(title, width))),
    )
    .bold()
    .underlined();
    let visible = usize::from(area.height.saturating_sub(1));
    let rows = app
        .rows
        .iter()
        .skip(app.scroll)
        .take(visible)
        .map(|customer| customer_row(app, customer, widths));
    let table = Table::new(rows, widths.map(Constraint::Length))
        .header(header)
        .column_spacing(1)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default();
    if !app.rows.is_empty() {
        state.select(Some(app.selected.saturating_sub(app.scroll)));
    }
    frame.render_stateful_widget(table, area, &mut state);
    if app.rows.is_empty() {
        let text = if app.loading {
            strings::WAITING_FOR_FIRST_PAGE
        } else {
            strings::NO_CUSTOMERS
        };
        let [_, below_header] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
        frame.render_widget(Paragraph::new(text).centered().dim(), below_header);
    }
}

fn customer_row<'a>(app: &App, customer: &Customer, widths: [u16; 6]) -> Row<'a> {
    let location = &customer.location;
    let country = match &location.country {
        Some(country) => format!("{} {}", country.code, country.name),
        None => customer.country.clone().unwrap_or_default(),
    };
    let state = match &location.state {
        Some(state) => state.name.clone(),
        None => customer.state.clone().unwrap_or_default(),
    };
    let city = match &location.city {
        Some(city) => city.name.clone(),
        None => customer.city.clone().unwrap_or_default(),
    };
    let active = if customer.is_active {
        strings::YES
    } else {
        strings::NO
    };
    let cells = [
        customer.code.clone(),
        active.to_owned(),
        country,
        state,
        city,
        short_time(&customer.updated_at.to_rfc3339(), widths[5]),
    ];
    let row = Row::new(
        cells
            .iter()
            .zip(widths)
            .map(|(text, width)| Cell::from(fit(text, width))),
    );
    if app.pending_writes.contains(&customer.code) {
        row.italic()
    } else if customer.is_active {
        row
    } else {
        row.dim()
    }
}

/// `2025-11-28T18:00:00.123456Z` as `2025-11-28 18:00`, or just the date when narrow.
fn short_time(rfc3339: &str, width: u16) -> String {
    let minutes: String = rfc3339.chars().take(16).collect();
    let readable = minutes.replacen('T', " ", 1);
    readable.chars().take(usize::from(width)).collect()
}

/// `text` cut to `width` terminal cells, ending in an ellipsis when it was cut.
pub fn fit(text: &str, width: u16) -> String {
    let width = usize::from(width);
    if text.width() <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut kept = String::new();
    let mut used = 0;
    for character in text.chars() {
        let character_width = character.width().unwrap_or(0);
        if used + character_width + 1 > width {
            break;
        }
        kept.push(character);
        used += character_width;
    }
    kept + strings::ELLIPSIS
}

fn render_connection_problem(app: &App, frame: &mut Frame, area: Rect) {
    let Connection::Down {
        reason,
        retry_in_ticks,
    } = &app.connection
    else {
        return;
    };
    let seconds = (u64::from(*retry_in_ticks) * crate::app::TICK_MILLIS).div_ceil(1000);
    let retry = if app.loading || seconds == 0 {
        strings::RETRYING_NOW.to_owned()
    } else {
        strings::retrying(seconds)
    };
    let lines = vec![
        Line::from(reason.as_str()).bold().red(),
        Line::from(""),
        Line::from(strings::SERVER_SOURCES),
        Line::from(strings::key_sources(&app.key_file)),
        Line::from(""),
        Line::from(retry),
    ];
    let block = Block::new().borders(Borders::ALL);
    let paragraph = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: true })
        .centered();
    frame.render_widget(paragraph, area);
}

fn render_status(app: &App, frame: &mut Frame, area: Rect) {
    let filter = strings::filter_summary(&app.query.prefix, app.query.active, &app.query.country);
    let text = format!(" {} │ {}", app.server, filter);
    let line = Line::from(fit(&text, area.width));
    frame.render_widget(
        Paragraph::new(line).style(Style::new().bg(Color::DarkGray).fg(Color::White)),
        area,
    );
}

fn render_message(app: &App, frame: &mut Frame, area: Rect) {
    if let Mode::Prompt { kind, input } = &app.mode {
        let label = match kind {
            PromptKind::Search => strings::PROMPT_SEARCH,
            PromptKind::Country => strings::PROMPT_COUNTRY,
        };
        let line = Line::from(vec![
            Span::from(format!(" {label}")).bold(),
            Span::from(input.text().to_owned()),
            Span::from(format!("   {}", strings::PROMPT_HINT)).dim(),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        let before_cursor: String = input.text().chars().take(input.cursor()).collect();
        let column = 1 + label.width() + before_cursor.width();
        frame.set_cursor_position(Position::new(
            area.x + (column as u16).min(area.width.saturating_sub(1)),
            area.y,
        ));
        return;
    }
    let line = match (&app.mode, &app.notice) {
        (Mode::ConfirmDelete { code }, _) => {
            Line::from(strings::confirm_delete(code)).bold().yellow()
        }
        (_, Some(notice)) if notice.is_error => Line::from(notice.text.as_str()).red(),
        (_, Some(notice)) => Line::from(notice.text.as_str()).green(),
        (Mode::Form(_), None) => Line::from(strings::FORM_HINT).dim(),
        (Mode::Detail { .. }, None) => Line::from(strings::DETAIL_HINT).dim(),
        (_, None) => Line::from(strings::LIST_HINT).dim(),
    };
    let text: String = line
        .spans
        .iter()
        .map(|span| span.content.as_ref())
        .collect();
    let fitted =
        Line::from(format!(" {}", fit(&text, area.width.saturating_sub(1)))).style(line.style);
    frame.render_widget(Paragraph::new(fitted), area);
}

/// The key table in a box over `body`, as large as it allows.
fn render_help(frame: &mut Frame, body: Rect) {
    let keys_width = keys::BINDINGS
        .iter()
        .map(|binding| binding.keys.width())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = keys::BINDINGS
        .iter()
        .map(|binding| {
            Line::from(vec![
                Span::from(format!(" {:keys_width$}  ", binding.keys))
                    .bold()
                    .cyan(),
                Span::from(binding.does),
            ])
        })
        .collect();
    lines.push(Line::from(format!(" {}", strings::HELP_CLOSE)).dim());
    let longest = keys::BINDINGS
        .iter()
        .map(|binding| keys_width + 3 + binding.does.width())
        .max()
        .unwrap_or(0);
    let width = (longest as u16 + 3).min(body.width);
    let height = (lines.len() as u16 + 2).min(body.height);
    let area = Rect {
        x: body.x + (body.width - width) / 2,
        y: body.y + (body.height - height) / 2,
        width,
        height,
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .title(strings::HELP_TITLE)
        .border_style(Style::new().cyan());
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

#[cfg(test)]
mod tests;
