//! The event loop: reads terminal events, feeds them to `update`, runs the commands it
//! returns on worker threads, and draws after every change.
//!
//! The terminal is restored however the loop ends: on return, on error, and on panic
//! (`ratatui::init` installs a panic hook that restores it before the message is printed).

use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event, KeyEventKind};

use crate::app::{self, App, Command, Msg};
use crate::cli::Settings;
use crate::client::{Client, ClientError};
use crate::ui;

pub fn run(settings: Settings) -> anyhow::Result<()> {
    let client = Client::new(settings.url.clone(), settings.key.clone())
        .context("could not build the HTTP client")?;
    let server = settings.url.as_str().trim_end_matches('/').to_owned();
    let mut app = App::new(&server, &settings.key_file.display().to_string());
    let mut terminal = ratatui::init();
    let outcome = event_loop(&mut terminal, &mut app, &client);
    ratatui::restore();
    outcome
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    client: &Client,
) -> anyhow::Result<()> {
    let (sender, answers) = mpsc::channel();
    let size = terminal.size()?;
    let mut commands = app::update(
        app,
        Msg::Resize {
            width: size.width,
            height: size.height,
        },
    );
    commands.extend(app.start());
    follow_changes(client, &sender);
    let tick = Duration::from_millis(app::TICK_MILLIS);
    let mut last_tick = Instant::now();
    loop {
        for command in commands.drain(..) {
            spawn(client, command, &sender);
        }
        terminal.draw(|frame| ui::render(app, frame))?;
        if app.quit {
            return Ok(());
        }
        let wait = tick.saturating_sub(last_tick.elapsed());
        if event::poll(wait)? {
            let msg = match event::read()? {
                Event::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
                Event::Resize(width, height) => Some(Msg::Resize { width, height }),
                _ => None,
            };
            if let Some(msg) = msg {
                commands.extend(app::update(app, msg));
            }
        }
        commands.extend(drain_answers(app, &answers));
        if last_tick.elapsed() >= tick {
            last_tick = Instant::now();
            commands.extend(app::update(app, Msg::Tick));
        }
    }
}

fn drain_answers(app: &mut App, answers: &Receiver<Msg>) -> Vec<Command> {
    let mut commands = Vec::new();
    while let Ok(msg) = answers.try_recv() {
        commands.extend(app::update(app, msg));
    }
    commands
}

/// Follows the API's change feed on a thread of its own for as long as the console runs,
/// handing each page of changes to `update` (see `app::live`). It starts from the moment
/// the console opens; after a failure it waits and asks again, and a server without a feed
/// (an older version: 404) is simply not followed.
fn follow_changes(client: &Client, sender: &Sender<Msg>) {
    const WAIT_SECONDS: u64 = 25;
    const AFTER_FAILURE: Duration = Duration::from_secs(2);
    let client = client.clone();
    let sender = sender.clone();
    thread::spawn(move || {
        let mut after = "now".to_owned();
        loop {
            match client.changes(&after, WAIT_SECONDS) {
                Ok(page) => {
                    if let Some(next) = page.next {
                        after = next;
                    }
                    let sent = page.items.is_empty()
                        || sender.send(Msg::FeedChanged { items: page.items }).is_ok();
                    if !sent {
                        return;
                    }
                }
                Err(ClientError::Status { status: 404, .. }) => return,
                // Past the feed's retention: carry on from now (the list reloads with `r`).
                Err(ClientError::Status { status: 410, .. }) => after = "now".to_owned(),
                Err(_) => thread::sleep(AFTER_FAILURE),
            }
        }
    });
}

/// Runs one command on its own thread: requests are few and short, and a slow one (a page
/// over a bad link) must not hold up a toggle or the location preview.
fn spawn(client: &Client, command: Command, sender: &Sender<Msg>) {
    let client = client.clone();
    let sender = sender.clone();
    thread::spawn(move || {
        // The receiver is gone only when the console is quitting; nobody needs the answer.
        let _ = sender.send(execute(&client, command));
    });
}

/// The HTTP request behind a command, and its answer as the message `update` expects.
pub fn execute(client: &Client, command: Command) -> Msg {
    match command {
        Command::LoadPage {
            generation,
            query,
            after,
            before,
        } => Msg::PageLoaded {
            generation,
            result: client.list(&query, after.as_deref(), before.as_deref()),
        },
        Command::FetchCustomer { code } => {
            let result = client.get(&code);
            Msg::CustomerFetched { code, result }
        }
        Command::SetActive {
            code,
            is_active,
            previous,
            version,
        } => {
            let body = serde_json::json!({ "code": code, "isActive": is_active });
            let result = client.post(&body, Some(version));
            Msg::ActiveSaved {
                code,
                previous,
                result,
            }
        }
        Command::Save {
            body,
            if_match,
            create,
        } => {
            let result = if create {
                client.create(&body)
            } else {
                client.post(&body, if_match)
            };
            Msg::FormSaved { result }
        }
        Command::Delete { code } => {
            let result = client.delete(&code);
            Msg::Deleted { code, result }
        }
        Command::ResolveGeo {
            request,
            country,
            state,
            city,
        } => Msg::GeoResolved {
            request,
            result: client.resolve_geo(&country, &state, &city),
        },
    }
}
