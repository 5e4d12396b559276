//! Real places to seed customers with, each country with a few of its states and cities, and
//! the forms customers write them in (names in English and the native language, ISO codes,
//! WikiData IDs), so seeded data exercises the resolver the way real shops do.

/// A country: the forms it may be sent in, and `(state forms, cities)` within it.
pub struct Country {
    pub forms: &'static [&'static str],
    pub numeric: u16,
    pub regions: &'static [(&'static [&'static str], &'static [&'static str])],
}

pub const COUNTRIES: &[Country] = &[
    Country {
        forms: &["ES", "ESP", "Spain", "España", "Q29"],
        numeric: 724,
        regions: &[
            (
                &["Barcelona", "ES-B"],
                &["Barcelona", "Sabadell", "Terrassa"],
            ),
            (
                &["Madrid", "ES-M", "Comunidad de Madrid"],
                &["Madrid", "Alcalá de Henares"],
            ),
            (&["Valencia", "ES-V", "València"], &["Valencia", "Gandia"]),
        ],
    },
    Country {
        forms: &["US", "USA", "United States", "Q30"],
        numeric: 840,
        regions: &[
            (
                &["California", "US-CA"],
                &["Los Angeles", "San Francisco", "San Diego"],
            ),
            (&["New York", "US-NY"], &["New York", "Buffalo"]),
            (&["Texas", "US-TX"], &["Houston", "Austin", "Dallas"]),
        ],
    },
    Country {
        forms: &["DE", "DEU", "Germany", "Deutschland"],
        numeric: 276,
        regions: &[
            (
                &["Bavaria", "Bayern", "DE-BY"],
                &["Munich", "München", "Nuremberg"],
            ),
            (&["Berlin", "DE-BE"], &["Berlin"]),
            (&["Hamburg", "DE-HH"], &["Hamburg"]),
        ],
    },
    Country {
        forms: &["FR", "FRA", "France"],
        numeric: 250,
        regions: &[(&["Île-de-France", "FR-IDF"], &["Paris", "Versailles"])],
    },
    Country {
        forms: &["IT", "ITA", "Italy", "Italia"],
        numeric: 380,
        regions: &[
            (&["Lombardy", "Lombardia"], &["Milan", "Milano", "Bergamo"]),
            (&["Lazio"], &["Rome", "Roma"]),
        ],
    },
    Country {
        forms: &["GB", "GBR", "United Kingdom", "UK"],
        numeric: 826,
        regions: &[
            (&["England"], &["London", "Manchester", "Bristol"]),
            (&["Scotland"], &["Edinburgh", "Glasgow"]),
        ],
    },
    Country {
        forms: &["NL", "NLD", "Netherlands", "Nederland", "Holland"],
        numeric: 528,
        regions: &[(
            &["North Holland", "Noord-Holland", "NL-NH"],
            &["Amsterdam", "Haarlem"],
        )],
    },
    Country {
        forms: &["BE", "BEL", "Belgium", "België"],
        numeric: 56,
        regions: &[(
            &["Antwerp", "Antwerpen", "BE-VAN"],
            &["Antwerp", "Antwerpen", "Mechelen"],
        )],
    },
    Country {
        forms: &["PT", "PRT", "Portugal"],
        numeric: 620,
        regions: &[(&["Lisbon", "Lisboa"], &["Lisbon", "Lisboa", "Sintra"])],
    },
    Country {
        forms: &["MX", "MEX", "Mexico", "México"],
        numeric: 484,
        regions: &[
            (&["Jalisco", "MX-JAL"], &["Guadalajara"]),
            (&["Nuevo León", "MX-NLE"], &["Monterrey"]),
        ],
    },
    Country {
        forms: &["BR", "BRA", "Brazil", "Brasil"],
        numeric: 76,
        regions: &[
            (&["São Paulo", "BR-SP"], &["São Paulo", "Campinas"]),
            (&["Rio de Janeiro", "BR-RJ"], &["Rio de Janeiro"]),
        ],
    },
    Country {
        forms: &["AR", "ARG", "Argentina"],
        numeric: 32,
        regions: &[(&["Buenos Aires", "AR-B"], &["La Plata", "Mar del Plata"])],
    },
    Country {
        forms: &["JP", "JPN", "Japan", "日本"],
        numeric: 392,
        regions: &[
            (&["Tokyo", "東京都", "JP-13"], &["Tokyo"]),
            (&["Osaka", "JP-27"], &["Osaka"]),
        ],
    },
    Country {
        forms: &["IN", "IND", "India"],
        numeric: 356,
        regions: &[
            (&["Maharashtra", "IN-MH"], &["Mumbai", "Pune"]),
            (&["Karnataka", "IN-KA"], &["Bengaluru"]),
        ],
    },
    Country {
        forms: &["CN", "CHN", "China"],
        numeric: 156,
        regions: &[(&["Guangdong", "CN-GD"], &["Guangzhou", "Shenzhen"])],
    },
    Country {
        forms: &["AU", "AUS", "Australia"],
        numeric: 36,
        regions: &[
            (&["New South Wales", "AU-NSW"], &["Sydney", "Newcastle"]),
            (&["Victoria", "AU-VIC"], &["Melbourne"]),
        ],
    },
    Country {
        forms: &["CA", "CAN", "Canada"],
        numeric: 124,
        regions: &[
            (&["Ontario", "CA-ON"], &["Toronto", "Ottawa"]),
            (&["Quebec", "Québec", "CA-QC"], &["Montreal", "Montréal"]),
        ],
    },
    Country {
        forms: &["TR", "TUR", "Turkey", "Türkiye"],
        numeric: 792,
        regions: &[(&["Istanbul", "TR-34"], &["Istanbul"])],
    },
    Country {
        forms: &["PL", "POL", "Poland", "Polska"],
        numeric: 616,
        regions: &[(
            &["Masovian", "Mazowieckie", "PL-14"],
            &["Warsaw", "Warszawa"],
        )],
    },
    Country {
        forms: &["SE", "SWE", "Sweden", "Sverige"],
        numeric: 752,
        regions: &[(&["Stockholm", "SE-AB"], &["Stockholm"])],
    },
    Country {
        forms: &["ZA", "ZAF", "South Africa"],
        numeric: 710,
        regions: &[(&["Gauteng", "ZA-GP"], &["Johannesburg", "Pretoria"])],
    },
    Country {
        forms: &["MA", "MAR", "Morocco", "Maroc"],
        numeric: 504,
        regions: &[(&["Casablanca-Settat"], &["Casablanca"])],
    },
];
