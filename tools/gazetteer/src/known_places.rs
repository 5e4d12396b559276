//! Accuracy cases written by hand from general knowledge, for the input forms no registry
//! package carries independently of the gazetteer: WikiData IDs, FIPS 10-4 subdivision
//! codes, exonyms and native spellings of cities, and values that are no place at all.
//!
//! The lists are the tab-separated files in `tools/gazetteer/data/` (a `#` line is a
//! comment, the first other line names the columns), embedded here and parsed on use.

use anyhow::{Context, Result, bail};

/// A city and where it is, to check the resolved city against.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedCity {
    /// A WikiData ID or a name, as the case sends it.
    pub sent: String,
    /// ISO alpha-2 of its country.
    pub alpha2: String,
    pub latitude: f32,
    pub longitude: f32,
}

/// A FIPS 10-4 subdivision code and the ISO 3166-2 code it stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct FipsCode {
    pub country: String,
    pub subdivision: String,
    pub iso3166_2: String,
}

/// Every hand-written list.
#[derive(Debug)]
pub struct KnownPlaces {
    /// (WikiData ID, ISO alpha-2) of countries.
    pub country_wikidata: Vec<(String, String)>,
    /// (WikiData ID, ISO 3166-2) of states.
    pub state_wikidata: Vec<(String, String)>,
    /// Cities by WikiData ID, in countries the shared overlay covers.
    pub city_wikidata: Vec<PlacedCity>,
    pub fips: Vec<FipsCode>,
    /// Cities by a name in another language or their own script.
    pub city_spellings: Vec<PlacedCity>,
    /// Placeholders, keyboard noise, codes that do not exist and fictional places.
    pub not_places: Vec<String>,
}

impl KnownPlaces {
    /// Parses the embedded files; an error names the file and line.
    pub fn load() -> Result<KnownPlaces> {
        let pairs = |file: &str, text: &str, header: [&str; 2]| {
            Ok::<_, anyhow::Error>(
                rows(file, text, header)?
                    .into_iter()
                    .map(|[first, second]| (first.to_owned(), second.to_owned()))
                    .collect(),
            )
        };
        Ok(KnownPlaces {
            country_wikidata: pairs(
                "country-wikidata.tsv",
                include_str!("../data/country-wikidata.tsv"),
                ["wikidata", "alpha2"],
            )?,
            state_wikidata: pairs(
                "state-wikidata.tsv",
                include_str!("../data/state-wikidata.tsv"),
                ["wikidata", "iso3166_2"],
            )?,
            city_wikidata: placed_cities(
                "city-wikidata.tsv",
                include_str!("../data/city-wikidata.tsv"),
                "wikidata",
            )?,
            fips: rows(
                "fips.tsv",
                include_str!("../data/fips.tsv"),
                ["fips_country", "fips_subdivision", "iso3166_2"],
            )?
            .into_iter()
            .map(|[country, subdivision, iso3166_2]| FipsCode {
                country: country.to_owned(),
                subdivision: subdivision.to_owned(),
                iso3166_2: iso3166_2.to_owned(),
            })
            .collect(),
            city_spellings: placed_cities(
                "city-spellings.tsv",
                include_str!("../data/city-spellings.tsv"),
                "name",
            )?,
            not_places: rows(
                "not-places.tsv",
                include_str!("../data/not-places.tsv"),
                ["value"],
            )?
            .into_iter()
            .map(|[value]| value.to_owned())
            .collect(),
        })
    }
}

fn placed_cities(file: &str, text: &str, sent: &str) -> Result<Vec<PlacedCity>> {
    rows(file, text, [sent, "alpha2", "latitude", "longitude"])?
        .into_iter()
        .map(|[sent, alpha2, latitude, longitude]| {
            let coordinate = |value: &str| {
                value
                    .parse::<f32>()
                    .with_context(|| format!("{file}: {sent}: `{value}` is not a coordinate"))
            };
            Ok(PlacedCity {
                sent: sent.to_owned(),
                alpha2: alpha2.to_owned(),
                latitude: coordinate(latitude)?,
                longitude: coordinate(longitude)?,
            })
        })
        .collect()
}

/// The rows of a tab-separated `text`, each with exactly the columns `header` names (the
/// file's first line that is not a comment must be that header).
fn rows<'a, const N: usize>(
    file: &str,
    text: &'a str,
    header: [&str; N],
) -> Result<Vec<[&'a str; N]>> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.starts_with('#') && !line.trim().is_empty());
    let found: Vec<&str> = lines
        .next()
        .map(|(_, line)| line.split('\t').collect())
        .unwrap_or_default();
    if found != header {
        bail!("{file}: the header is {found:?}, expected {header:?}");
    }
    lines
        .map(|(index, line)| {
            let cells: Vec<&str> = line.split('\t').collect();
            <[&str; N]>::try_from(cells).map_err(|cells| {
                anyhow::anyhow!(
                    "{file} line {}: {} columns, expected {N}",
                    index + 1,
                    cells.len()
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_lists_parse() {
        let known = KnownPlaces::load().expect("every list parses");
        for (list, length) in [
            ("country-wikidata", known.country_wikidata.len()),
            ("state-wikidata", known.state_wikidata.len()),
            ("city-wikidata", known.city_wikidata.len()),
            ("fips", known.fips.len()),
            ("city-spellings", known.city_spellings.len()),
            ("not-places", known.not_places.len()),
        ] {
            assert!(length > 0, "{list} is empty");
        }
        assert!(known.fips.iter().all(|code| code.iso3166_2.contains('-')));
        assert!(
            known
                .city_spellings
                .iter()
                .all(|city| city.latitude.abs() <= 90.0 && city.longitude.abs() <= 180.0)
        );
    }

    #[test]
    fn a_row_with_the_wrong_number_of_columns_names_its_file_and_line() {
        let text = "# a comment\nwikidata\talpha2\nQ29\tES\nQ30\n";
        let error = rows("countries.tsv", text, ["wikidata", "alpha2"])
            .expect_err("the last row is short")
            .to_string();
        assert_eq!(error, "countries.tsv line 4: 1 columns, expected 2");
    }

    #[test]
    fn a_file_without_its_header_is_refused() {
        assert!(rows("countries.tsv", "Q29\tES\n", ["wikidata", "alpha2"]).is_err());
    }
}
