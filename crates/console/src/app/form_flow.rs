//! The part of [`super::update`] that drives the create / edit form: opening it, the
//! debounced location preview, saving, and showing the server's answer on the form.

use clientela_core::merge::MergeResult;
use clientela_core::wire::SingleResponse;

use super::{App, Command, GEO_DEBOUNCE_TICKS, Mode};
use clientela_core::wire::GeoResolveResponse;

use crate::client::ClientError;
use crate::form::{FieldId, Form};
use crate::strings;

/// Shows `form` and, for an edit with a place, asks at once what the resolver makes of it.
pub fn open(app: &mut App, mut form: Form) -> Vec<Command> {
    let command = form
        .has_place()
        .then(|| resolve(&mut app.geo_requests, &mut form));
    app.mode = Mode::Form(Box::new(form));
    command.into_iter().collect()
}

/// The lookup for the form's place fields, numbered so an older answer cannot overwrite a
/// newer one.
fn resolve(geo_requests: &mut u64, form: &mut Form) -> Command {
    *geo_requests += 1;
    form.geo.request = *geo_requests;
    form.geo.quiet_ticks = None;
    Command::ResolveGeo {
        request: *geo_requests,
        country: form.country.text().trim().to_owned(),
        state: form.state.text().trim().to_owned(),
        city: form.city.text().trim().to_owned(),
    }
}

/// Counts typing pauses: the preview is asked for once the user stops typing for a moment,
/// not on every keystroke.
pub fn on_tick(app: &mut App) -> Option<Command> {
    let Mode::Form(form) = &mut app.mode else {
        return None;
    };
    let ticks = form.geo.quiet_ticks.as_mut()?;
    *ticks += 1;
    if *ticks < GEO_DEBOUNCE_TICKS {
        return None;
    }
    if !form.has_place() {
        form.geo.quiet_ticks = None;
        form.geo.preview = None;
        return None;
    }
    Some(resolve(&mut app.geo_requests, form))
}

pub fn on_geo(
    app: &mut App,
    request: u64,
    result: Result<GeoResolveResponse, ClientError>,
) -> Vec<Command> {
    // A failed lookup (404 while the API has no resolver, a timeout) shows no preview:
    // the preview is a help, never a reason to block the form.
    let preview = result.ok();
    match &mut app.mode {
        Mode::Form(form) if form.geo.request == request => form.geo.preview = preview,
        Mode::Detail {
            geo, geo_request, ..
        } if *geo_request == request => *geo = preview.map(Box::new),
        _ => {}
    }
    Vec::new()
}

pub fn save(app: &mut App) -> Vec<Command> {
    let Mode::Form(form) = &mut app.mode else {
        return Vec::new();
    };
    if form.saving {
        return Vec::new();
    }
    match form.request_body() {
        Err(errors) => {
            form.errors = errors;
            form.banner = Some(strings::FIX_FIELDS.to_owned());
            if let Some(first) = form.errors.keys().next() {
                form.focus = *first;
            }
            Vec::new()
        }
        Ok(None) => {
            app.mode = Mode::List;
            app.notify(strings::NOTHING_TO_SAVE.to_owned());
            Vec::new()
        }
        Ok(Some(body)) => {
            form.saving = true;
            form.banner = None;
            form.errors.clear();
            vec![Command::Save {
                body,
                if_match: form.version,
                create: form.is_create(),
            }]
        }
    }
}

pub fn on_saved(app: &mut App, result: Result<SingleResponse, ClientError>) -> Vec<Command> {
    let Mode::Form(form) = &mut app.mode else {
        // The form was left while saving: the list still learns the outcome.
        return match result {
            Ok(response) => finish(app, response),
            Err(error) => {
                app.warn(strings::action_failed(
                    strings::FORM_SAVING,
                    &error.to_string(),
                ));
                Vec::new()
            }
        };
    };
    form.saving = false;
    match result {
        Ok(response) => {
            app.mode = Mode::List;
            finish(app, response)
        }
        Err(ClientError::AlreadyExists) => {
            let message = strings::already_exists(form.code());
            form.errors.insert(FieldId::Code, message);
            form.focus = FieldId::Code;
            Vec::new()
        }
        Err(error) if error.status() == Some(412) => {
            let code = form.code().to_owned();
            form.banner = Some(strings::form_conflict(&code));
            vec![Command::FetchCustomer { code }]
        }
        Err(error) => {
            match error.problem() {
                Some(problem) if !problem.errors.is_empty() => form.show_problem(problem),
                _ => form.banner = Some(error.to_string()),
            }
            Vec::new()
        }
    }
}

/// The list shows the saved customer: in place for an edit, and for a create by reloading,
/// since where a new code falls in the paged order is the server's to say.
fn finish(app: &mut App, response: SingleResponse) -> Vec<Command> {
    app.notify(strings::saved(
        &response.code,
        response.result,
        response.warnings.len(),
    ));
    if let Some(index) = app.row_index(&response.code) {
        app.rows[index] = response.customer;
        return Vec::new();
    }
    if response.result == MergeResult::Created {
        return vec![app.reload()];
    }
    Vec::new()
}
