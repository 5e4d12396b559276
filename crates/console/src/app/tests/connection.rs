//! Pure `update` tests of reloading and of a server that refuses the key or cannot be
//! reached.

use super::super::*;
use super::load_commands;
use crate::test_support::*;

#[test]
fn r_reloads_from_the_first_page() {
    let mut app = loaded_app(3, None);
    let commands = update(&mut app, char_key('r'));
    assert_eq!(load_commands(&commands), [(None, ListQuery::default())]);
}

#[test]
fn a_refused_key_is_said_plainly_and_retried_every_few_seconds() {
    let mut app = app_whose_first_load_failed(status_error(401, &[]));
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
    let app =
        app_whose_first_load_failed(ClientError::Unreachable("connection refused".to_owned()));
    let Connection::Down { reason, .. } = &app.connection else {
        panic!("not down: {:?}", app.connection)
    };
    assert!(reason.contains("http://127.0.0.1:8080"), "{reason}");
    assert!(reason.contains("connection refused"), "{reason}");
}
