//! Pure `update` tests for the list, its keys and the answers of the API.

use clientela_core::merge::MergeResult;
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
fn slash_then_text_then_enter_filters_by_code_prefix_and_esc_clears_it() {
    let mut app = loaded_app(3, None);
    update(&mut app, char_key('/'));
    assert!(matches!(
        app.mode,
        Mode::Prompt {
            kind: PromptKind::Search,
            ..
        }
    ));
    assert!(
        type_text(&mut app, "AB").is_empty(),
        "typing does not query yet"
    );
    let commands = update(&mut app, key(KeyCode::Enter));
    assert_eq!(load_commands(&commands)[0].1.prefix, "AB");
    assert_eq!(app.mode, Mode::List);
    assert!(
        app.rows.is_empty(),
        "the old rows do not match the new filter"
    );

    update(&mut app, char_key('/'));
    let commands = update(&mut app, key(KeyCode::Esc));
    assert_eq!(load_commands(&commands)[0].1.prefix, "");
}

#[test]
fn f_cycles_all_active_inactive_and_reloads_each_time() {
    let mut app = loaded_app(3, None);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let commands = update(&mut app, char_key('f'));
        seen.push(load_commands(&commands)[0].1.active);
    }
    assert_eq!(seen, [Some(true), Some(false), None]);
}

#[test]
fn c_filters_by_country_as_typed() {
    let mut app = loaded_app(3, None);
    update(&mut app, char_key('c'));
    type_text(&mut app, "España");
    let commands = update(&mut app, key(KeyCode::Enter));
    assert_eq!(load_commands(&commands)[0].1.country, "España");
    assert_eq!(app.query.country, "España");
}

#[test]
fn q_typed_into_a_prompt_is_text_not_quit() {
    let mut app = loaded_app(3, None);
    update(&mut app, char_key('/'));
    type_text(&mut app, "q");
    assert!(!app.quit);
}

#[test]
fn enter_opens_the_detail_fetching_the_customer_and_its_location_warnings() {
    let mut app = loaded_app(3, None);
    update(&mut app, key(KeyCode::Down));
    let commands = update(&mut app, key(KeyCode::Enter));
    assert!(matches!(app.mode, Mode::Detail { .. }));
    assert!(commands.contains(&Command::FetchCustomer {
        code: "C-00001".to_owned()
    }));
    let Some(Command::ResolveGeo {
        request, country, ..
    }) = commands.get(1)
    else {
        panic!("no location lookup: {commands:?}");
    };
    assert_eq!(country, "ES");
    let request = *request;
    update(
        &mut app,
        Msg::GeoResolved {
            request,
            result: Ok(empty_resolution()),
        },
    );
    assert!(matches!(&app.mode, Mode::Detail { geo: Some(_), .. }));
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.mode, Mode::List, "Enter closes it again");
}

#[test]
fn j_and_k_scroll_the_detail_instead_of_moving_the_selection() {
    let mut app = loaded_app(3, None);
    update(&mut app, key(KeyCode::Enter));
    update(&mut app, char_key('j'));
    update(&mut app, char_key('j'));
    assert!(matches!(app.mode, Mode::Detail { scroll: 2, .. }));
    assert_eq!(app.selected, 0);
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.mode, Mode::List);
}

#[test]
fn space_toggles_at_once_and_saves_with_the_rows_version() {
    let mut app = loaded_app(3, None);
    let commands = update(&mut app, char_key(' '));
    assert!(!app.rows[0].is_active, "shown before the API answers");
    assert_eq!(
        commands,
        [Command::SetActive {
            code: "C-00000".to_owned(),
            is_active: false,
            previous: true,
            version: 3,
        }]
    );
    let mut answer = customer("C-00000");
    answer.is_active = false;
    answer.version = 4;
    update(
        &mut app,
        Msg::ActiveSaved {
            code: "C-00000".to_owned(),
            previous: true,
            result: Ok(saved(answer, MergeResult::Updated)),
        },
    );
    assert_eq!(
        app.rows[0].version, 4,
        "the next toggle uses the new version"
    );
    assert_eq!(
        app.notice.as_ref().unwrap().text,
        "C-00000 is now inactive."
    );
}

#[test]
fn a_refused_toggle_is_rolled_back_with_a_message() {
    let mut app = loaded_app(3, None);
    update(&mut app, char_key(' '));
    update(
        &mut app,
        Msg::ActiveSaved {
            code: "C-00000".to_owned(),
            previous: true,
            result: Err(status_error(403, &[])),
        },
    );
    assert!(app.rows[0].is_active);
    let notice = app.notice.clone().unwrap();
    assert!(notice.is_error);
    assert!(notice.text.contains("put back"), "{}", notice.text);
}

#[test]
fn a_toggle_refused_by_if_match_is_rolled_back_and_the_row_refetched() {
    let mut app = loaded_app(3, None);
    update(&mut app, char_key(' '));
    let commands = update(
        &mut app,
        Msg::ActiveSaved {
            code: "C-00000".to_owned(),
            previous: true,
            result: Err(status_error(412, &[])),
        },
    );
    assert!(app.rows[0].is_active);
    assert_eq!(
        commands,
        [Command::FetchCustomer {
            code: "C-00000".to_owned()
        }]
    );
    assert!(app.notice.unwrap().text.contains("someone else"));
}

#[test]
fn a_second_toggle_waits_for_the_first_to_be_answered() {
    let mut app = loaded_app(3, None);
    update(&mut app, char_key(' '));
    assert!(update(&mut app, char_key(' ')).is_empty());
    assert!(!app.rows[0].is_active);
    assert_eq!(app.notice.unwrap().text, strings::STILL_SAVING);
}

#[test]
fn d_asks_naming_the_code_and_only_y_deletes() {
    let mut app = loaded_app(3, None);
    update(&mut app, char_key('d'));
    assert_eq!(
        app.mode,
        Mode::ConfirmDelete {
            code: "C-00000".to_owned()
        }
    );
    assert!(update(&mut app, char_key('n')).is_empty());
    assert_eq!(app.notice.as_ref().unwrap().text, strings::DELETE_CANCELLED);

    update(&mut app, char_key('d'));
    let commands = update(&mut app, char_key('y'));
    assert_eq!(
        commands,
        [Command::Delete {
            code: "C-00000".to_owned()
        }]
    );
    update(
        &mut app,
        Msg::Deleted {
            code: "C-00000".to_owned(),
            result: Ok(()),
        },
    );
    assert_eq!(app.rows.len(), 2);
    assert_eq!(app.rows[0].code, "C-00001");
}

#[test]
fn e_opens_the_form_on_the_selected_customer_and_n_an_empty_one() {
    let mut app = loaded_app(3, None);
    update(&mut app, key(KeyCode::Down));
    let commands = update(&mut app, char_key('e'));
    let Mode::Form(form) = &app.mode else {
        panic!("no form")
    };
    assert_eq!(form.code(), "C-00001");
    assert!(
        matches!(commands.as_slice(), [Command::ResolveGeo { .. }]),
        "the place is read at once"
    );
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.mode, Mode::List);
    update(&mut app, char_key('n'));
    let Mode::Form(form) = &app.mode else {
        panic!("no form")
    };
    assert!(form.is_create());
    assert_eq!(form.code(), "");
}

#[test]
fn question_mark_shows_the_help_and_any_key_closes_it() {
    let mut app = loaded_app(3, None);
    update(&mut app, char_key('?'));
    assert!(app.help);
    update(&mut app, char_key('j'));
    assert!(!app.help);
    assert_eq!(app.selected, 0, "the closing key does nothing else");
}

#[test]
fn q_quits_from_the_list_and_ctrl_c_from_anywhere() {
    let mut app = loaded_app(3, None);
    update(&mut app, char_key('q'));
    assert!(app.quit);
    let mut app = loaded_app(3, None);
    update(&mut app, char_key('n'));
    update(&mut app, char_key('q'));
    assert!(!app.quit, "q is text in the form");
    update(&mut app, ctrl('c'));
    assert!(app.quit);
}

#[test]
fn r_reloads_from_the_first_page() {
    let mut app = loaded_app(3, None);
    let commands = update(&mut app, char_key('r'));
    assert_eq!(load_commands(&commands), [(None, ListQuery::default())]);
}

#[test]
fn a_refused_key_is_said_plainly_and_retried_every_few_seconds() {
    let mut app = App::new("http://127.0.0.1:8080", "./data/admin.key");
    app.start();
    let generation = app.generation;
    update(
        &mut app,
        Msg::PageLoaded {
            generation,
            result: Err(status_error(401, &[])),
        },
    );
    let Connection::Down { reason, .. } = &app.connection else {
        panic!("not down: {:?}", app.connection)
    };
    assert!(reason.contains("refused (401)"), "{reason}");
    let mut retries = Vec::new();
    for _ in 0..RETRY_TICKS {
        retries.extend(update(&mut app, Msg::Tick));
    }
    assert_eq!(load_commands(&retries).len(), 1);
}

#[test]
fn an_unreachable_server_is_named_on_screen() {
    let mut app = App::new("http://127.0.0.1:8080", "./data/admin.key");
    app.start();
    let generation = app.generation;
    update(
        &mut app,
        Msg::PageLoaded {
            generation,
            result: Err(ApiError::Unreachable("connection refused".to_owned())),
        },
    );
    let Connection::Down { reason, .. } = &app.connection else {
        panic!("not down: {:?}", app.connection)
    };
    assert!(reason.contains("http://127.0.0.1:8080"), "{reason}");
    assert!(reason.contains("connection refused"), "{reason}");
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
fn a_new_key_clears_the_message_of_the_last_action() {
    let mut app = loaded_app(3, None);
    // Ctrl-S on an untouched form: "Nothing changed".
    update(&mut app, char_key('e'));
    update(&mut app, ctrl('s'));
    assert_eq!(
        app.notice.as_ref().map(|notice| notice.text.as_str()),
        Some(strings::NOTHING_TO_SAVE)
    );
    // Editing again: the old message goes, whatever the next save says.
    update(&mut app, char_key('e'));
    assert_eq!(app.notice, None);
    assert!(matches!(app.mode, Mode::Form(_)));
}

#[test]
fn side_by_side_the_arrows_move_the_list_and_the_detail_follows() {
    let mut app = loaded_app(3, None);
    update(
        &mut app,
        Msg::Resize {
            width: 160,
            height: 30,
        },
    );
    assert!(app.side_by_side);
    update(&mut app, key(KeyCode::Enter));
    let commands = update(&mut app, key(KeyCode::Down));
    assert_eq!(app.selected, 1);
    assert!(matches!(app.mode, Mode::Detail { .. }));
    assert!(
        commands.contains(&Command::FetchCustomer {
            code: "C-00001".to_owned()
        }),
        "{commands:?}"
    );

    // Narrow again: the arrows scroll the detail, the selection stays.
    update(
        &mut app,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    update(&mut app, key(KeyCode::Down));
    assert_eq!(app.selected, 1);
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
