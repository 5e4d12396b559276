//! `GET /geo/resolve` and re-resolving stored customers.

use clientela_core::geo::{Location, LocationStatus};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::on_both_backends;

on_both_backends! {
    /// The resolver's reading of a place, with warnings for what it could not read.
    fn geo_resolve_explains_a_place(app: &TestApp) {
        let (status, body) = app.get("/geo/resolve?country=Spain&state=ES-B");
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["country"]["code"], "ES");
        assert_eq!(body["state"]["name"], "Barcelona");
        assert_eq!(body["status"], "resolved");
        assert_eq!(body["warnings"], json!([]));

        let (_, body) = app.get("/geo/resolve?country=Atlantis");
        assert_eq!(body["status"], "unresolved");
        assert_eq!(body["warnings"][0]["field"], "country");
        let (_, body) = app.get("/geo/resolve");
        assert_eq!(body["status"], "empty");
    }
}

on_both_backends! {
    /// A reindex rewrites every stale location, page by page, without touching versions.
    fn reindex_rewrites_stale_locations(app: &TestApp) {
        let batch: Vec<_> = (0..25).map(|i| json!({"code": format!("G{i:02}"), "country": "ES"})).collect();
        app.post(&serde_json::Value::Array(batch));
        let moved = |customer: &clientela_core::Customer| {
            let mut location = customer.location.clone();
            location.status = LocationStatus::Partial;
            location
        };
        let mut after = None;
        let mut changed = 0;
        loop {
            let page = app.store.reindex_page(after.as_deref(), 10, &moved).expect("reindex");
            changed += page.changed;
            match page.last {
                Some(last) => after = Some(last),
                None => break,
            }
        }
        assert_eq!(changed, 25);
        let stored = app.customer("G13").expect("stored");
        assert_eq!(stored["location"]["status"], "partial");
        assert_eq!(stored["location"]["country"]["code"], "ES");
        assert_eq!(stored["version"], 1, "a location rewrite is not a new version");

        let same = |customer: &clientela_core::Customer| -> Location { customer.location.clone() };
        let page = app.store.reindex_page(None, 100, &same).expect("reindex");
        assert_eq!((page.seen, page.changed), (25, 0));
    }
}

/// The API page's forms resolve on a fresh install: no overlay, the built-in gazetteer alone.
/// Geo resolution does not touch the database, so SQLite stands for both backends here.
mod builtin_gazetteer {
    use clientela_api::AppState;
    use clientela_core::geo::{NumericStateCodes, Resolver};
    use reqwest::StatusCode;
    use serde_json::{Value, json};

    use crate::support::TestApp;

    fn posted(app: &TestApp, body: Value) -> Value {
        let (status, answer) = app.post(&body);
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer
    }

    fn resolved(app: &TestApp, query: &str) -> Value {
        let (status, body) = app.get(&format!("/geo/resolve?{query}"));
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// The API page's own example: Q11355 is on two Catalan towns in the data; the one in
    /// the province of Barcelona is meant, and nothing needs a warning.
    #[test]
    fn the_api_page_example_resolves_without_warnings() {
        let app = TestApp::sqlite();
        let answer = posted(
            &app,
            json!({"code": "X1", "country": "ES", "state": "Barcelona", "city": "Q11355"}),
        );
        let location = &answer["customer"]["location"];
        assert_eq!(location["status"], "resolved", "{answer}");
        assert_eq!(answer["warnings"], json!([]), "{answer}");
        assert_eq!(location["state"]["code"], "ES-B");
        assert_eq!(location["city"]["name"], "Mollet del Vallès");
        assert_eq!(location["city"]["wikidataId"], "Q11355");
    }

    /// A city's WikiData ID alone names the city (not the province the data also gives
    /// that ID to) and implies its state and country.
    #[test]
    fn a_city_wikidata_id_alone_resolves_the_city() {
        let app = TestApp::sqlite();
        let answer = posted(&app, json!({"code": "X6", "city": "Q1492"}));
        let location = &answer["customer"]["location"];
        assert_eq!(location["status"], "resolved", "{answer}");
        assert_eq!(location["city"]["name"], "Barcelona");
        assert_eq!(location["state"]["code"], "ES-B");
        assert_eq!(location["country"]["code"], "ES");
    }

    /// A city the sources file under two states: the answer shows the one its neighbours
    /// lie in and says the sources differ; the other, when sent, is accepted.
    #[test]
    fn a_city_whose_state_the_sources_dispute_is_answered_with_a_warning() {
        let app = TestApp::sqlite();
        let body = resolved(&app, "city=Q10870219");
        assert_eq!(body["city"]["name"], "Dongshigu", "{body}");
        assert_eq!(body["state"]["code"], "CN-TJ", "{body}");
        let warning = &body["warnings"][0];
        assert_eq!(warning["field"], "state", "{body}");
        assert_eq!(warning["kind"], "ambiguous", "{body}");
        let answer = posted(
            &app,
            json!({"code": "X7", "country": "CN", "state": "Shandong", "city": "Q10870219"}),
        );
        let location = &answer["customer"]["location"];
        assert_eq!(location["status"], "resolved", "{answer}");
        assert_eq!(location["state"]["code"], "CN-SD", "{answer}");
        assert_eq!(answer["warnings"], json!([]), "{answer}");
    }

    /// Both FIPS 10-4 forms: the full code alone, and the country-relative code with the
    /// country where no ISO code reads the same.
    #[test]
    fn fips_codes_resolve_in_both_forms() {
        let app = TestApp::sqlite();
        let answer = posted(&app, json!({"code": "X5", "state": "SP56"}));
        let location = &answer["customer"]["location"];
        assert_eq!(location["state"]["code"], "ES-CT", "{answer}");
        assert_eq!(location["country"]["code"], "ES");
        assert_eq!(location["status"], "resolved");

        let answer = posted(&app, json!({"code": "X3", "country": "US", "state": "06"}));
        assert_eq!(
            answer["customer"]["location"]["state"]["code"], "US-CA",
            "{answer}"
        );
        assert_eq!(answer["warnings"], json!([]));
        let body = resolved(&app, "state=Q99");
        assert_eq!(
            body["state"]["code"], "US-CA",
            "a state's WikiData ID: {body}"
        );
    }

    /// JP "29" is ISO JP-29 (Nara) and FIPS JA29 (Niigata): not guessed, both named.
    #[test]
    fn an_ambiguous_numeric_state_code_is_not_guessed() {
        let app = TestApp::sqlite();
        let body = resolved(&app, "country=JP&state=29");
        assert_eq!(body["state"], Value::Null, "{body}");
        assert_eq!(body["status"], "partial");
        let warning = &body["warnings"][0];
        assert_eq!(warning["kind"], "ambiguous", "{body}");
        let message = warning["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("JP-29") && message.contains("JP-15"),
            "the warning names both readings: {message}"
        );
    }

    /// `geo.numeric_state_codes` lets an operator choose the reading.
    #[test]
    fn the_numeric_state_code_setting_chooses_a_reading() {
        for (mode, expected) in [
            (NumericStateCodes::Fips, "JP-15"),
            (NumericStateCodes::Iso, "JP-29"),
        ] {
            let app = TestApp::sqlite_tuned(Box::new(move |state: &mut AppState, _| {
                state.resolver =
                    std::sync::Arc::new(Resolver::builtin().with_numeric_state_codes(mode));
            }));
            let body = resolved(&app, "country=JP&state=29");
            assert_eq!(body["state"]["code"], expected, "{mode:?}: {body}");
            assert_eq!(body["warnings"], json!([]), "{mode:?}: {body}");
        }
    }

    /// A state one level up from the city's recorded unit is consistent, both ways, and the
    /// state the sender named is kept.
    #[test]
    fn a_state_one_level_up_is_consistent() {
        let app = TestApp::sqlite();
        for (query, state, city) in [
            (
                "country=UK&state=Scotland&city=Glasgow",
                "GB-SCT",
                "Glasgow",
            ),
            ("country=UK&state=England&city=London", "GB-ENG", "London"),
            ("country=UK&state=Wales&city=Cardiff", "GB-WLS", "Cardiff"),
            (
                "country=Belgium&state=Antwerpen&city=Antwerpen",
                "BE-VAN",
                "Antwerpen",
            ),
        ] {
            let body = resolved(&app, query);
            assert_eq!(body["status"], "resolved", "{query}: {body}");
            assert_eq!(body["state"]["code"], state, "{query}: {body}");
            let name = body["city"]["name"].as_str().unwrap_or_default();
            assert!(
                name.starts_with(&city[..4]),
                "{query}: city {name}, expected {city}"
            );
        }
    }

    /// AP-style abbreviations and everyday names of states.
    #[test]
    fn common_written_forms_of_states_resolve() {
        let app = TestApp::sqlite();
        for (query, state) in [
            ("country=US&state=Calif.", "US-CA"),
            ("country=US&state=Mass.", "US-MA"),
            ("country=US&state=N.Y.", "US-NY"),
            ("country=US&state=Wash.", "US-WA"),
            ("country=MX&state=CDMX", "MX-CMX"),
            ("country=MX&state=D.F.", "MX-CMX"),
            ("country=Mexico&state=Distrito%20Federal", "MX-CMX"),
        ] {
            let body = resolved(&app, query);
            assert_eq!(body["state"]["code"], state, "{query}: {body}");
            assert_eq!(body["status"], "resolved", "{query}: {body}");
        }
    }

    /// One rule for a city name alone: the most populous, with a warning, unless a namesake
    /// in another country is close (more than a fifth of its population).
    #[test]
    fn a_city_name_alone_picks_the_most_populous_unless_close() {
        let app = TestApp::sqlite();
        let body = resolved(&app, "city=Barcelona");
        assert_eq!(body["city"], Value::Null, "{body}");
        assert_eq!(body["warnings"][0]["kind"], "ambiguous");
        for (city, country) in [("Paris", "FR"), ("London", "GB")] {
            let body = resolved(&app, &format!("city={city}"));
            assert_eq!(body["country"]["code"], country, "{city}: {body}");
            assert_eq!(body["warnings"][0]["kind"], "ambiguous", "{city}: {body}");
        }
    }

    /// A country value that two countries share is never guessed: the country stays
    /// unresolved, and the warning (`field`, `kind`, `message`) names both.
    #[test]
    fn a_country_two_countries_share_is_not_guessed() {
        let app = TestApp::sqlite();
        let body = resolved(&app, "country=VIRGIN%20ISLANDS");
        assert_eq!(body["country"], Value::Null, "{body}");
        assert_eq!(body["status"], "unresolved");
        let warning = &body["warnings"][0];
        assert_eq!(warning["field"], "country", "{body}");
        assert_eq!(warning["kind"], "ambiguous", "{body}");
        let message = warning["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("(VG)") && message.contains("(VI)"),
            "the warning names both: {message}"
        );
    }

    /// Qualifiers choose between look-alikes, and names resolve in other languages and
    /// scripts, stored with the customer as they are answered by `/geo/resolve`. A spelling
    /// the gazetteer doubts (only Tamil writes Guinea so, one of five look-alikes; a source
    /// gives the Kannada name of Honduras to Mexico) resolves with an `ambiguous` warning.
    #[test]
    fn qualifiers_and_names_in_other_languages_name_one_country() {
        let app = TestApp::sqlite();
        for (value, code, doubted) in [
            ("Congo (RDC)", "CD", false),
            ("Kongo (Brazzaville)", "CG", false),
            ("Гвиана (Франция)", "GF", false),
            ("Republik Dominica", "DO", true),
            ("கினியா", "GN", true),
            ("ಹೊಂಡುರಾಸ್", "HN", true),
            ("Орталық Африка Республикасы", "CF", true),
        ] {
            let answer = posted(&app, json!({"code": format!("Q-{code}"), "country": value}));
            let location = &answer["customer"]["location"];
            assert_eq!(location["country"]["code"], code, "{value}: {answer}");
            assert_eq!(location["status"], "resolved", "{value}: {answer}");
            let kinds: Vec<&Value> = answer["warnings"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|warning| &warning["kind"])
                .collect();
            let expected: Vec<Value> = if doubted {
                vec![json!("ambiguous")]
            } else {
                vec![]
            };
            assert_eq!(
                kinds,
                expected.iter().collect::<Vec<_>>(),
                "{value}: {answer}"
            );
        }
    }

    /// Placeholders and regions are no country, in any field's answer.
    #[test]
    fn junk_and_regions_are_not_countries() {
        let app = TestApp::sqlite();
        for value in ["N/A", "unknown", "West%20Indies", "Latin%20America"] {
            let body = resolved(&app, &format!("country={value}"));
            assert_eq!(body["country"], Value::Null, "{value}: {body}");
            assert_eq!(body["warnings"][0]["kind"], "unresolved", "{value}: {body}");
        }
    }

    /// A close misspelling is read, and the answer says what it was read as.
    #[test]
    fn a_misspelt_country_is_read_with_a_did_you_mean_warning() {
        let app = TestApp::sqlite();
        let body = resolved(&app, "country=Venezeula");
        assert_eq!(body["country"]["code"], "VE", "{body}");
        assert_eq!(body["warnings"][0]["kind"], "approximate", "{body}");
        let message = body["warnings"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("did you mean Venezuela"), "{message}");
    }
}
