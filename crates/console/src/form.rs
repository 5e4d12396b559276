//! The create / edit form: its fields, how keys edit them, and how its content becomes the
//! body of a `POST /customers` — the whole customer for a create, a merge patch of only the
//! changed fields for an edit.

use std::collections::BTreeMap;

use clientela_core::patch::{self, CustomerPatch};
use clientela_core::wire::Problem;
use clientela_core::{Customer, Gender, Timestamp};
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use serde_json::Value;

use crate::input::{LineInput, TextArea};
use crate::keys::{self, FormAction};
use crate::strings;
use clientela_core::wire::GeoResolveResponse;

/// The form's fields, in the order Tab visits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FieldId {
    Code,
    Active,
    Country,
    State,
    City,
    YearBorn,
    Gender,
    Metadata,
}

impl FieldId {
    pub const ALL: [FieldId; 8] = [
        FieldId::Code,
        FieldId::Active,
        FieldId::Country,
        FieldId::State,
        FieldId::City,
        FieldId::YearBorn,
        FieldId::Gender,
        FieldId::Metadata,
    ];

    /// The field's name in the API's JSON, which is also how its errors name it.
    pub fn json_name(self) -> &'static str {
        match self {
            FieldId::Code => "code",
            FieldId::Active => "isActive",
            FieldId::Country => "country",
            FieldId::State => "state",
            FieldId::City => "city",
            FieldId::YearBorn => "yearBorn",
            FieldId::Gender => "gender",
            FieldId::Metadata => "metadata",
        }
    }

    /// The field a server error's `field` concerns: `metadata.tier` and `metadata/tier` are
    /// metadata's, whatever path syntax the server uses below the top level.
    pub fn from_json_path(path: &str) -> Option<FieldId> {
        let top = path
            .trim_start_matches(['/', '$', '.'])
            .split(['.', '/', '['])
            .next()
            .unwrap_or_default();
        FieldId::ALL
            .into_iter()
            .find(|field| field.json_name() == top)
    }

    pub fn label(self) -> &'static str {
        match self {
            FieldId::Code => strings::LABEL_CODE,
            FieldId::Active => strings::LABEL_ACTIVE,
            FieldId::Country => strings::LABEL_COUNTRY,
            FieldId::State => strings::LABEL_STATE,
            FieldId::City => strings::LABEL_CITY,
            FieldId::YearBorn => strings::LABEL_YEAR_BORN,
            FieldId::Gender => strings::LABEL_GENDER,
            FieldId::Metadata => strings::LABEL_METADATA,
        }
    }
}

/// What a key did to the form, for the app to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormOutcome {
    Nothing,
    /// A place field changed: the location preview must be asked for again.
    PlaceChanged,
    Save,
    Cancel,
}

/// The location preview beside the place fields, fed by `GET /geo/resolve`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeoState {
    pub preview: Option<GeoResolveResponse>,
    /// Ticks since the last keystroke in a place field, while a lookup is owed.
    pub quiet_ticks: Option<u32>,
    /// The id of the newest lookup sent; older answers are dropped.
    pub request: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// `None` for a create; the customer as it was opened for an edit.
    pub original: Option<Customer>,
    /// The version sent as `If-Match`; refreshed after a 412 so a second save can go through.
    pub version: Option<i64>,
    pub focus: FieldId,
    pub code: LineInput,
    pub active: bool,
    pub country: LineInput,
    pub state: LineInput,
    pub city: LineInput,
    pub year_born: LineInput,
    pub gender: Option<Gender>,
    pub metadata: TextArea,
    /// The metadata editor's JSON syntax error, kept current as the user types.
    pub metadata_error: Option<String>,
    /// Errors shown under their field: local checks and the server's 422 answer.
    pub errors: BTreeMap<FieldId, String>,
    /// A message for the whole form (a 412, an error that names no field).
    pub banner: Option<String>,
    pub saving: bool,
    pub geo: GeoState,
}

impl Form {
    pub fn for_create() -> Form {
        Form {
            original: None,
            version: None,
            focus: FieldId::Code,
            code: LineInput::default(),
            active: true,
            country: LineInput::default(),
            state: LineInput::default(),
            city: LineInput::default(),
            year_born: LineInput::default(),
            gender: None,
            metadata: TextArea::default(),
            metadata_error: None,
            errors: BTreeMap::new(),
            banner: None,
            saving: false,
            geo: GeoState::default(),
        }
    }

    pub fn for_edit(customer: &Customer) -> Form {
        let text = |value: &Option<String>| LineInput::new(value.as_deref().unwrap_or_default());
        let metadata = customer
            .metadata
            .as_ref()
            .and_then(|map| serde_json::to_string_pretty(map).ok())
            .unwrap_or_default();
        Form {
            original: Some(customer.clone()),
            version: Some(customer.version),
            focus: FieldId::Active,
            code: LineInput::new(&customer.code),
            active: customer.is_active,
            country: text(&customer.country),
            state: text(&customer.state),
            city: text(&customer.city),
            year_born: LineInput::new(
                &customer
                    .year_born
                    .map(|y| y.to_string())
                    .unwrap_or_default(),
            ),
            gender: customer.gender,
            metadata: TextArea::new(&metadata),
            metadata_error: None,
            errors: BTreeMap::new(),
            banner: None,
            saving: false,
            geo: GeoState::default(),
        }
    }

    pub fn is_create(&self) -> bool {
        self.original.is_none()
    }

    /// The code being edited or created.
    pub fn code(&self) -> &str {
        self.code.text()
    }

    pub fn has_place(&self) -> bool {
        [&self.country, &self.state, &self.city]
            .iter()
            .any(|input| !input.text().trim().is_empty())
    }

    pub fn handle_key(&mut self, key: &KeyEvent) -> FormOutcome {
        match keys::form_action(key) {
            Some(FormAction::Save) => return FormOutcome::Save,
            Some(FormAction::Cancel) => return FormOutcome::Cancel,
            Some(FormAction::NextField) => {
                self.move_focus(1);
                return FormOutcome::Nothing;
            }
            Some(FormAction::PreviousField) => {
                self.move_focus(-1);
                return FormOutcome::Nothing;
            }
            None => {}
        }
        // Up and Down walk between one-line fields; inside the metadata editor they move
        // between its lines instead (Tab and Shift-Tab still leave it).
        match (self.focus, key.code) {
            (FieldId::Metadata, _) => {}
            (_, KeyCode::Up) => {
                self.move_focus(-1);
                return FormOutcome::Nothing;
            }
            (_, KeyCode::Down | KeyCode::Enter) => {
                self.move_focus(1);
                return FormOutcome::Nothing;
            }
            _ => {}
        }
        let focus = self.focus;
        let changed = match focus {
            // The code names the customer: an edit cannot rename it.
            FieldId::Code if !self.is_create() => false,
            FieldId::Code => self.code.handle(key),
            FieldId::Active => match key.code {
                KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right => {
                    self.active = !self.active;
                    true
                }
                _ => false,
            },
            FieldId::Country => self.country.handle(key),
            FieldId::State => self.state.handle(key),
            FieldId::City => self.city.handle(key),
            FieldId::YearBorn => self.year_born.handle(key),
            FieldId::Gender => match key.code {
                KeyCode::Char(' ') | KeyCode::Right => {
                    self.gender = next_gender(self.gender, 1);
                    true
                }
                KeyCode::Left => {
                    self.gender = next_gender(self.gender, -1);
                    true
                }
                _ => false,
            },
            FieldId::Metadata => {
                let changed = self.metadata.handle(key);
                if changed {
                    self.metadata_error = metadata_syntax_error(&self.metadata.text());
                }
                changed
            }
        };
        if !changed {
            return FormOutcome::Nothing;
        }
        // The user is answering this field's error; keep showing the others.
        self.errors.remove(&focus);
        if matches!(focus, FieldId::Country | FieldId::State | FieldId::City) {
            self.geo.quiet_ticks = Some(0);
            FormOutcome::PlaceChanged
        } else {
            FormOutcome::Nothing
        }
    }

    fn move_focus(&mut self, step: isize) {
        let fields = FieldId::ALL;
        let count = fields.len() as isize;
        let mut index = fields
            .iter()
            .position(|field| *field == self.focus)
            .unwrap_or_default() as isize;
        loop {
            index = (index + step).rem_euclid(count);
            let field = fields[index as usize];
            // An edit's code is fixed, so Tab does not stop on it.
            if field != FieldId::Code || self.is_create() {
                self.focus = field;
                return;
            }
        }
    }

    /// The body to POST, or the errors to show instead. `Ok(None)`: an edit changed nothing.
    pub fn request_body(&self) -> Result<Option<Value>, BTreeMap<FieldId, String>> {
        let edited = self.edited()?;
        let patch = match &self.original {
            None => CustomerPatch::creating(&edited),
            Some(original) => patch::diff(original, &edited),
        };
        if self.original.is_some() && patch.is_empty() {
            return Ok(None);
        }
        Ok(Some(patch.to_json()))
    }

    /// The customer the form describes (empty text is no value), or the local errors.
    fn edited(&self) -> Result<Customer, BTreeMap<FieldId, String>> {
        let mut errors = BTreeMap::new();
        let text = |input: &LineInput| {
            let trimmed = input.text().trim();
            (!trimmed.is_empty()).then(|| trimmed.to_owned())
        };
        if self.code.text().is_empty() {
            errors.insert(FieldId::Code, strings::CODE_REQUIRED.to_owned());
        }
        let year_born = match self.year_born.text().trim() {
            "" => None,
            year => match year.parse::<i32>() {
                Ok(year) => Some(year),
                Err(_) => {
                    errors.insert(FieldId::YearBorn, strings::YEAR_NOT_A_NUMBER.to_owned());
                    None
                }
            },
        };
        let metadata_text = self.metadata.text();
        let metadata = if metadata_text.trim().is_empty() {
            None
        } else {
            match serde_json::from_str::<Value>(&metadata_text) {
                Ok(Value::Object(object)) => Some(object),
                Ok(_) => {
                    errors.insert(FieldId::Metadata, strings::METADATA_NOT_OBJECT.to_owned());
                    None
                }
                Err(error) => {
                    errors.insert(FieldId::Metadata, describe_json_error(&error));
                    None
                }
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut edited = match &self.original {
            Some(original) => original.clone(),
            // The code is the raw text: it is stored exactly as sent, spaces included.
            None => Customer::new(self.code.text(), Timestamp(0)),
        };
        edited.is_active = self.active;
        edited.country = text(&self.country);
        edited.state = text(&self.state);
        edited.city = text(&self.city);
        edited.year_born = year_born;
        edited.gender = self.gender;
        edited.metadata = metadata;
        Ok(edited)
    }

    /// Puts a 422 problem's field errors under their fields; anything else in the banner.
    pub fn show_problem(&mut self, problem: &Problem) {
        self.errors.clear();
        let mut unplaced = Vec::new();
        for error in &problem.errors {
            match FieldId::from_json_path(&error.field) {
                Some(field) => {
                    self.errors
                        .entry(field)
                        .and_modify(|text| {
                            text.push_str("; ");
                            text.push_str(&error.message);
                        })
                        .or_insert_with(|| error.message.clone());
                }
                None => unplaced.push(format!("{}: {}", error.field, error.message)),
            }
        }
        self.banner = Some(if unplaced.is_empty() {
            problem
                .detail
                .clone()
                .unwrap_or_else(|| strings::FIX_FIELDS.to_owned())
        } else {
            unplaced.join("; ")
        });
        if let Some(first) = self.errors.keys().next() {
            self.focus = *first;
        }
    }
}

fn next_gender(gender: Option<Gender>, step: isize) -> Option<Gender> {
    const CYCLE: [Option<Gender>; 5] = [
        None,
        Some(Gender::Unknown),
        Some(Gender::Male),
        Some(Gender::Female),
        Some(Gender::Other),
    ];
    let index = CYCLE.iter().position(|g| *g == gender).unwrap_or_default() as isize;
    CYCLE[(index + step).rem_euclid(CYCLE.len() as isize) as usize]
}

/// The inline error under the metadata editor: none while the text is empty or valid JSON.
pub fn metadata_syntax_error(text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return None;
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(_)) => None,
        Ok(_) => Some(strings::METADATA_NOT_OBJECT.to_owned()),
        Err(error) => Some(describe_json_error(&error)),
    }
}

fn describe_json_error(error: &serde_json::Error) -> String {
    // serde_json's Display appends " at line L column C"; keep only the reason before it.
    let full = error.to_string();
    let reason = full.split(" at line ").next().unwrap_or(&full);
    strings::json_error(error.line(), error.column(), reason)
}

#[cfg(test)]
mod tests;
