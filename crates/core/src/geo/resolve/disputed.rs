//! Cities the sources place in two different states (see
//! [`DisputedState`](crate::geo::gazetteer::DisputedState)): either state sent is consistent
//! with the city, and where the state shown was inferred from the city alone, a warning says
//! the sources differ and which one was taken.

use crate::geo::gazetteer::DisputeBasis;
use crate::geo::location::{GeoField, GeoWarning, WarningKind};
use crate::geo::lookup::Places;

impl Places {
    /// Whether `city` lies in `state` (or `state` in the unit the city is recorded in),
    /// by the state the record carries or the other one a source gives it.
    pub(super) fn city_lies_in(&self, city: u32, state: u32) -> bool {
        let recorded = self
            .city_state(city)
            .is_some_and(|city_state| self.related_states(city_state, state));
        recorded
            || self
                .gazetteer
                .disputed_state(city)
                .is_some_and(|disputed| self.related_states(disputed.other, state))
    }

    /// The warning for a state inferred from `city` when the sources disagree on it.
    pub(super) fn disputed_state_warning(&self, city: u32) -> Option<GeoWarning> {
        let disputed = self.gazetteer.disputed_state(city)?;
        let chosen = self.city_state(city)?;
        let record = self.gazetteer.cities.get(city as usize)?;
        let reason = match disputed.basis {
            DisputeBasis::Neighbours => "where the places nearest to it lie",
            DisputeBasis::Majority => "which two of the three sources give",
            DisputeBasis::Newest => "the newest source's",
        };
        Some(GeoWarning {
            field: GeoField::State,
            kind: WarningKind::Ambiguous,
            message: format!(
                "the sources place {} in {} or in {}; took {}, {reason}",
                record.name,
                self.state_label(chosen),
                self.state_label(disputed.other),
                self.state_label(chosen),
            ),
        })
    }
}
