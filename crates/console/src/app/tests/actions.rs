//! Pure `update` tests of what keys do to the selected customer and the screen: the detail
//! pane, toggling `isActive`, deleting, the form, help, quitting and messages.

use clientela_core::merge::MergeResult;
use ratatui::crossterm::event::KeyCode;

use super::super::*;
use crate::strings;
use crate::test_support::*;

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
    let mut app = resized(loaded_app(3, None), 160, 30);
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
