//! The `country` field on the built-in gazetteer: never a guess between countries,
//! qualifiers read, names in the world's major languages, regions and junk refused, close
//! misspellings taken only with a warning.

use super::{country_code, kinds, resolve};
use crate::geo::{GeoField, LocationStatus, Resolver, WarningKind};

/// The country a value resolves to and the kinds of the warnings on it.
fn read(text: &str) -> (Option<String>, Vec<WarningKind>, Vec<String>) {
    let resolution = resolve(Some(text), None, None);
    let code = resolution.location.country.map(|country| country.code);
    let warnings = resolution
        .warnings
        .iter()
        .filter(|warning| warning.field == GeoField::Country);
    let (kinds, messages) = warnings
        .map(|warning| (warning.kind, warning.message.clone()))
        .unzip();
    (code, kinds, messages)
}

#[test]
fn a_value_two_countries_share_is_left_unresolved_naming_both() {
    let (code, kinds, messages) = read("VIRGIN ISLANDS");
    assert_eq!(code, None);
    assert_eq!(kinds, vec![WarningKind::Ambiguous]);
    assert!(
        messages[0].contains("(VG)") && messages[0].contains("(VI)"),
        "{messages:?}"
    );
}

#[test]
fn qualifiers_decide_between_look_alikes() {
    for (value, expected) in [
        ("Congo (RDC)", "CD"),
        ("Congo (DRC)", "CD"),
        ("CONGO, Democratic Republic of (was Zaire)", "CD"),
        ("Kongo (Brazzaville)", "CG"),
        ("Конго (Бразавил)", "CG"),
        ("Congo (Kinshasa)", "CD"),
        ("Гвиана (Франция)", "GF"),
        ("Guiana (France)", "GF"),
        ("Virgin Islands (UK)", "VG"),
        ("Virgin Islands (British)", "VG"),
        ("Virgin Islands (US)", "VI"),
        ("Saint Martin (Dutch part)", "SX"),
    ] {
        let (code, kinds, _) = read(value);
        assert_eq!(code.as_deref(), Some(expected), "{value}");
        assert_eq!(kinds, vec![], "{value}");
    }
}

#[test]
fn an_unread_qualifier_is_not_dropped_when_the_rest_is_ambiguous() {
    let (code, kinds, messages) = read("Korea (whatever)");
    assert_eq!(code, None);
    assert_eq!(kinds, vec![WarningKind::Ambiguous]);
    assert!(
        messages[0].contains("`whatever`") && messages[0].contains("(KP)"),
        "{messages:?}"
    );
}

#[test]
fn a_qualifier_that_contradicts_the_rest_leaves_the_country_unresolved() {
    let (code, kinds, messages) = read("Spain (France)");
    assert_eq!(code, None);
    assert_eq!(kinds, vec![WarningKind::Ambiguous]);
    assert!(messages[0].contains("(ES)") && messages[0].contains("(FR)"));
}

#[test]
fn country_names_resolve_in_the_worlds_major_languages() {
    // Some are doubted (see the doubtful spellings below): Tamil alone writes Guinea so, one
    // of five look-alikes; iso-codes gives the Kannada name of Honduras to Mexico and the
    // Kazakh name of the Central African Republic to Nepal; "Republik Dominica" is only
    // Indonesian.
    for (value, expected, doubted) in [
        ("கினியா", "GN", true),
        ("ಹೊಂಡುರಾಸ್", "HN", true),
        ("Орталық Африка Республикасы", "CF", true),
        ("Republik Dominica", "DO", true),
        ("ドイツ", "DE", false),
        ("ألمانيا", "DE", false),
        ("जर्मनी", "DE", false),
        ("Γερμανία", "DE", false),
        ("Німеччина", "DE", false),
        ("Alemanha", "DE", false),
        ("Nouvelle-Zélande", "NZ", false),
        ("Kenya", "KE", false),
        ("கென்யா", "KE", false),
    ] {
        let (code, kinds, _) = read(value);
        assert_eq!(code.as_deref(), Some(expected), "{value}");
        let expected_kinds = if doubted {
            vec![WarningKind::Ambiguous]
        } else {
            vec![]
        };
        assert_eq!(kinds, expected_kinds, "{value}");
    }
}

#[test]
fn a_dropped_republic_must_belong_to_the_country() {
    // "Dominica" is the Commonwealth of Dominica: a "Republik Dominica" is the Dominican
    // Republic, read as a near miss of its Indonesian name, never Dominica.
    assert_eq!(country_code("Republik Dominica").as_deref(), Some("DO"));
    assert_eq!(country_code("Dominica").as_deref(), Some("DM"));
    assert_eq!(country_code("The Territory of Guam").as_deref(), Some("GU"));
}

#[test]
fn junk_and_regions_never_resolve() {
    for value in [
        "N/A",
        "unknown",
        "West Indies",
        "Other",
        "none",
        "Latin America",
        "Europe",
        "Africa",
        "Amerika",
    ] {
        let resolution = resolve(Some(value), None, None);
        assert_eq!(
            resolution.location.status,
            LocationStatus::Unresolved,
            "{value}"
        );
        assert_eq!(
            kinds(&resolution),
            vec![(GeoField::Country, WarningKind::Unresolved)],
            "{value}"
        );
    }
    let (_, _, messages) = read("Latin America");
    assert!(messages[0].contains("region"), "{messages:?}");
}

#[test]
fn a_close_misspelling_resolves_with_a_did_you_mean_warning() {
    for (value, expected, name) in [
        ("Venezeula", "VE", "Venezuela"),
        ("Switzerlnd", "CH", "Switzerland"),
    ] {
        let (code, kinds, messages) = read(value);
        assert_eq!(code.as_deref(), Some(expected), "{value}");
        assert_eq!(kinds, vec![WarningKind::Approximate], "{value}");
        assert!(
            messages[0].contains(&format!("did you mean {name}")),
            "{messages:?}"
        );
    }
}

#[test]
fn a_misspelling_two_countries_are_that_close_to_is_not_guessed() {
    // One edit from Austria and one from Australia.
    assert_eq!(country_code("Austrlia"), None);
}

#[test]
fn short_values_and_names_of_other_places_are_never_misspelt_countries() {
    for value in ["Itl", "Spai", "Toronto", "Bavaria"] {
        let (code, kinds, _) = read(value);
        assert_eq!(code, None, "{value}");
        assert_eq!(kinds, vec![WarningKind::Unresolved], "{value}");
    }
}

/// The spellings the gazetteer gives to two countries once the builder has cross-checked its
/// sources (`tools/gazetteer/src/collisions.rs`), each answered as ambiguous: reviewed, they
/// are names that really are shared (Korea and Congo without their qualifier in some forty
/// languages, the British and US Virgin Islands, the French and Dutch Saint Martin) and a few
/// splits between languages (Toga, Sabiya, Lusia). The builder writes every decision to
/// `target/gazetteer-collisions.tsv`; a change to this number is a change to review there.
/// Folding the Persian and Urdu letters to the Arabic ones made one of them (موریتانیا,
/// Mauritania in Pashto and Dari, Mauritius in Western Balochi) Mauritania's own Arabic name.
const REVIEWED_COUNTRY_COLLISIONS: usize = 148;

#[test]
fn the_number_of_spellings_two_countries_share_stays_at_its_reviewed_value() {
    let resolver = Resolver::builtin();
    let table = &resolver.places.gazetteer.country_names;
    let mut shared = 0;
    let mut previous: Option<(&str, u32)> = None;
    let mut counted_key: Option<&str> = None;
    for (key, country, _) in table.iter() {
        if let Some((previous_key, previous_country)) = previous
            && previous_key == key
            && previous_country != country
            && counted_key != Some(key)
        {
            shared += 1;
            counted_key = Some(key);
        }
        previous = Some((key, country));
    }
    assert_eq!(shared, REVIEWED_COUNTRY_COLLISIONS);
}

#[test]
fn an_overlay_does_not_reopen_a_settled_country_spelling() {
    // The gazetteer settled "Kongo" for the Republic of the Congo; an overlay that gives it
    // to the Democratic Republic as well adds nothing that would make it ambiguous.
    let countries = "iso2,iso3,numeric_code,name,native\nCD,COD,180,DR Congo,Kongo\n";
    let states = "id,name,country_code,iso3166_2\n";
    let cities = "id,name,country_code,state_iso3166_2\n";
    let resolver = Resolver::builder()
        .overlay_csc(countries, states, cities)
        .map(|builder| builder.build());
    let Ok(resolver) = resolver else {
        panic!("the overlay loads");
    };
    let read = |text: &str| {
        resolver
            .resolve(&crate::geo::GeoInput {
                country: Some(text),
                state: None,
                city: None,
            })
            .location
            .country
            .map(|country| country.code)
    };
    assert_eq!(read("Kongo").as_deref(), Some("CG"));
    assert_eq!(read("DR Congo").as_deref(), Some("CD"));
}

#[test]
fn a_doubtful_spelling_is_read_with_a_warning_naming_the_look_alike() {
    for (value, expected, other) in [
        // Only Kazakh gives these (CLDR and iso-codes agree): North and South could be swapped.
        ("Оңтүстік Корея", "KR", "(KP)"),
        ("Солтүстік Корея", "KP", "(KR)"),
        // Only Welsh: the Caribbean Netherlands, or another part of the Netherlands Antilles.
        ("Antilles yr Iseldiroedd", "BQ", "(CW)"),
        // CLDR's Pashto name of Guyana, iso-codes' Pashto name of Guinea.
        ("ګیانا", "GY", "(GN)"),
        // Written so for the Congo, and cut from a longer name of the Democratic Republic
        // (Amharic; German and a dozen other languages).
        ("ኮንጎ", "CG", "(CD)"),
        ("Kongo", "CG", "(CD)"),
        // CLDR's Thai name of Saint Martin, iso-codes' of Sint Maarten.
        ("เซนต์มาร์ติน", "MF", "(SX)"),
        // Norfolk Island in Czech, Dutch, Estonian, Polish and Slovak; an English county.
        ("Norfolk", "NF", "(GB-NFK)"),
        ("Granada", "GD", "(ES-GR)"),
        // iso-codes' Cherokee name of Spain, two letters off CLDR's (ᎠᏂᏍᏆᏂᏱ), which is one
        // letter off CLDR's Cherokee name of Mexico (ᎠᏂᏍᏆᏂ); a table of country names gives
        // it to Mexico.
        ("ᏍᏆᏂᏱ", "ES", "(MX)"),
    ] {
        let (code, kinds, messages) = read(value);
        assert_eq!(code.as_deref(), Some(expected), "{value}");
        assert_eq!(kinds, vec![WarningKind::Ambiguous], "{value}");
        assert!(messages[0].contains(other), "{value}: {messages:?}");
    }
}

#[test]
fn own_names_codes_and_well_attested_translations_of_look_alikes_do_not_warn() {
    for (value, expected) in [
        ("South Korea", "KR"),
        ("North Korea", "KP"),
        ("Korea, South", "KR"),
        ("대한민국", "KR"),
        ("KP", "KP"),
        ("Congo", "CG"),
        ("DR Congo", "CD"),
        ("Guinea", "GN"),
        ("Guyana", "GY"),
        ("Guinea-Bissau", "GW"),
        ("Equatorial Guinea", "GQ"),
        ("French Guiana", "GF"),
        ("Niger", "NE"),
        ("Nigeria", "NG"),
        ("Dominica", "DM"),
        ("Dominican Republic", "DO"),
        ("Sudan", "SD"),
        ("South Sudan", "SS"),
        ("Sint Maarten", "SX"),
        ("Curaçao", "CW"),
        ("Slovakia", "SK"),
        ("Slovenija", "SI"),
        ("Samoa", "WS"),
        ("Norfolk Island", "NF"),
        ("Georgia", "GE"),
        // Three sources in French, and German with its neighbours: confirmed.
        ("Corée du Sud", "KR"),
        ("Südkorea", "KR"),
        // In a language the country speaks itself: how its own people write it.
        ("한국", "KR"),
        ("República Dominicana", "DO"),
        ("Slovensko", "SK"),
        // CLDR's own Cherokee names of the two: the reference, not doubted.
        ("ᎠᏂᏍᏆᏂᏱ", "ES"),
        ("ᎠᏂᏍᏆᏂ", "MX"),
    ] {
        let (code, kinds, messages) = read(value);
        assert_eq!(code.as_deref(), Some(expected), "{value}");
        assert_eq!(kinds, vec![], "{value}: {messages:?}");
    }
}

/// The country spellings the gazetteer reads with a warning (`tools/gazetteer/src/doubts.rs`),
/// by rule: the sources dispute them, only one language gives them to a country with
/// look-alikes, they are a state's own name elsewhere. The builder writes each to
/// `target/gazetteer-doubts.tsv`; a change to these numbers is a change to review there.
/// The second count holds translations of the groups of look-alikes and 46 that are
/// variants of a CLDR name one letter off CLDR's name of another country in that language
/// (Gambia and Zambia, Ireland and Iceland, Iran and Iraq, Cherokee Spain and Mexico), each
/// reviewed in the doubts file. Persian and Urdu spellings fold to the Arabic ones: those
/// that Arabic writes alike are given by two languages, and Arabic فلسطين is Palestine's
/// own name, no longer disputed.
const REVIEWED_COUNTRY_DOUBTS: [usize; 3] = [67, 5358, 16];

#[test]
fn the_number_of_doubtful_country_spellings_stays_at_its_reviewed_value() {
    use crate::geo::gazetteer::DoubtBasis;
    let resolver = Resolver::builtin();
    let mut spellings: [std::collections::BTreeSet<&str>; 3] = Default::default();
    for doubt in &resolver.places.gazetteer.country_doubts {
        let rule = match doubt.basis {
            DoubtBasis::Disputed { .. } => 0,
            DoubtBasis::OneLanguage { .. } => 1,
            DoubtBasis::StateName { .. } => 2,
        };
        spellings[rule].insert(doubt.key.as_str());
    }
    assert_eq!(spellings.map(|found| found.len()), REVIEWED_COUNTRY_DOUBTS);
}
