//! Pure `update` tests of the list: moving, paging, the bounded window of rows, resizing.
//! The other behaviours have a file each: `filters` (the prompts and filters), `actions`
//! (detail, toggle, delete, form, help, quit) and `connection` (reloads and failures).

mod actions;
mod connection;
mod filters;

use ratatui::crossterm::event::KeyCode;

use super::*;
use crate::test_support::*;

fn load_commands(commands: &[Command]) -> Vec<(Option<String>, ListQuery)> {
    commands
        .iter()
        .filter_map(|command| match command {
            Command::LoadPage { after, query, .. } => Some((after.clone(), query.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn starting_asks_for_the_first_page_and_shows_loading() {
    let mut app = App::new("http://127.0.0.1:8080", "./data/admin.key");
    let commands = app.start();
    assert_eq!(load_commands(&commands), [(None, ListQuery::default())]);
    assert!(app.loading);
}

#[test]
fn arrows_and_j_k_move_the_selection_within_the_rows() {
    let mut app = loaded_app(3, None);
    update(&mut app, key(KeyCode::Down));
    update(&mut app, char_key('j'));
    assert_eq!(app.selected, 2);
    update(&mut app, char_key('j'));
    assert_eq!(app.selected, 2, "stops at the last row");
    update(&mut app, key(KeyCode::Up));
    update(&mut app, char_key('k'));
    update(&mut app, char_key('k'));
    assert_eq!(app.selected, 0, "stops at the first row");
}

#[test]
fn page_down_and_page_up_move_by_one_screen_and_scroll_with_it() {
    let mut app = loaded_app(100, None);
    let screen = app.viewport_rows;
    assert_eq!(
        screen, 20,
        "24 lines less title, header, status and message"
    );
    update(&mut app, key(KeyCode::PageDown));
    assert_eq!(app.selected, screen);
    assert_eq!(app.scroll, 1, "the selection stays on screen");
    update(&mut app, key(KeyCode::PageUp));
    assert_eq!(app.selected, 0);
    assert_eq!(app.scroll, 0);
}

#[test]
fn g_goes_to_the_top_and_capital_g_to_the_last_loaded_row() {
    let mut app = loaded_app(100, None);
    update(&mut app, char_key('G'));
    assert_eq!(app.selected, 99);
    assert_eq!(app.scroll, 80);
    update(&mut app, char_key('g'));
    assert_eq!((app.selected, app.scroll), (0, 0));
}

#[test]
fn capital_g_with_more_pages_jumps_to_the_last_page_in_one_request() {
    let mut app = loaded_app(200, Some("cursor-1"));
    let commands = update(&mut app, char_key('G'));
    let [
        Command::LoadPage {
            after: None,
            before: Some(before),
            ..
        },
    ] = commands.as_slice()
    else {
        panic!("one request for the last page: {commands:?}");
    };
    assert_eq!(before, "", "the end, not a walk through every page");
    assert!(app.rows.is_empty(), "the rows in between are not kept");

    let generation = app.generation;
    let mut last = page(customers(3), None);
    last.previous = Some("before-C-00000".to_owned());
    let commands = update(
        &mut app,
        Msg::PageLoaded {
            generation,
            result: Ok(last),
        },
    );
    assert_eq!(app.selected, 2, "the last row of the whole list");
    assert_eq!(app.next_cursor, None, "no page after the last");

    // Near the loaded start, the page before is asked for (prefetched), and prepended
    // without moving the selection off its customer.
    assert!(
        commands.iter().any(|command| matches!(
            command,
            Command::LoadPage { before: Some(cursor), .. } if cursor == "before-C-00000"
        )),
        "{commands:?}"
    );
    let selected_code = app.rows[app.selected].code.clone();
    let earlier: Vec<Customer> = (0..4).map(|n| customer(&format!("A-{n}"))).collect();
    update(
        &mut app,
        Msg::PageLoaded {
            generation,
            result: Ok(page(earlier, None)),
        },
    );
    assert_eq!(app.rows.len(), 7);
    assert_eq!(app.rows[0].code, "A-0");
    assert_eq!(app.rows[app.selected].code, selected_code);
    assert_eq!(app.previous_cursor, None, "the first page came");

    // `g` from here: the first customer is already loaded.
    update(&mut app, char_key('g'));
    assert_eq!(app.selected, 0);
}

#[test]
fn g_after_a_jump_to_the_end_reloads_the_first_page_in_one_request() {
    let mut app = loaded_app(200, Some("cursor-1"));
    update(&mut app, char_key('G'));
    let generation = app.generation;
    let mut last = page(customers(3), None);
    last.previous = Some("before".to_owned());
    update(
        &mut app,
        Msg::PageLoaded {
            generation,
            result: Ok(last),
        },
    );
    let commands = update(&mut app, char_key('g'));
    assert_eq!(load_commands(&commands), [(None, ListQuery::default())]);
}

#[test]
fn moving_near_the_end_prefetches_the_next_page_once() {
    let mut app = loaded_app(200, Some("cursor-1"));
    assert!(!app.loading, "far from the end: no prefetch yet");
    let mut loads = Vec::new();
    while app.selected < 199 {
        let commands = update(&mut app, key(KeyCode::PageDown));
        if loads.is_empty() && !commands.is_empty() {
            assert!(
                app.selected + 2 * app.viewport_rows <= 200,
                "asked for while two screens were still loaded below"
            );
        }
        loads.extend(load_commands(&commands));
    }
    assert_eq!(loads, [(Some("cursor-1".to_owned()), ListQuery::default())]);
}

#[test]
fn an_answer_to_an_older_query_is_dropped() {
    let mut app = loaded_app(2, None);
    let stale = app.generation;
    update(&mut app, char_key('f'));
    update(
        &mut app,
        Msg::PageLoaded {
            generation: stale,
            result: Ok(page(customers(5), None)),
        },
    );
    assert!(app.rows.is_empty());
    assert!(app.loading);
}

#[test]
fn a_resize_changes_the_page_size_and_keeps_the_selection_visible() {
    let mut app = loaded_app(100, None);
    update(&mut app, char_key('G'));
    update(
        &mut app,
        Msg::Resize {
            width: 80,
            height: 10,
        },
    );
    assert_eq!(app.viewport_rows, 6);
    assert_eq!(app.scroll, 94);
}

#[test]
fn the_console_keeps_a_bounded_window_of_rows_and_reloads_dropped_pages() {
    let mut app = loaded_app(200, Some("after-0"));
    // Scroll down through 15 more pages of 200: each is asked for near the end.
    for number in 1..=15 {
        let mut commands = Vec::new();
        while commands.is_empty() {
            commands = update(&mut app, key(KeyCode::PageDown));
        }
        let cursor = format!("after-{}", number - 1);
        assert!(
            load_commands(&commands)
                .iter()
                .any(|(after, _)| after.as_deref() == Some(cursor.as_str())),
            "page {number}: {commands:?}"
        );
        let generation = app.generation;
        let items: Vec<Customer> = (0..200)
            .map(|n| customer(&format!("P{number:02}-{n:03}")))
            .collect();
        let mut next = page(items, Some(&format!("after-{number}")));
        next.previous = Some(format!("before-{number}"));
        update(
            &mut app,
            Msg::PageLoaded {
                generation,
                result: Ok(next),
            },
        );
        assert!(app.rows.len() <= MAX_ROWS, "{} rows held", app.rows.len());
    }
    assert_eq!(app.rows.len(), MAX_ROWS);
    assert_eq!(app.rows[0].code, "P06-000", "the oldest pages were dropped");
    assert_eq!(app.previous_cursor.as_deref(), Some("before-6"));

    // Back up to the top of the window: the dropped page before it is asked for again.
    let mut commands = Vec::new();
    for _ in 0..MAX_ROWS {
        commands.extend(update(&mut app, key(KeyCode::Up)));
        if !commands.is_empty() {
            break;
        }
    }
    assert!(
        commands.iter().any(|command| matches!(
            command,
            Command::LoadPage { before: Some(cursor), .. } if cursor == "before-6"
        )),
        "{commands:?}"
    );
}
