//! Every text the console shows a person, in one place, so wording stays consistent and a
//! translation or a rewording touches one file.

use clientela_core::Gender;
use clientela_core::geo::LocationStatus;
use clientela_core::merge::MergeResult;
use clientela_core::wire::Total;

pub const TITLE: &str = "clientela console";
pub const LOADING: &str = "loading";
pub const HELP_HINT: &str = "? help";
pub const NO_CUSTOMERS: &str = "No customers match this filter.";
pub const WAITING_FOR_FIRST_PAGE: &str = "Loading customers…";
pub const ELLIPSIS: &str = "…";

pub const COLUMN_CODE: &str = "code";
pub const COLUMN_ACTIVE: &str = "active";
pub const COLUMN_COUNTRY: &str = "country";
pub const COLUMN_STATE: &str = "state";
pub const COLUMN_CITY: &str = "city";
pub const COLUMN_UPDATED: &str = "updated";

pub const YES: &str = "yes";
pub const NO: &str = "no";
pub const NONE: &str = "—";

pub const FILTER_ALL: &str = "all";
pub const FILTER_ACTIVE: &str = "active";
pub const FILTER_INACTIVE: &str = "inactive";

pub const PROMPT_SEARCH: &str = "code prefix: ";
pub const PROMPT_COUNTRY: &str = "country: ";
pub const PROMPT_HINT: &str = "Enter applies · Esc clears";

pub const HELP_TITLE: &str = " keys ";
pub const HELP_CLOSE: &str = "any key closes this help";

pub const DETAIL_TITLE: &str = " customer ";
pub const LIST_HINT: &str = "Enter detail · Space toggle · e edit · n new · / search · f c filter";
pub const DETAIL_HINT: &str = "Esc back · Space toggle · e edit · d delete · j/k scroll";
pub const FORM_TITLE_NEW: &str = " new customer ";
pub const FORM_HINT: &str = "Tab next field · Ctrl-S save · Esc cancel";
pub const FORM_SAVING: &str = "saving…";

pub const LABEL_CODE: &str = "code";
pub const LABEL_ACTIVE: &str = "active";
pub const LABEL_COUNTRY: &str = "country";
pub const LABEL_STATE: &str = "state";
pub const LABEL_CITY: &str = "city";
pub const LABEL_YEAR_BORN: &str = "year born";
pub const LABEL_GENDER: &str = "gender";
pub const LABEL_METADATA: &str = "metadata";
pub const LABEL_LOCATION: &str = "location";
pub const LABEL_STATUS: &str = "status";
pub const LABEL_WARNING: &str = "warning";
pub const LABEL_CREATED: &str = "created";
pub const LABEL_UPDATED: &str = "updated";
pub const LABEL_VERSION: &str = "version";

pub const CODE_REQUIRED: &str = "a code is required";
pub const CODE_FIXED: &str = "(the code cannot change)";
pub const YEAR_NOT_A_NUMBER: &str = "must be a whole number, e.g. 1984";
pub const METADATA_NOT_OBJECT: &str = "must be a JSON object: { \"key\": value, … }";
pub const NOTHING_TO_SAVE: &str = "Nothing changed: nothing to save.";
pub const STILL_SAVING: &str = "Still saving the previous change to this customer.";
pub const NO_SELECTION: &str = "No customer is selected.";
pub const DELETE_CANCELLED: &str = "Delete cancelled.";
pub const FIX_FIELDS: &str = "Fix the fields marked in red, then Ctrl-S again.";

// Key help: what each binding does (the keys themselves live in keys.rs).
pub const DOES_MOVE: &str = "move the selection";
pub const DOES_PAGE: &str = "one screen up / down";
pub const DOES_ENDS: &str = "first / last customer";
pub const DOES_SEARCH: &str = "filter by code prefix (Enter applies, Esc clears)";
pub const DOES_CYCLE_ACTIVE: &str = "show all / active / inactive";
pub const DOES_COUNTRY: &str = "filter by country (Enter applies, Esc clears)";
pub const DOES_OPEN: &str = "open or close the detail pane";
pub const DOES_TOGGLE: &str = "toggle active (saved at once)";
pub const DOES_EDIT: &str = "edit the selected customer";
pub const DOES_NEW: &str = "create a customer";
pub const DOES_DELETE: &str = "delete (asks first)";
pub const DOES_RELOAD: &str = "reload the list";
pub const DOES_HELP: &str = "this help";
pub const DOES_QUIT: &str = "quit";
pub const DOES_FORM_FIELDS: &str = "form: next / previous field";
pub const DOES_FORM_CHOICE: &str = "form: toggle active, cycle gender";
pub const DOES_FORM_CLEAR: &str = "form, prompt: clear before the cursor";
pub const DOES_FORM_SAVE: &str = "form: save the changed fields";
pub const DOES_FORM_CANCEL: &str = "form, prompt, detail: back / cancel";

pub fn filter_active_name(active: Option<bool>) -> &'static str {
    match active {
        None => FILTER_ALL,
        Some(true) => FILTER_ACTIVE,
        Some(false) => FILTER_INACTIVE,
    }
}

pub fn gender_name(gender: Option<Gender>) -> &'static str {
    match gender {
        None => NONE,
        Some(Gender::Unknown) => "unknown",
        Some(Gender::Male) => "male",
        Some(Gender::Female) => "female",
        Some(Gender::Other) => "other",
    }
}

/// The header's count: the API's when it gave one (an estimate said to be one), else what
/// is loaded.
pub fn count(loaded: usize, more: bool, total: Option<Total>) -> String {
    if let Some(total) = total {
        let number = thousands(total.count);
        return match (total.exact, total.count) {
            (true, 1) => "1 customer".to_owned(),
            (true, _) => format!("{number} customers"),
            (false, _) => format!("{number}+ customers (estimate)"),
        };
    }
    if more {
        format!("{loaded}+ customers")
    } else if loaded == 1 {
        "1 customer".to_owned()
    } else {
        format!("{loaded} customers")
    }
}

/// `1234567` as `1,234,567`.
fn thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut text = String::with_capacity(digits.len() + digits.len() / 3);
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

pub fn position(selected: usize, loaded: usize) -> String {
    if loaded == 0 {
        String::new()
    } else {
        format!("{}/{}", selected + 1, loaded)
    }
}

pub fn filter_summary(prefix: &str, active: Option<bool>, country: &str) -> String {
    let mut parts = vec![filter_active_name(active).to_owned()];
    if !prefix.is_empty() {
        parts.push(format!("code {prefix}*"));
    }
    if !country.is_empty() {
        parts.push(format!("country {country}"));
    }
    format!("filter: {}", parts.join(", "))
}

pub fn form_title_edit(code: &str) -> String {
    format!(" edit {code} ")
}

pub fn confirm_delete(code: &str) -> String {
    format!("Delete customer {code}? y deletes it for good, any other key keeps it.")
}

pub fn deleted(code: &str) -> String {
    format!("Deleted {code}.")
}

pub fn toggled(code: &str, is_active: bool) -> String {
    let state = if is_active { "active" } else { "inactive" };
    format!("{code} is now {state}.")
}

pub fn toggle_refused(code: &str, why: &str) -> String {
    format!("Could not change {code}, it was put back: {why}")
}

pub fn changed_elsewhere(code: &str) -> String {
    format!("{code} was changed by someone else meanwhile; showing their version now.")
}

pub fn form_conflict(code: &str) -> String {
    format!(
        "Someone else changed {code} since you opened it. Ctrl-S again saves your changed \
         fields over theirs; Esc discards yours."
    )
}

pub fn saved(code: &str, result: MergeResult, warnings: usize) -> String {
    let what = match result {
        MergeResult::Created => "created",
        MergeResult::Updated => "saved",
        MergeResult::Unchanged => "unchanged (it already had these values)",
    };
    match warnings {
        0 => format!("{code} {what}."),
        1 => format!("{code} {what}, with 1 location warning."),
        many => format!("{code} {what}, with {many} location warnings."),
    }
}

pub fn already_exists(code: &str) -> String {
    format!("{code} already exists: press Esc and edit it instead")
}

pub fn not_found(code: &str) -> String {
    format!("{code} no longer exists.")
}

pub fn action_failed(what: &str, why: &str) -> String {
    format!("{what} failed: {why}")
}

pub fn unreachable(server: &str, why: &str) -> String {
    format!("Cannot reach the clientela API at {server} ({why}). Is clientela-api running?")
}

pub fn key_refused(server: &str, status: u16) -> String {
    let meaning = if status == 403 {
        "is not allowed to do this (403)"
    } else {
        "was refused (401)"
    };
    format!("The API key {meaning} by {server}.")
}

pub fn key_missing(key_file: &str) -> String {
    format!(
        "No API key: pass --api-key, set CLIENTELA_API_KEY, or start clientela-api once so \
         it writes {key_file}."
    )
}

/// Every way the console finds the server, in the order it tries them.
pub const SERVER_SOURCES: &str = "The server comes from --url, CLIENTELA_URL, CLIENTELA__SERVER__BIND, \
     server.bind in the API's configuration file (--config or CLIENTELA_CONFIG), else \
     127.0.0.1:8080.";

pub fn key_sources(key_file: &str) -> String {
    format!("The key comes from --api-key, CLIENTELA_API_KEY, or {key_file}.")
}

pub fn retrying(seconds: u64) -> String {
    format!("Retrying in {seconds} s… Press q to quit.")
}

pub const RETRYING_NOW: &str = "Retrying now… Press q to quit.";

pub fn http_status(status: u16, title: &str, detail: Option<&str>) -> String {
    match detail {
        Some(detail) if !detail.is_empty() => format!("{status} {title}: {detail}"),
        _ => format!("{status} {title}"),
    }
}

pub fn json_error(line: usize, column: usize, message: &str) -> String {
    format!("line {line}, column {column}: {message}")
}

pub fn location_status(status: LocationStatus) -> &'static str {
    match status {
        LocationStatus::Resolved => "resolved",
        LocationStatus::Partial => "partial",
        LocationStatus::Unresolved => "unresolved",
        LocationStatus::Empty => "empty",
    }
}
