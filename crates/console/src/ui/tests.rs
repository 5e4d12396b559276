//! `TestBackend` rendering tests: every screen, at 80x24 and narrower.

use clientela_core::geo::{GeoField, GeoWarning, WarningKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;

use super::*;
use crate::app::{Msg, update};
use crate::test_support::*;
use clientela_core::wire::GeoResolveResponse;

/// The screen as text, one string per line, after rendering `app` at `width` x `height`.
fn screen(app: &App, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| render(app, frame)).unwrap();
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol().to_owned())
                .collect::<String>()
        })
        .collect()
}

fn contains(lines: &[String], text: &str) -> bool {
    lines.iter().any(|line| line.contains(text))
}

fn assert_shows(lines: &[String], text: &str) {
    assert!(
        contains(lines, text),
        "`{text}` not on screen:\n{}",
        lines.join("\n")
    );
}

#[test]
fn the_list_at_80x24_has_title_header_rows_status_and_message_lines() {
    let mut app = loaded_app(30, Some("more"));
    app.notify("C-00003 is now inactive.".to_owned());
    let lines = screen(&app, 80, 24);
    assert!(lines[0].contains("clientela console") && lines[0].contains("30+ customers"));
    assert!(lines[0].contains("1/30") && lines[0].trim_end().ends_with("? help"));
    for column in ["code", "active", "country", "state", "city", "updated"] {
        assert!(lines[1].contains(column), "header: {}", lines[1]);
    }
    assert!(lines[2].starts_with("C-00000"));
    assert!(lines[2].contains("yes") && lines[2].contains("ES Spain"));
    assert!(lines[2].contains("Barcelona") && lines[2].contains("2025-11-29 09:30"));
    assert!(
        lines[21].starts_with("C-00019"),
        "20 rows fit: {}",
        lines[21]
    );
    assert!(lines[22].contains("http://127.0.0.1:8080") && lines[22].contains("filter: all"));
    assert!(lines[23].contains("C-00003 is now inactive."));
}

#[test]
fn loading_shows_a_spinner_and_an_empty_list_says_so() {
    let mut app = App::new("http://127.0.0.1:8080", "./data/admin.key");
    app.start();
    let lines = screen(&app, 80, 24);
    assert!(lines[0].contains("loading"));
    assert_shows(&lines, strings::WAITING_FOR_FIRST_PAGE);
    let app = loaded_app(0, None);
    let lines = screen(&app, 80, 24);
    assert!(!lines[0].contains("loading"));
    assert_shows(&lines, strings::NO_CUSTOMERS);
}

#[test]
fn narrow_screens_shrink_columns_and_truncate_with_an_ellipsis() {
    let mut app = loaded_app(0, None);
    let mut long = customer("A-VERY-LONG-CUSTOMER-CODE-THAT-DOES-NOT-FIT");
    long.location.country = None;
    long.country = Some("The United Kingdom of Great Britain".to_owned());
    app.rows.push(long);
    let lines = screen(&app, 50, 12);
    assert!(
        lines[2].starts_with("A-VE") && lines[2].contains('…'),
        "{}",
        lines[2]
    );
    assert!(lines[2].contains("The Un…"), "{}", lines[2]);
    assert!(
        lines[2].contains("2025-11-29"),
        "the date survives: {}",
        lines[2]
    );
    assert!(lines[1].contains("active"), "{}", lines[1]);
    assert!(lines[0].trim_end().ends_with("? help"), "{}", lines[0]);
    let lines = screen(&app, 30, 8);
    assert!(lines[0].contains('…') && lines[0].trim_end().ends_with("? help"));
}

#[test]
fn fit_keeps_short_text_and_cuts_long_text_to_the_width_with_an_ellipsis() {
    assert_eq!(fit("Spain", 5), "Spain");
    assert_eq!(fit("España", 4), "Esp…");
    assert_eq!(fit("東京都", 4), "東…", "wide characters count double");
    assert_eq!(fit("abc", 0), "");
}

#[test]
fn the_detail_shows_every_field_the_normalized_location_and_metadata() {
    let mut app = loaded_app(3, None);
    update(&mut app, key(KeyCode::Enter));
    if let Mode::Detail { geo, .. } = &mut app.mode {
        *geo = Some(Box::new(GeoResolveResponse {
            location: app.rows[0].location.clone(),
            warnings: vec![GeoWarning {
                field: GeoField::City,
                kind: WarningKind::Ambiguous,
                message: "several places named so".to_owned(),
            }],
        }));
    }
    let lines = screen(&app, 80, 24);
    for text in [
        "customer C-00000",
        "active      yes",
        "country     ES",
        "ES / ESP  Spain (Q29)",
        "ES-B  Barcelona (Q81949)",
        "status      resolved",
        "city: several places named so",
        "year born   1984",
        "gender      female",
        "version     3",
        "\"tier\": \"gold\"",
    ] {
        assert_shows(&lines, text);
    }
    assert!(lines[23].contains("Esc back"));
}

#[test]
fn the_form_shows_a_server_error_under_its_field_and_the_location_preview() {
    let mut app = loaded_app(3, None);
    update(&mut app, char_key('e'));
    let Mode::Form(form) = &mut app.mode else {
        panic!("no form")
    };
    form.show_problem(
        &match status_error(422, &[("yearBorn", "must be 1850..=2026")]) {
            crate::client::ClientError::Status { problem, .. } => problem.unwrap(),
            _ => unreachable!(),
        },
    );
    form.geo.preview = Some(GeoResolveResponse {
        location: customer("x").location,
        warnings: Vec::new(),
    });
    let lines = screen(&app, 80, 24);
    assert_shows(&lines, "edit C-00000");
    assert_shows(&lines, "the customer is not valid");
    let year = lines.iter().position(|l| l.contains("year born")).unwrap();
    assert!(
        lines[year + 1].contains("↳ must be 1850..=2026"),
        "{}",
        lines[year + 1]
    );
    assert_shows(
        &lines,
        "→ ES Spain (Q29) · ES-B Barcelona (Q81949) · resolved",
    );
    assert_shows(&lines, "\"tier\": \"gold\"");
    assert_shows(&lines, "(the code cannot change)");
}

#[test]
fn the_metadata_editor_shows_its_syntax_error_inline() {
    let mut app = loaded_app(0, None);
    update(&mut app, char_key('n'));
    for _ in 0..7 {
        update(&mut app, key(KeyCode::Tab));
    }
    type_text(&mut app, "{\"tier\": ");
    let lines = screen(&app, 80, 24);
    assert_shows(&lines, "▸ metadata");
    assert_shows(&lines, "↳ line 1, column 9: EOF while parsing a value");
}

#[test]
fn the_help_lists_every_key_binding() {
    let mut app = loaded_app(3, None);
    update(&mut app, char_key('?'));
    let lines = screen(&app, 80, 24);
    for binding in keys::BINDINGS {
        assert_shows(&lines, binding.keys);
        assert_shows(&lines, binding.does);
    }
    assert_shows(&lines, strings::HELP_CLOSE);
}

#[test]
fn a_server_that_is_down_is_said_plainly_with_the_retry() {
    let app = app_whose_first_load_failed(crate::client::ClientError::Unreachable(
        "connection refused".to_owned(),
    ));
    let lines = screen(&app, 80, 24);
    assert_shows(&lines, "Cannot reach the clientela API at");
    assert_shows(&lines, "Retrying in 3 s… Press q to quit.");
}

#[test]
fn prompts_and_the_delete_confirmation_use_the_message_line() {
    let mut app = loaded_app(3, None);
    update(&mut app, char_key('/'));
    type_text(&mut app, "C-0");
    let lines = screen(&app, 80, 24);
    assert!(lines[23].contains("code prefix: C-0"), "{}", lines[23]);
    update(&mut app, key(KeyCode::Esc));
    update(&mut app, char_key('d'));
    let lines = screen(&app, 80, 24);
    assert!(
        lines[23].contains("Delete customer C-00000?"),
        "{}",
        lines[23]
    );
}

#[test]
fn the_status_line_shows_the_filter_in_force() {
    let mut app = loaded_app(3, None);
    update(&mut app, char_key('f'));
    update(&mut app, char_key('c'));
    type_text(&mut app, "ES");
    update(&mut app, key(KeyCode::Enter));
    let lines = screen(&app, 80, 24);
    assert!(
        lines[22].contains("filter: active, country ES"),
        "{}",
        lines[22]
    );
}

#[test]
fn a_long_form_banner_is_wrapped_not_cut() {
    let mut app = loaded_app(3, None);
    update(&mut app, char_key('e'));
    let Mode::Form(form) = &mut app.mode else {
        panic!("no form")
    };
    form.banner = Some(strings::form_conflict("C-00000"));
    let lines = screen(&app, 80, 24);
    assert_shows(&lines, "Someone else changed C-00000");
    assert_shows(&lines, "Esc discards yours.");
}

#[test]
fn the_form_shows_its_key_hint_after_an_earlier_message() {
    let mut app = loaded_app(3, None);
    app.notify("C-00000 is now inactive.".to_owned());
    update(&mut app, char_key('e'));
    let lines = screen(&app, 80, 24);
    assert!(lines[23].contains(strings::FORM_HINT), "{}", lines[23]);
}

#[test]
fn a_server_that_cannot_be_reached_is_told_with_every_way_to_name_it() {
    let app = app_whose_first_load_failed(crate::client::ClientError::Unreachable(
        "connection refused".to_owned(),
    ));
    let text = screen(&app, 100, 30).join(" ");
    for way in [
        "--url",
        "CLIENTELA_URL",
        "CLIENTELA__SERVER__BIND",
        "server.bind",
        "--config",
        "CLIENTELA_CONFIG",
        "--api-key",
        "CLIENTELA_API_KEY",
    ] {
        assert!(text.contains(way), "`{way}` is not named: {text}");
    }
}

#[test]
fn a_wide_terminal_shows_the_list_and_the_detail_side_by_side() {
    let mut app = resized(loaded_app(3, None), 160, 30);
    update(&mut app, key(KeyCode::Enter));
    let lines = screen(&app, 160, 30);
    let beside = lines
        .iter()
        .position(|line| line.contains("customer C-00000"))
        .expect("the detail's title");
    assert!(
        lines[beside].starts_with("code"),
        "the list's header on the same line: {}",
        lines[beside]
    );
    assert!(contains(&lines, "C-00002"), "the list stays visible");
    // At 80 columns the detail takes the body alone.
    let narrow = screen(&app, 80, 24);
    assert!(!contains(&narrow, "C-00002"));
}

#[test]
fn the_header_shows_the_api_count_exact_or_said_to_be_an_estimate() {
    let mut app = App::new("http://127.0.0.1:8080", "./data/admin.key");
    app.start();
    let generation = app.generation;
    let mut first = page(customers(3), Some("more"));
    first.total = Some(clientela_core::wire::Total {
        count: 1234,
        exact: true,
    });
    update(
        &mut app,
        Msg::PageLoaded {
            generation,
            result: Ok(first),
        },
    );
    let lines = screen(&app, 80, 24);
    assert!(lines[0].contains("1,234 customers"), "{}", lines[0]);

    app.total = Some(clientela_core::wire::Total {
        count: 10_000_000,
        exact: false,
    });
    let lines = screen(&app, 100, 24);
    assert!(
        lines[0].contains("10,000,000+ customers (estimate)"),
        "{}",
        lines[0]
    );
}
