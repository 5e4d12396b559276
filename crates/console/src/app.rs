//! The console's state and its one pure transition, [`update`]: a message (a key, a tick, an
//! HTTP answer) changes the [`App`] and returns the [`Command`]s (HTTP requests) to run.
//! Nothing here does I/O, so every behaviour is tested by feeding messages.

use std::collections::HashSet;

use clientela_core::Customer;
use clientela_core::wire::{ListPage, SingleResponse, Total};
use ratatui::crossterm::event::KeyEvent;
use serde_json::Value;

use clientela_core::wire::GeoResolveResponse;

use crate::client::{ApiError, FeedItem, ListQuery};
use crate::form::{Form, FormOutcome};
use crate::input::LineInput;
use crate::keys::{self, ListAction};
use crate::strings;
use crate::ui;

mod answers;
mod form_flow;
mod live;

/// Ticks are sent every 100 ms by the event loop.
pub const TICK_MILLIS: u64 = 100;
/// Ticks between a failed connection and the next try (3 s).
pub const RETRY_TICKS: u32 = 30;
/// The most rows kept: past it, the loaded page farthest from the selection is dropped (and
/// loaded again if the selection comes back to it), so memory stays bounded at any size.
pub const MAX_ROWS: usize = 2_000;

/// One loaded page among `rows`: how many rows it holds, and the cursors of the pages
/// before and after it, so a dropped page can be asked for again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSpan {
    pub len: usize,
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// Ticks of typing pause before the location preview is asked for (300 ms).
pub const GEO_DEBOUNCE_TICKS: u32 = 3;

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    Tick,
    PageLoaded {
        generation: u64,
        result: Result<ListPage, ApiError>,
    },
    CustomerFetched {
        code: String,
        result: Result<Customer, ApiError>,
    },
    ActiveSaved {
        code: String,
        previous: bool,
        result: Result<SingleResponse, ApiError>,
    },
    FormSaved {
        result: Result<SingleResponse, ApiError>,
    },
    Deleted {
        code: String,
        result: Result<(), ApiError>,
    },
    GeoResolved {
        request: u64,
        result: Result<GeoResolveResponse, ApiError>,
    },
    /// Changes made elsewhere, from the API's change feed (see `live`).
    FeedChanged {
        items: Vec<FeedItem>,
    },
}

/// An HTTP request for the event loop to run; its answer comes back as a [`Msg`].
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    LoadPage {
        generation: u64,
        query: ListQuery,
        after: Option<String>,
        /// Page backwards from this cursor (`""`: the last page).
        before: Option<String>,
    },
    FetchCustomer {
        code: String,
    },
    SetActive {
        code: String,
        is_active: bool,
        previous: bool,
        version: i64,
    },
    Save {
        body: Value,
        if_match: Option<i64>,
        create: bool,
    },
    Delete {
        code: String,
    },
    ResolveGeo {
        request: u64,
        country: String,
        state: String,
        city: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Search,
    Country,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    List,
    Prompt {
        kind: PromptKind,
        input: LineInput,
    },
    Detail {
        scroll: u16,
        /// The resolver's warnings for the shown place, fetched when the pane opens.
        geo: Option<Box<GeoResolveResponse>>,
        geo_request: u64,
    },
    Form(Box<Form>),
    ConfirmDelete {
        code: String,
    },
}

/// Whether the API answers; when it does not, the screen says why and retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Up,
    Down { reason: String, retry_in_ticks: u32 },
}

/// The result of the last action, shown in the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub server: String,
    /// Where the key file is looked for, to tell the user when no key is found.
    pub key_file: String,
    pub rows: Vec<Customer>,
    pub next_cursor: Option<String>,
    /// Where the rows before the loaded ones start (after `G` jumped to the end).
    pub previous_cursor: Option<String>,
    /// The page in flight is one before the loaded rows (prepended when it comes).
    pub loading_backwards: bool,
    /// How many customers the query selects, as the API counted it with the first page.
    pub total: Option<Total>,
    /// The loaded pages, in order; their lengths add up to `rows.len()`. The first one's
    /// `previous` is `previous_cursor`, the last one's `next` is `next_cursor`.
    pub pages: std::collections::VecDeque<PageSpan>,
    pub selected: usize,
    /// The first row shown; kept here so scrolling is stable across frames.
    pub scroll: usize,
    pub viewport_rows: usize,
    pub loading: bool,
    /// Grows with every new query; answers to older queries are dropped.
    pub generation: u64,
    /// `G` was pressed: keep loading pages and selecting the last row until the end.
    pub follow_to_bottom: bool,
    pub query: ListQuery,
    pub mode: Mode,
    pub help: bool,
    pub connection: Connection,
    pub notice: Option<Notice>,
    /// Codes with a write in flight, so a second toggle waits for the first.
    pub pending_writes: HashSet<String>,
    pub ticks: u64,
    pub geo_requests: u64,
    /// The terminal is wide enough for the list and the detail side by side; then the
    /// arrows move through the list while the detail follows the selection.
    pub side_by_side: bool,
    pub quit: bool,
}

impl App {
    pub fn new(server: &str, key_file: &str) -> App {
        App {
            server: server.to_owned(),
            key_file: key_file.to_owned(),
            rows: Vec::new(),
            next_cursor: None,
            previous_cursor: None,
            loading_backwards: false,
            total: None,
            pages: std::collections::VecDeque::new(),
            selected: 0,
            scroll: 0,
            viewport_rows: ui::list_rows_for_height(24),
            loading: false,
            generation: 0,
            follow_to_bottom: false,
            query: ListQuery::default(),
            mode: Mode::List,
            help: false,
            connection: Connection::Connecting,
            notice: None,
            pending_writes: HashSet::new(),
            ticks: 0,
            geo_requests: 0,
            side_by_side: false,
            quit: false,
        }
    }

    /// The commands to run at start: the first page.
    pub fn start(&mut self) -> Vec<Command> {
        vec![self.reload()]
    }

    pub fn selected_customer(&self) -> Option<&Customer> {
        self.rows.get(self.selected)
    }

    /// Forgets the loaded rows and asks for the first page of the current query.
    pub(crate) fn reload(&mut self) -> Command {
        self.generation += 1;
        self.rows.clear();
        self.next_cursor = None;
        self.previous_cursor = None;
        self.loading_backwards = false;
        self.total = None;
        self.pages.clear();
        self.selected = 0;
        self.scroll = 0;
        self.loading = true;
        self.follow_to_bottom = false;
        Command::LoadPage {
            generation: self.generation,
            query: self.query.clone(),
            after: None,
            before: None,
        }
    }

    /// Forgets the loaded rows and asks for the last page: one request however many
    /// customers come before it (they are loaded as the selection moves up to them).
    pub(crate) fn reload_from_end(&mut self) -> Command {
        let Command::LoadPage {
            generation, query, ..
        } = self.reload()
        else {
            unreachable!("reload always loads a page")
        };
        self.loading_backwards = true;
        self.follow_to_bottom = true;
        Command::LoadPage {
            generation,
            query,
            after: None,
            before: Some(String::new()),
        }
    }

    /// The next page, when the selection is near the end of what is loaded (or `G` wants
    /// everything): prefetching keeps scrolling smooth through thousands of rows.
    pub(crate) fn next_page_if_needed(&mut self) -> Option<Command> {
        if self.loading {
            return None;
        }
        let margin = (self.viewport_rows * 2).max(50);
        if let Some(before) = self.previous_cursor.clone()
            && self.selected <= margin
        {
            self.loading = true;
            self.loading_backwards = true;
            return Some(Command::LoadPage {
                generation: self.generation,
                query: self.query.clone(),
                after: None,
                before: Some(before),
            });
        }
        let after = self.next_cursor.clone()?;
        let near_end = self.rows.len().saturating_sub(self.selected) <= margin;
        if !(near_end || self.follow_to_bottom) {
            return None;
        }
        self.loading = true;
        Some(Command::LoadPage {
            generation: self.generation,
            query: self.query.clone(),
            after: Some(after),
            before: None,
        })
    }

    pub(crate) fn select(&mut self, index: usize) {
        self.selected = index.min(self.rows.len().saturating_sub(1));
        let visible = self.viewport_rows.max(1);
        if self.selected < self.scroll {
            self.scroll = self.selected;
        } else if self.selected >= self.scroll + visible {
            self.scroll = self.selected + 1 - visible;
        }
    }

    pub(crate) fn notify(&mut self, text: String) {
        self.notice = Some(Notice {
            text,
            is_error: false,
        });
    }

    pub(crate) fn warn(&mut self, text: String) {
        self.notice = Some(Notice {
            text,
            is_error: true,
        });
    }

    /// Takes in a page: appended, or prepended when it was asked for backwards. Then drops
    /// whole pages from the end farther from the selection while more than [`MAX_ROWS`]
    /// rows are held.
    pub(crate) fn take_page(&mut self, page: ListPage, backwards: bool) {
        let span = PageSpan {
            len: page.items.len(),
            previous: page.previous,
            next: page.next,
        };
        if backwards {
            let first_page = self.rows.is_empty();
            let mut rows = page.items;
            rows.append(&mut self.rows);
            self.rows = rows;
            if !first_page {
                self.selected += span.len;
                self.scroll += span.len;
            }
            self.pages.push_front(span);
        } else {
            self.rows.extend(page.items);
            self.pages.push_back(span);
        }
        while self.rows.len() > MAX_ROWS && self.pages.len() > 1 {
            let room_before = self.selected;
            let room_after = self.rows.len().saturating_sub(self.selected + 1);
            if room_before >= room_after {
                let Some(dropped) = self.pages.pop_front() else {
                    break;
                };
                self.rows.drain(..dropped.len.min(self.rows.len()));
                self.selected = self.selected.saturating_sub(dropped.len);
                self.scroll = self.scroll.saturating_sub(dropped.len);
            } else {
                let Some(dropped) = self.pages.pop_back() else {
                    break;
                };
                let keep = self.rows.len().saturating_sub(dropped.len);
                self.rows.truncate(keep);
            }
        }
        self.previous_cursor = self.pages.front().and_then(|page| page.previous.clone());
        self.next_cursor = self.pages.back().and_then(|page| page.next.clone());
    }

    /// Removes one row (deleted, or gone from the server), keeping the page spans right.
    pub(crate) fn remove_row(&mut self, index: usize) {
        if index >= self.rows.len() {
            return;
        }
        self.rows.remove(index);
        let mut start = 0;
        for page in &mut self.pages {
            if index < start + page.len {
                page.len -= 1;
                break;
            }
            start += page.len;
        }
        let selected = self.selected;
        self.select(selected);
    }

    pub(crate) fn row_index(&self, code: &str) -> Option<usize> {
        self.rows.iter().position(|row| row.code == code)
    }
}

/// The one transition: applies `msg` to `app` and returns the HTTP requests it calls for.
pub fn update(app: &mut App, msg: Msg) -> Vec<Command> {
    match msg {
        Msg::Key(key) => on_key(app, &key),
        Msg::Resize { width, height } => {
            app.viewport_rows = ui::list_rows_for_height(height);
            app.side_by_side = ui::is_side_by_side(width);
            let selected = app.selected;
            app.select(selected);
            Vec::new()
        }
        Msg::Tick => on_tick(app),
        Msg::PageLoaded { generation, result } => answers::on_page(app, generation, result),
        Msg::CustomerFetched { code, result } => answers::on_fetched(app, &code, result),
        Msg::ActiveSaved {
            code,
            previous,
            result,
        } => answers::on_active_saved(app, &code, previous, result),
        Msg::FormSaved { result } => form_flow::on_saved(app, result),
        Msg::Deleted { code, result } => answers::on_deleted(app, &code, result),
        Msg::GeoResolved { request, result } => form_flow::on_geo(app, request, result),
        Msg::FeedChanged { items } => live::on_feed(app, items),
    }
}

fn on_key(app: &mut App, key: &KeyEvent) -> Vec<Command> {
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

fn on_tick(app: &mut App) -> Vec<Command> {
    app.ticks += 1;
    let mut commands = Vec::new();
    if let Connection::Down { retry_in_ticks, .. } = &mut app.connection {
        *retry_in_ticks = retry_in_ticks.saturating_sub(1);
        if *retry_in_ticks == 0 && !app.loading {
            commands.push(app.reload());
        }
    }
    commands.extend(form_flow::on_tick(app));
    commands
}

#[cfg(test)]
mod tests;
