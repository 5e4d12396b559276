//! Keeping the list live: changes made elsewhere arrive through the API's change feed
//! (`GET /changes`, followed by a thread of the event loop) and are applied to the rows on
//! screen, so nobody has to press `r`, and the selected customer stays selected.
//!
//! Only what the console can judge by itself is applied: an updated row is replaced (or
//! dropped when it no longer passes the prefix or active filter), an erased one removed, and
//! a new customer inserted where it sorts, when that place lies inside the loaded rows (or at
//! an end with nothing beyond it). With a country filter a new customer is not inserted: only
//! the server knows which of the ways of writing a country it matches; it shows on the next
//! load.

use clientela_core::Customer;

use super::{App, Command};
use crate::client::{FeedItem, ListQuery};

/// Applies a page of the change feed to the loaded rows.
pub fn on_feed(app: &mut App, items: Vec<FeedItem>) -> Vec<Command> {
    let selected_code = app
        .selected_customer()
        .map(|customer| customer.code.clone());
    let selected_index = app.selected;
    for item in items {
        let at = app.row_index(&item.code);
        match (item.is_delete(), at, item.customer) {
            (true, Some(at), _) => drop_row(app, at),
            (false, Some(at), Some(customer)) => {
                if passes(&app.query, &customer) {
                    if let Some(row) = app.rows.get_mut(at) {
                        *row = customer;
                    }
                } else {
                    drop_row(app, at);
                }
            }
            (false, None, Some(customer))
                if app.query.country.is_empty() && passes(&app.query, &customer) =>
            {
                insert_row(app, customer);
            }
            _ => {}
        }
    }
    let index = selected_code
        .and_then(|code| app.row_index(&code))
        .unwrap_or(selected_index);
    app.select(index);
    app.next_page_if_needed().into_iter().collect()
}

/// Whether a customer passes the filters the console can check itself.
fn passes(query: &ListQuery, customer: &Customer) -> bool {
    customer.code.starts_with(&query.prefix)
        && query
            .active
            .is_none_or(|active| customer.is_active == active)
}

fn drop_row(app: &mut App, at: usize) {
    app.remove_row(at);
    if let Some(total) = app.total.as_mut().filter(|total| total.exact) {
        total.count = total.count.saturating_sub(1);
    }
}

/// Inserts where the code sorts, if that place is inside what is loaded; rows sort bytewise
/// by code, as the API orders them.
fn insert_row(app: &mut App, customer: Customer) {
    let at = app.rows.partition_point(|row| row.code < customer.code);
    let before_loaded = at == 0 && app.previous_cursor.is_some();
    let after_loaded = at == app.rows.len() && app.next_cursor.is_some();
    if before_loaded || after_loaded || app.pages.is_empty() {
        return;
    }
    let mut start = 0;
    let last = app.pages.len() - 1;
    for (number, page) in app.pages.iter_mut().enumerate() {
        if at < start + page.len || (at == start + page.len && number == last) {
            page.len += 1;
            break;
        }
        start += page.len;
    }
    app.rows.insert(at, customer);
    if let Some(total) = app.total.as_mut().filter(|total| total.exact) {
        total.count += 1;
    }
}

#[cfg(test)]
mod tests {
    use crate::app::{Msg, update};
    use crate::client::FeedItem;
    use crate::test_support::*;

    fn upsert(code: &str, change: impl FnOnce(&mut clientela_core::Customer)) -> FeedItem {
        let mut customer = customer(code);
        change(&mut customer);
        FeedItem {
            op: "upsert".into(),
            code: code.into(),
            customer: Some(customer),
        }
    }

    fn delete(code: &str) -> FeedItem {
        FeedItem {
            op: "delete".into(),
            code: code.into(),
            customer: None,
        }
    }

    fn codes(app: &crate::app::App) -> Vec<String> {
        app.rows.iter().map(|row| row.code.clone()).collect()
    }

    #[test]
    fn a_change_made_elsewhere_shows_without_reloading_and_the_selection_stays() {
        let mut app = loaded_app(4, None);
        app.select(2);
        let commands = update(
            &mut app,
            Msg::FeedChanged {
                items: vec![upsert("C-00001", |customer| customer.is_active = false)],
            },
        );
        assert!(commands.is_empty(), "no reload: {commands:?}");
        assert!(!app.rows[1].is_active, "the row shows the change");
        assert_eq!(app.selected_customer().unwrap().code, "C-00002");
    }

    #[test]
    fn an_erased_customer_leaves_and_a_new_one_appears_in_code_order() {
        let mut app = loaded_app(4, None);
        app.select(3);
        update(
            &mut app,
            Msg::FeedChanged {
                items: vec![delete("C-00000"), upsert("C-00001a", |_| {})],
            },
        );
        assert_eq!(codes(&app), ["C-00001", "C-00001a", "C-00002", "C-00003"]);
        assert_eq!(
            app.selected_customer().unwrap().code,
            "C-00003",
            "the same customer stays selected as rows come and go above it"
        );
        let spans: usize = app.pages.iter().map(|page| page.len).sum();
        assert_eq!(spans, app.rows.len(), "page spans follow the rows");
    }

    #[test]
    fn a_new_customer_beyond_the_loaded_rows_waits_for_its_page() {
        let mut app = loaded_app(3, Some("C-00002"));
        update(
            &mut app,
            Msg::FeedChanged {
                items: vec![upsert("Z-last", |_| {})],
            },
        );
        assert_eq!(
            codes(&app),
            ["C-00000", "C-00001", "C-00002"],
            "more pages follow"
        );
    }

    #[test]
    fn a_change_that_leaves_the_filter_drops_the_row() {
        let mut app = loaded_app(3, None);
        app.query.active = Some(true);
        update(
            &mut app,
            Msg::FeedChanged {
                items: vec![
                    upsert("C-00001", |customer| customer.is_active = false),
                    upsert("C-00000b", |customer| customer.is_active = false),
                ],
            },
        );
        assert_eq!(codes(&app), ["C-00000", "C-00002"]);
    }
}
