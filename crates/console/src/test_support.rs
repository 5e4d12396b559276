//! Shared test fixtures: customers as the API would send them, and key presses.

use clientela_core::Customer;
use clientela_core::geo::Location;
use clientela_core::merge::MergeResult;
use clientela_core::wire::{GeoResolveResponse, ListPage, Problem, ProblemField, SingleResponse};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;

use crate::app::{App, Command, Msg, update};
use crate::client::ClientError;

/// A customer as `GET /customers/{code}` answers it: in Barcelona, Spain, version 3.
pub fn customer(code: &str) -> Customer {
    let body = json!({
        "code": code,
        "isActive": true,
        "country": "ES",
        "state": "Barcelona",
        "city": null,
        "yearBorn": 1984,
        "gender": 2,
        "metadata": {"tier": "gold", "tags": ["a", "b"]},
        "location": {
            "country": {"code": "ES", "alpha3": "ESP", "name": "Spain", "wikidataId": "Q29"},
            "state": {"code": "ES-B", "name": "Barcelona", "wikidataId": "Q81949"},
            "city": null,
            "status": "resolved"
        },
        "createdAt": "2025-11-28T18:00:00.000000Z",
        "updatedAt": "2025-11-29T09:30:00.000000Z",
        "version": 3
    });
    serde_json::from_value(body).unwrap_or_else(|error| panic!("fixture: {error}"))
}

pub fn customers(count: usize) -> Vec<Customer> {
    (0..count).map(|n| customer(&format!("C-{n:05}"))).collect()
}

pub fn page(items: Vec<Customer>, next: Option<&str>) -> ListPage {
    ListPage {
        items,
        next: next.map(str::to_owned),
        previous: None,
        total: None,
    }
}

pub fn saved(customer: Customer, result: MergeResult) -> SingleResponse {
    SingleResponse {
        code: customer.code.clone(),
        result,
        customer,
        warnings: Vec::new(),
    }
}

pub fn status_error(status: u16, errors: &[(&str, &str)]) -> ClientError {
    ClientError::Status {
        status,
        problem: Some(Problem {
            problem_type: "about:blank".to_owned(),
            title: "Unprocessable Content".to_owned(),
            status,
            detail: Some("the customer is not valid".to_owned()),
            errors: errors
                .iter()
                .map(|(field, message)| ProblemField {
                    index: None,
                    field: (*field).to_owned(),
                    message: (*message).to_owned(),
                })
                .collect(),
        }),
    }
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn char_key(character: char) -> Msg {
    key(KeyCode::Char(character))
}

pub fn ctrl(character: char) -> Msg {
    Msg::Key(KeyEvent::new(
        KeyCode::Char(character),
        KeyModifiers::CONTROL,
    ))
}

pub fn type_text(app: &mut App, text: &str) -> Vec<Command> {
    text.chars()
        .flat_map(|character| update(app, char_key(character)))
        .collect()
}

/// An app on a 80x24 terminal that has loaded `rows` customers, with more to come when
/// `next` is given.
pub fn loaded_app(rows: usize, next: Option<&str>) -> App {
    let app = resized(
        App::new("http://127.0.0.1:8080", "./data/admin.key"),
        80,
        24,
    );
    first_load(app, Ok(page(customers(rows), next)))
}

/// `app` after the terminal took this size.
pub fn resized(mut app: App, width: u16, height: u16) -> App {
    update(&mut app, Msg::Resize { width, height });
    app
}

/// `app` started, once its first page load answered `result`.
fn first_load(mut app: App, result: Result<ListPage, ClientError>) -> App {
    app.start();
    let generation = app.generation;
    update(&mut app, Msg::PageLoaded { generation, result });
    app
}

/// What `GET /geo/resolve` answers for no input at all.
pub fn empty_resolution() -> GeoResolveResponse {
    GeoResolveResponse {
        location: Location::default(),
        warnings: Vec::new(),
    }
}

/// An app whose first page load failed with `error`: the server down, or refusing the key.
pub fn app_whose_first_load_failed(error: ClientError) -> App {
    first_load(
        App::new("http://127.0.0.1:8080", "./data/admin.key"),
        Err(error),
    )
}
