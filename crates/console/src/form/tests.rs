//! Tests of the form: editing keys, local checks, the merge patch it sends, and the whole
//! save flow through `update` (422 on the field, 412, location preview, create).

use clientela_core::merge::MergeResult;
use ratatui::crossterm::event::KeyCode;
use serde_json::json;

use super::*;
use crate::app::{App, Command, GEO_DEBOUNCE_TICKS, Mode, Msg, update};
use crate::client::ClientError;
use crate::test_support::*;

fn form(app: &App) -> &Form {
    match &app.mode {
        Mode::Form(form) => form,
        other => panic!("no form: {other:?}"),
    }
}

/// An app editing C-00000 (ES / Barcelona, 1984, female, metadata tier gold).
fn editing() -> App {
    let mut app = loaded_app(3, None);
    update(&mut app, char_key('e'));
    app
}

fn focus(app: &mut App, field: FieldId) {
    while form(app).focus != field {
        update(app, key(KeyCode::Tab));
    }
}

fn clear_field(app: &mut App) {
    update(app, key(KeyCode::End));
    for _ in 0..40 {
        update(app, key(KeyCode::Backspace));
    }
}

fn saved_body(commands: &[Command]) -> &Value {
    match commands {
        [Command::Save { body, .. }] => body,
        other => panic!("no save: {other:?}"),
    }
}

#[test]
fn tab_visits_every_field_but_skips_the_fixed_code_of_an_edit() {
    let mut app = editing();
    let mut visited = vec![form(&app).focus];
    for _ in 0..7 {
        update(&mut app, key(KeyCode::Tab));
        visited.push(form(&app).focus);
    }
    assert_eq!(visited[0], FieldId::Active);
    assert!(!visited.contains(&FieldId::Code));
    assert_eq!(visited[7], FieldId::Active, "wraps around");
    update(&mut app, key(KeyCode::BackTab));
    assert_eq!(form(&app).focus, FieldId::Metadata);
}

#[test]
fn ctrl_s_sends_only_the_changed_fields_and_a_cleared_one_as_null() {
    let mut app = editing();
    focus(&mut app, FieldId::State);
    clear_field(&mut app);
    focus(&mut app, FieldId::City);
    type_text(&mut app, "Sabadell");
    let commands = update(&mut app, ctrl('s'));
    assert_eq!(
        saved_body(&commands),
        &json!({"state": null, "city": "Sabadell", "code": "C-00000"})
    );
    assert!(matches!(
        commands[0],
        Command::Save {
            if_match: Some(3),
            create: false,
            ..
        }
    ));
    assert!(form(&app).saving);
}

#[test]
fn space_toggles_active_and_cycles_gender_in_the_form() {
    let mut app = editing();
    update(&mut app, char_key(' '));
    focus(&mut app, FieldId::Gender);
    update(&mut app, char_key(' '));
    let commands = update(&mut app, ctrl('s'));
    assert_eq!(
        saved_body(&commands),
        &json!({"isActive": false, "gender": 3, "code": "C-00000"})
    );
}

#[test]
fn metadata_is_sent_as_a_merge_patch_of_the_keys_that_changed() {
    let mut app = editing();
    let Mode::Form(form) = &mut app.mode else {
        panic!()
    };
    form.metadata = crate::input::TextArea::new(r#"{"tags": ["a", "b"], "vip": true}"#);
    let commands = update(&mut app, ctrl('s'));
    assert_eq!(
        saved_body(&commands),
        &json!({"metadata": {"tier": null, "vip": true}, "code": "C-00000"})
    );
}

#[test]
fn an_edit_that_changes_nothing_sends_nothing() {
    let mut app = editing();
    focus(&mut app, FieldId::City);
    type_text(&mut app, "x");
    update(&mut app, key(KeyCode::Backspace));
    let commands = update(&mut app, ctrl('s'));
    assert!(commands.is_empty());
    assert_eq!(app.mode, Mode::List);
    assert_eq!(app.notice.unwrap().text, strings::NOTHING_TO_SAVE);
}

#[test]
fn local_errors_stop_the_save_and_show_on_their_fields() {
    let mut app = editing();
    focus(&mut app, FieldId::YearBorn);
    type_text(&mut app, "x");
    focus(&mut app, FieldId::Metadata);
    type_text(&mut app, "oops");
    let commands = update(&mut app, ctrl('s'));
    assert!(commands.is_empty());
    let form = form(&app);
    assert_eq!(form.errors[&FieldId::YearBorn], strings::YEAR_NOT_A_NUMBER);
    assert!(form.errors[&FieldId::Metadata].starts_with("line 1, column"));
    assert_eq!(
        form.focus,
        FieldId::YearBorn,
        "the first error gets the focus"
    );
}

#[test]
fn the_metadata_syntax_error_follows_the_typing() {
    let mut app = loaded_app(0, None);
    update(&mut app, char_key('n'));
    focus(&mut app, FieldId::Metadata);
    type_text(&mut app, "{\"a\": 1");
    assert!(form(&app).metadata_error.is_some());
    type_text(&mut app, "}");
    assert_eq!(form(&app).metadata_error, None);
    type_text(&mut app, "[");
    assert!(form(&app).metadata_error.is_some());
}

#[test]
fn server_field_errors_land_on_their_fields_and_the_form_stays_open() {
    let mut app = editing();
    focus(&mut app, FieldId::YearBorn);
    clear_field(&mut app);
    type_text(&mut app, "1700");
    update(&mut app, ctrl('s'));
    update(
        &mut app,
        Msg::FormSaved {
            result: Err(status_error(
                422,
                &[
                    ("yearBorn", "must be 1850..=2026"),
                    ("metadata.tier", "bad"),
                ],
            )),
        },
    );
    let form = form(&app);
    assert!(!form.saving);
    assert_eq!(form.errors[&FieldId::YearBorn], "must be 1850..=2026");
    assert_eq!(form.errors[&FieldId::Metadata], "bad");
    assert_eq!(form.year_born.text(), "1700", "the user's input is kept");
}

#[test]
fn a_412_says_someone_else_changed_it_and_the_next_save_uses_their_version() {
    let mut app = editing();
    focus(&mut app, FieldId::City);
    type_text(&mut app, "Sabadell");
    update(&mut app, ctrl('s'));
    let commands = update(
        &mut app,
        Msg::FormSaved {
            result: Err(status_error(412, &[])),
        },
    );
    assert_eq!(
        commands,
        [Command::FetchCustomer {
            code: "C-00000".to_owned()
        }]
    );
    assert!(
        form(&app)
            .banner
            .as_ref()
            .unwrap()
            .contains("Someone else changed C-00000")
    );
    let mut theirs = customer("C-00000");
    theirs.version = 9;
    theirs.state = Some("Girona".to_owned());
    update(
        &mut app,
        Msg::CustomerFetched {
            code: "C-00000".to_owned(),
            result: Ok(theirs),
        },
    );
    let commands = update(&mut app, ctrl('s'));
    assert!(matches!(
        commands[0],
        Command::Save {
            if_match: Some(9),
            ..
        }
    ));
    assert_eq!(
        saved_body(&commands),
        &json!({"city": "Sabadell", "code": "C-00000"}),
        "their state change is not overwritten"
    );
}

#[test]
fn a_successful_save_closes_the_form_and_updates_the_row() {
    let mut app = editing();
    focus(&mut app, FieldId::City);
    type_text(&mut app, "Sabadell");
    update(&mut app, ctrl('s'));
    let mut stored = customer("C-00000");
    stored.city = Some("Sabadell".to_owned());
    stored.version = 4;
    update(
        &mut app,
        Msg::FormSaved {
            result: Ok(saved(stored, MergeResult::Updated)),
        },
    );
    assert_eq!(app.mode, Mode::List);
    assert_eq!(app.rows[0].city.as_deref(), Some("Sabadell"));
    assert_eq!(app.notice.unwrap().text, "C-00000 saved.");
}

#[test]
fn typing_a_place_asks_the_resolver_once_typing_pauses() {
    let mut app = loaded_app(0, None);
    update(&mut app, char_key('n'));
    focus(&mut app, FieldId::Country);
    type_text(&mut app, "Deutsch");
    let mut commands = Vec::new();
    for _ in 0..GEO_DEBOUNCE_TICKS {
        assert!(commands.is_empty(), "asked before the pause");
        commands.extend(update(&mut app, Msg::Tick));
    }
    let [
        Command::ResolveGeo {
            request, country, ..
        },
    ] = commands.as_slice()
    else {
        panic!("no lookup: {commands:?}")
    };
    assert_eq!(country, "Deutsch");
    let request = *request;
    let stale = request - 1;
    update(
        &mut app,
        Msg::GeoResolved {
            request: stale,
            result: Ok(empty_resolution()),
        },
    );
    assert_eq!(form(&app).geo.preview, None, "an older answer is dropped");
    update(
        &mut app,
        Msg::GeoResolved {
            request,
            result: Ok(empty_resolution()),
        },
    );
    assert!(form(&app).geo.preview.is_some());
    assert!(update(&mut app, Msg::Tick).is_empty(), "asked once");
}

#[test]
fn a_resolver_that_is_not_there_yet_shows_no_preview_and_no_error() {
    let mut app = editing();
    let request = form(&app).geo.request;
    update(
        &mut app,
        Msg::GeoResolved {
            request,
            result: Err(status_error(404, &[])),
        },
    );
    let form = form(&app);
    assert_eq!(form.geo.preview, None);
    assert_eq!(form.banner, None);
    assert!(app.notice.is_none());
}

#[test]
fn create_sends_the_filled_fields_and_needs_a_code() {
    let mut app = loaded_app(0, None);
    update(&mut app, char_key('n'));
    assert!(update(&mut app, ctrl('s')).is_empty());
    assert_eq!(form(&app).errors[&FieldId::Code], strings::CODE_REQUIRED);
    type_text(&mut app, "NEW-1");
    focus(&mut app, FieldId::Country);
    type_text(&mut app, "Spain");
    let commands = update(&mut app, ctrl('s'));
    assert!(matches!(
        commands[0],
        Command::Save {
            create: true,
            if_match: None,
            ..
        }
    ));
    assert_eq!(
        saved_body(&commands),
        &json!({"code": "NEW-1", "isActive": true, "country": "Spain"})
    );
}

#[test]
fn creating_a_code_that_exists_is_refused_on_the_code_field() {
    let mut app = loaded_app(0, None);
    update(&mut app, char_key('n'));
    type_text(&mut app, "C-00000");
    update(&mut app, ctrl('s'));
    update(
        &mut app,
        Msg::FormSaved {
            result: Err(ClientError::AlreadyExists),
        },
    );
    assert!(form(&app).errors[&FieldId::Code].contains("already exists"));
}

#[test]
fn a_created_customer_reloads_the_list_to_show_it_in_order() {
    let mut app = loaded_app(2, None);
    update(&mut app, char_key('n'));
    type_text(&mut app, "B-1");
    update(&mut app, ctrl('s'));
    let commands = update(
        &mut app,
        Msg::FormSaved {
            result: Ok(saved(customer("B-1"), MergeResult::Created)),
        },
    );
    assert!(matches!(
        commands.as_slice(),
        [Command::LoadPage { after: None, .. }]
    ));
    assert_eq!(app.notice.unwrap().text, "B-1 created.");
}

#[test]
fn server_error_paths_name_their_top_level_field() {
    assert_eq!(FieldId::from_json_path("isActive"), Some(FieldId::Active));
    assert_eq!(
        FieldId::from_json_path("/metadata/a"),
        Some(FieldId::Metadata)
    );
    assert_eq!(
        FieldId::from_json_path("metadata[0]"),
        Some(FieldId::Metadata)
    );
    assert_eq!(FieldId::from_json_path("nickname"), None);
}

#[test]
fn the_form_has_exactly_the_fields_a_customer_object_may_carry() {
    let names: Vec<&str> = FieldId::ALL.into_iter().map(FieldId::json_name).collect();
    assert_eq!(names, clientela_core::validate::KNOWN_FIELDS);
}
