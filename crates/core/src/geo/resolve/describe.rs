//! How the resolver names the places it found: the labels its warnings use, the
//! references a [`Location`](crate::geo::Location) carries, and the warning for a value
//! that names nothing.

use crate::geo::forms;
use crate::geo::index::Place;
use crate::geo::location::{CityRef, CountryRef, GeoField, GeoWarning, StateRef, WarningKind};
use crate::geo::lookup::Places;

impl Places {
    /// The warning for a value that names nothing of its field's kind; a WikiData ID says
    /// what it names instead, if the gazetteer knows it as another kind of place.
    pub(super) fn unresolved(&self, field: GeoField, text: &str) -> GeoWarning {
        let message = match forms::wikidata_number(text) {
            Some(number) => match self
                .index
                .wikidata
                .get(&number)
                .and_then(|mut places| places.next())
            {
                Some(Place::Country(country)) => format!(
                    "`{text}` is the WikiData ID of the country {}, not of a {}; kept as sent",
                    self.country_name(*country),
                    field.name()
                ),
                Some(Place::State(state)) => format!(
                    "`{text}` is the WikiData ID of the state {}, not of a {}; kept as sent",
                    self.state_label(*state),
                    field.name()
                ),
                Some(Place::City(city)) => format!(
                    "`{text}` is the WikiData ID of the city {}, not of a {}; kept as sent",
                    self.city_label(*city),
                    field.name()
                ),
                None => format!(
                    "`{text}` is not the WikiData ID of any {} the gazetteer or its overlays \
                     know; kept as sent",
                    field.name()
                ),
            },
            None => format!("`{text}` is not a known {}; kept as sent", field.name()),
        };
        GeoWarning {
            field,
            kind: WarningKind::Unresolved,
            message,
        }
    }

    pub(super) fn country_name(&self, country: u32) -> &str {
        self.gazetteer
            .countries
            .get(country as usize)
            .map_or("?", |record| record.name.as_str())
    }

    /// "Dominica (DM)".
    pub(super) fn country_label(&self, country: u32) -> String {
        self.gazetteer
            .countries
            .get(country as usize)
            .map_or_else(String::new, |record| {
                format!("{} ({})", record.name, record.alpha2)
            })
    }

    /// "Dominica (DM) or Dominican Republic (DO)", or "A (A), B (B) or C (C)".
    pub(super) fn country_list(&self, countries: &[u32]) -> String {
        let labels: Vec<String> = countries
            .iter()
            .map(|country| self.country_label(*country))
            .collect();
        match labels.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => labels.concat(),
        }
    }

    pub(super) fn state_label(&self, state: u32) -> String {
        self.gazetteer
            .states
            .get(state as usize)
            .map_or_else(String::new, |record| {
                format!("{} ({})", record.name, record.code)
            })
    }

    pub(super) fn city_label(&self, city: u32) -> String {
        let Some(record) = self.gazetteer.cities.get(city as usize) else {
            return String::new();
        };
        let within = record
            .state
            .map(|state| self.state_label(state))
            .unwrap_or_else(|| self.country_name(record.country).to_owned());
        format!("{} in {within}", record.name)
    }

    pub(super) fn country_ref(&self, country: u32) -> Option<CountryRef> {
        let record = self.gazetteer.countries.get(country as usize)?;
        Some(CountryRef {
            code: record.alpha2.clone(),
            alpha3: record.alpha3.clone(),
            name: record.name.clone(),
            wikidata_id: record.wikidata.map(wikidata_id),
        })
    }

    pub(super) fn state_ref(&self, state: u32) -> Option<StateRef> {
        let record = self.gazetteer.states.get(state as usize)?;
        Some(StateRef {
            code: record.code.clone(),
            name: record.name.clone(),
            wikidata_id: record.wikidata.map(wikidata_id),
        })
    }

    pub(super) fn city_ref(&self, city: u32) -> Option<CityRef> {
        let record = self.gazetteer.cities.get(city as usize)?;
        Some(CityRef {
            name: record.name.clone(),
            wikidata_id: record.wikidata.map(wikidata_id),
            lat: Some(rounded_degrees(record.lat)),
            lon: Some(rounded_degrees(record.lon)),
        })
    }
}

/// Five decimals (about a metre) are all an `f32` coordinate holds; more digits would be noise.
fn rounded_degrees(degrees: f32) -> f64 {
    (f64::from(degrees) * 1e5).round() / 1e5
}

fn wikidata_id(number: u32) -> String {
    format!("Q{number}")
}
