//! The part of [`super::update`] that takes in keys: moving through the list, the search and
//! country prompts, the detail pane, toggling `isActive`, opening the form and confirming a
//! delete.

use ratatui::crossterm::event::KeyEvent;

use super::{App, Command, Mode, PromptKind, form_flow};
use crate::form::{Form, FormOutcome};
use crate::input::LineInput;
use crate::keys::{self, ListAction};
use crate::strings;

pub fn on_key(app: &mut App, key: &KeyEvent) -> Vec<Command> {
    if keys::is_force_quit(key) {
        app.quit = true;
        return Vec::new();
    }
    if app.help {
        app.help = false;
        return Vec::new();
    }
    // The message line tells the outcome of the last action: a new key starts another, so
    // an older message (or error) would only mislead now.
    app.notice = None;
    match &mut app.mode {
        Mode::List | Mode::Detail { .. } => on_list_key(app, key),
        Mode::Prompt { kind, input } => {
            let kind = *kind;
            match keys::form_action(key) {
                Some(keys::FormAction::Cancel) => {
                    app.mode = Mode::List;
                    apply_prompt(app, kind, String::new())
                }
                _ if keys::is_submit(key) => {
                    let text = input.text().trim().to_owned();
                    app.mode = Mode::List;
                    apply_prompt(app, kind, text)
                }
                _ => {
                    input.handle(key);
                    Vec::new()
                }
            }
        }
        Mode::Form(form) => {
            let outcome = form.handle_key(key);
            match outcome {
                FormOutcome::Nothing | FormOutcome::PlaceChanged => Vec::new(),
                FormOutcome::Cancel => {
                    app.mode = Mode::List;
                    Vec::new()
                }
                FormOutcome::Save => form_flow::save(app),
            }
        }
        Mode::ConfirmDelete { code } => {
            let code = code.clone();
            app.mode = Mode::List;
            if keys::is_confirm(key) {
                app.pending_writes.insert(code.clone());
                vec![Command::Delete { code }]
            } else {
                app.notify(strings::DELETE_CANCELLED.to_owned());
                Vec::new()
            }
        }
    }
}

fn apply_prompt(app: &mut App, kind: PromptKind, text: String) -> Vec<Command> {
    let target = match kind {
        PromptKind::Search => &mut app.query.prefix,
        PromptKind::Country => &mut app.query.country,
    };
    if *target == text {
        return Vec::new();
    }
    *target = text;
    vec![app.reload()]
}

fn on_list_key(app: &mut App, key: &KeyEvent) -> Vec<Command> {
    let Some(action) = keys::list_action(key) else {
        return Vec::new();
    };
    let in_detail = matches!(app.mode, Mode::Detail { .. });
    let page = app.viewport_rows.max(1);
    match action {
        ListAction::Up | ListAction::Down if in_detail && app.side_by_side => {
            let next = match action {
                ListAction::Up => app.selected.saturating_sub(1),
                _ => app.selected + 1,
            };
            let before = app.selected;
            app.select(next);
            let mut commands = if app.selected == before {
                Vec::new()
            } else {
                open_detail(app)
            };
            commands.extend(app.next_page_if_needed());
            return commands;
        }
        ListAction::Up | ListAction::Down if in_detail => {
            if let Mode::Detail { scroll, .. } = &mut app.mode {
                *scroll = match action {
                    ListAction::Up => scroll.saturating_sub(1),
                    _ => scroll.saturating_add(1),
                };
            }
            return Vec::new();
        }
        ListAction::Up => app.select(app.selected.saturating_sub(1)),
        ListAction::Down => app.select(app.selected + 1),
        ListAction::PageUp => app.select(app.selected.saturating_sub(page)),
        ListAction::PageDown => app.select(app.selected + page),
        // Either end in one request, whatever lies between.
        ListAction::Top if app.previous_cursor.is_some() => return vec![app.reload()],
        ListAction::Top => app.select(0),
        ListAction::Bottom if app.next_cursor.is_some() => {
            app.mode = Mode::List;
            return vec![app.reload_from_end()];
        }
        ListAction::Bottom => app.select(app.rows.len().saturating_sub(1)),
        ListAction::Search | ListAction::Country => {
            let (kind, current) = match action {
                ListAction::Search => (PromptKind::Search, &app.query.prefix),
                _ => (PromptKind::Country, &app.query.country),
            };
            let input = LineInput::new(current);
            app.mode = Mode::Prompt { kind, input };
            return Vec::new();
        }
        ListAction::CycleActive => {
            app.query.active = match app.query.active {
                None => Some(true),
                Some(true) => Some(false),
                Some(false) => None,
            };
            app.mode = Mode::List;
            return vec![app.reload()];
        }
        ListAction::Reload => return vec![app.reload()],
        ListAction::Open if in_detail => app.mode = Mode::List,
        ListAction::Open => return open_detail(app),
        ListAction::Back => app.mode = Mode::List,
        ListAction::Toggle => return toggle_active(app),
        ListAction::Edit => {
            let Some(customer) = app.selected_customer() else {
                app.warn(strings::NO_SELECTION.to_owned());
                return Vec::new();
            };
            let form = Form::for_edit(customer);
            return form_flow::open(app, form);
        }
        ListAction::New => return form_flow::open(app, Form::for_create()),
        ListAction::Delete => match app.selected_customer() {
            Some(customer) => {
                app.mode = Mode::ConfirmDelete {
                    code: customer.code.clone(),
                }
            }
            None => app.warn(strings::NO_SELECTION.to_owned()),
        },
        ListAction::Help => app.help = true,
        ListAction::Quit => app.quit = true,
    }
    app.next_page_if_needed().into_iter().collect()
}

fn open_detail(app: &mut App) -> Vec<Command> {
    let Some(customer) = app.selected_customer() else {
        app.warn(strings::NO_SELECTION.to_owned());
        return Vec::new();
    };
    let code = customer.code.clone();
    let place = [&customer.country, &customer.state, &customer.city]
        .map(|value| value.clone().unwrap_or_default());
    app.geo_requests += 1;
    let geo_request = app.geo_requests;
    app.mode = Mode::Detail {
        scroll: 0,
        geo: None,
        geo_request,
    };
    let mut commands = vec![Command::FetchCustomer { code }];
    if place.iter().any(|part| !part.is_empty()) {
        let [country, state, city] = place;
        commands.push(Command::ResolveGeo {
            request: geo_request,
            country,
            state,
            city,
        });
    }
    commands
}

/// Flips `isActive` on screen at once and saves it with `If-Match`; the answer confirms it
/// or puts the old value back.
fn toggle_active(app: &mut App) -> Vec<Command> {
    let Some(row) = app.rows.get_mut(app.selected) else {
        app.warn(strings::NO_SELECTION.to_owned());
        return Vec::new();
    };
    if app.pending_writes.contains(&row.code) {
        app.warn(strings::STILL_SAVING.to_owned());
        return Vec::new();
    }
    let previous = row.is_active;
    row.is_active = !previous;
    let command = Command::SetActive {
        code: row.code.clone(),
        is_active: row.is_active,
        previous,
        version: row.version,
    };
    app.pending_writes.insert(row.code.clone());
    vec![command]
}
