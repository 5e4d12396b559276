//! Pure `update` tests of the search and country prompts and the active filter.

use ratatui::crossterm::event::KeyCode;

use super::super::*;
use super::load_commands;
use crate::test_support::*;

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
