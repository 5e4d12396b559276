//! The detail pane: every field of one customer, the normalized location with its codes,
//! names and WikiData IDs, the resolver's warnings, and the metadata pretty-printed.

use clientela_core::Customer;
use clientela_core::geo::{Location, LocationStatus};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Stylize;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::strings;
use clientela_core::wire::GeoResolveResponse;

const LABEL_WIDTH: usize = 11;

pub fn render(
    customer: &Customer,
    geo: Option<&GeoResolveResponse>,
    scroll: u16,
    frame: &mut Frame,
    area: Rect,
) {
    let block = Block::new().borders(Borders::ALL).title(format!(
        "{}{} ",
        strings::DETAIL_TITLE,
        customer.code
    ));
    let paragraph = Paragraph::new(lines(customer, geo))
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0));
    frame.render_widget(paragraph, area);
}

fn field<'a>(label: &str, value: impl Into<String>) -> Line<'a> {
    Line::from(vec![
        Span::from(format!("{label:LABEL_WIDTH$} ")).bold(),
        Span::from(value.into()),
    ])
}

fn optional(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| strings::NONE.to_owned())
}

fn lines<'a>(customer: &Customer, geo: Option<&GeoResolveResponse>) -> Vec<Line<'a>> {
    let location = &customer.location;
    let mut lines = vec![
        field(strings::LABEL_CODE, customer.code.clone()),
        field(
            strings::LABEL_ACTIVE,
            if customer.is_active {
                strings::YES
            } else {
                strings::NO
            },
        ),
        field(strings::LABEL_COUNTRY, optional(&customer.country)),
        field(strings::LABEL_STATE, optional(&customer.state)),
        field(strings::LABEL_CITY, optional(&customer.city)),
    ];
    lines.extend(location_lines(location));
    if let Some(geo) = geo {
        for warning in &geo.warnings {
            lines.push(
                field(
                    strings::LABEL_WARNING,
                    format!("{}: {}", warning.field.name(), warning.message),
                )
                .yellow(),
            );
        }
    }
    lines.extend([
        field(
            strings::LABEL_YEAR_BORN,
            customer
                .year_born
                .map_or_else(|| strings::NONE.to_owned(), |year| year.to_string()),
        ),
        field(strings::LABEL_GENDER, strings::gender_name(customer.gender)),
        field(strings::LABEL_CREATED, customer.created_at.to_rfc3339()),
        field(strings::LABEL_UPDATED, customer.updated_at.to_rfc3339()),
        field(strings::LABEL_VERSION, customer.version.to_string()),
    ]);
    match &customer.metadata {
        None => lines.push(field(strings::LABEL_METADATA, strings::NONE)),
        Some(metadata) => {
            lines.push(field(strings::LABEL_METADATA, ""));
            let pretty = serde_json::to_string_pretty(metadata).unwrap_or_default();
            lines.extend(pretty.lines().map(|line| Line::from(format!("  {line}"))));
        }
    }
    lines
}

/// The normalized location, one line per part the resolver understood, then its status.
fn location_lines<'a>(location: &Location) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    let wikidata =
        |id: &Option<String>| id.as_ref().map(|id| format!(" ({id})")).unwrap_or_default();
    if let Some(country) = &location.country {
        lines.push(field(
            strings::LABEL_LOCATION,
            format!(
                "{} / {}  {}{}",
                country.code,
                country.alpha3,
                country.name,
                wikidata(&country.wikidata_id)
            ),
        ));
    }
    if let Some(state) = &location.state {
        lines.push(field(
            "",
            format!(
                "{}  {}{}",
                state.code,
                state.name,
                wikidata(&state.wikidata_id)
            ),
        ));
    }
    if let Some(city) = &location.city {
        let position = match (city.lat, city.lon) {
            (Some(lat), Some(lon)) => format!("  {lat:.4}, {lon:.4}"),
            _ => String::new(),
        };
        lines.push(field(
            "",
            format!("{}{}{}", city.name, wikidata(&city.wikidata_id), position),
        ));
    }
    let status = strings::location_status(location.status);
    let status_line = field(strings::LABEL_STATUS, status);
    lines.push(match location.status {
        LocationStatus::Resolved => status_line.green(),
        LocationStatus::Empty => status_line,
        LocationStatus::Partial | LocationStatus::Unresolved => status_line.yellow(),
    });
    lines
}
