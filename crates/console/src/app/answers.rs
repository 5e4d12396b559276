//! The part of [`super::update`] that takes in the API's answers: pages, fetched customers,
//! saved toggles and deletes, and connection failures.

use clientela_core::Customer;
use clientela_core::wire::{ListPage, SingleResponse};

use super::{App, Command, Connection, Mode, RETRY_TICKS};
use crate::client::ClientError;
use crate::strings;

pub fn on_page(
    app: &mut App,
    generation: u64,
    result: Result<ListPage, ClientError>,
) -> Vec<Command> {
    if generation != app.generation {
        return Vec::new();
    }
    app.loading = false;
    match result {
        Ok(page) if app.loading_backwards => {
            app.connection = Connection::Up;
            app.total = page.total.or(app.total);
            app.loading_backwards = false;
            // Prepended: the same customer stays selected, at the same place on screen.
            app.take_page(page, true);
            if app.follow_to_bottom {
                // The last page (`G`).
                app.follow_to_bottom = false;
                app.select(app.rows.len().saturating_sub(1));
            } else {
                let selected = app.selected;
                app.select(selected);
            }
            app.next_page_if_needed().into_iter().collect()
        }
        Ok(page) => {
            app.connection = Connection::Up;
            app.total = page.total.or(app.total);
            app.take_page(page, false);
            if app.follow_to_bottom {
                app.follow_to_bottom = app.next_cursor.is_some();
                app.select(app.rows.len().saturating_sub(1));
            }
            app.next_page_if_needed().into_iter().collect()
        }
        Err(error) => {
            app.loading_backwards = false;
            match &error {
                ClientError::NoKey | ClientError::Unreachable(_) => {}
                ClientError::Status {
                    status: 401 | 403, ..
                } => {}
                other => {
                    // The server answers but refuses this query (a bad country, say):
                    // say so and keep what is shown; retrying would not help.
                    app.connection = Connection::Up;
                    app.warn(other.to_string());
                    return Vec::new();
                }
            }
            app.connection = Connection::Down {
                reason: describe_connection_error(app, &error),
                retry_in_ticks: RETRY_TICKS,
            };
            Vec::new()
        }
    }
}

pub fn describe_connection_error(app: &App, error: &ClientError) -> String {
    match error {
        ClientError::NoKey => strings::key_missing(&app.key_file),
        ClientError::Unreachable(why) => strings::unreachable(&app.server, why),
        ClientError::Status { status, .. } => strings::key_refused(&app.server, *status),
        other => other.to_string(),
    }
}

pub fn on_fetched(
    app: &mut App,
    code: &str,
    result: Result<Customer, ClientError>,
) -> Vec<Command> {
    match result {
        Ok(customer) => {
            if let Mode::Form(form) = &mut app.mode
                && form.code() == code
                && !form.is_create()
            {
                // Only the version: the form still diffs against what the user opened,
                // so a second save sends only their own changes.
                form.version = Some(customer.version);
            }
            if let Some(index) = app.row_index(code) {
                app.rows[index] = customer;
            }
        }
        Err(ClientError::Status { status: 404, .. }) => {
            if let Some(index) = app.row_index(code) {
                app.remove_row(index);
            }
            if matches!(app.mode, Mode::Detail { .. }) {
                app.mode = Mode::List;
            }
            app.warn(strings::not_found(code));
        }
        Err(error) => app.warn(strings::action_failed(code, &error.to_string())),
    }
    Vec::new()
}

pub fn on_active_saved(
    app: &mut App,
    code: &str,
    previous: bool,
    result: Result<SingleResponse, ClientError>,
) -> Vec<Command> {
    app.pending_writes.remove(code);
    match result {
        Ok(response) => {
            let is_active = response.customer.is_active;
            if let Some(index) = app.row_index(code) {
                app.rows[index] = response.customer;
            }
            app.notify(strings::toggled(code, is_active));
            Vec::new()
        }
        Err(error) => {
            if let Some(index) = app.row_index(code) {
                app.rows[index].is_active = previous;
            }
            if error.status() == Some(412) {
                app.warn(strings::changed_elsewhere(code));
                return vec![Command::FetchCustomer {
                    code: code.to_owned(),
                }];
            }
            app.warn(strings::toggle_refused(code, &error.to_string()));
            Vec::new()
        }
    }
}

pub fn on_deleted(app: &mut App, code: &str, result: Result<(), ClientError>) -> Vec<Command> {
    app.pending_writes.remove(code);
    match result {
        Ok(()) => {
            if let Some(index) = app.row_index(code) {
                app.remove_row(index);
            }
            app.notify(strings::deleted(code));
        }
        Err(error) => app.warn(strings::action_failed(code, &error.to_string())),
    }
    app.next_page_if_needed().into_iter().collect()
}
