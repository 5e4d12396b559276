//! The console's state and its one pure transition, [`update`]: a message (a key, a tick, an
//! HTTP answer) changes the [`App`] and returns the [`Command`]s (HTTP requests) to run.
//! Nothing here does I/O, so every behaviour is tested by feeding messages.
//!
//! The types and `update` are here; the parts of `update` live beside it: `keystrokes`
//! (keys), `answers` (the API's answers), `form_flow` (the form), `live` (the change feed),
//! and `rows` (the loaded window of pages).

use std::collections::HashSet;

use clientela_core::Customer;
use clientela_core::wire::{GeoResolveResponse, ListPage, SingleResponse, Total};
use ratatui::crossterm::event::KeyEvent;
use serde_json::Value;

use crate::client::{ClientError, FeedItem, ListQuery};
use crate::form::Form;
use crate::input::LineInput;
use crate::layout;

mod answers;
mod form_flow;
mod keystrokes;
mod live;
mod rows;

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
        result: Result<ListPage, ClientError>,
    },
    CustomerFetched {
        code: String,
        result: Result<Customer, ClientError>,
    },
    ActiveSaved {
        code: String,
        previous: bool,
        result: Result<SingleResponse, ClientError>,
    },
    FormSaved {
        result: Result<SingleResponse, ClientError>,
    },
    Deleted {
        code: String,
        result: Result<(), ClientError>,
    },
    GeoResolved {
        request: u64,
        result: Result<GeoResolveResponse, ClientError>,
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
            viewport_rows: layout::list_rows_for_height(24),
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
}

/// The one transition: applies `msg` to `app` and returns the HTTP requests it calls for.
pub fn update(app: &mut App, msg: Msg) -> Vec<Command> {
    match msg {
        Msg::Key(key) => keystrokes::on_key(app, &key),
        Msg::Resize { width, height } => {
            app.viewport_rows = layout::list_rows_for_height(height);
            app.side_by_side = layout::is_side_by_side(width);
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
