//! The spellings one name stands for: "Bolivia, Plurinational State of" is also
//! "Plurinational State of Bolivia" and "Bolivia"; "Saint Lucia" is also "St. Lucia";
//! "Aichi Prefecture" and "Provincia de Aichi" are also "Aichi". The gazetteer build applies
//! these to source names, and the resolver to a sent value that matched nothing as sent.

/// Words that name the kind of subdivision (or of country) rather than the place, in the
/// languages the sources and customers write them (lower case, without accents): a place is
/// also known without them ("Provincia de Herāt", "État de Kebbi", "Kreis Constanța", "The
/// Commonwealth of Australia").
const KIND_WORDS: &[&str] = &[
    "arrondissement",
    "ayuntamiento",
    "bundesdistrikt",
    "ciudad",
    "collectivity",
    "comitat",
    "commonwealth",
    "federation",
    "kingdom",
    "london",
    "metropolitain",
    "munizip",
    "nation",
    "overseas",
    "principality",
    "voivodato",
    "voblasts",
    "woblast",
    "zona",
    "borough",
    "gouvernement",
    "londonien",
    "miesto",
    "oblysy",
    "rajono",
    "royal",
    "savivaldybe",
    "voblast",
    "autonoma",
    "autonome",
    "autonomous",
    "autonomy",
    "bezirk",
    "bundesland",
    "bundesstaat",
    "canton",
    "cantone",
    "capital",
    "city",
    "commune",
    "community",
    "communaute",
    "comunidad",
    "comune",
    "condado",
    "county",
    "comte",
    "department",
    "departamento",
    "departement",
    "district",
    "distrikt",
    "distrito",
    "division",
    "estado",
    "etat",
    "federal",
    "gemeinde",
    "gemeinschaft",
    "gobernacion",
    "gouvernorat",
    "governorate",
    "judet",
    "judetul",
    "kanton",
    "kraj",
    "krai",
    "kray",
    "kreis",
    "land",
    "metropolitan",
    "municipal",
    "municipalidad",
    "municipalite",
    "municipality",
    "municipio",
    "muhafazah",
    "oblast",
    "obcina",
    "okres",
    "okrug",
    "opstina",
    "parish",
    "paroisse",
    "parroquia",
    "prefectura",
    "prefecture",
    "prefektur",
    "prefettura",
    "province",
    "provincia",
    "provincie",
    "provinsi",
    "provinz",
    "qark",
    "raion",
    "rajon",
    "rajongemeinde",
    "rayon",
    "region",
    "regione",
    "regiao",
    "republic",
    "republica",
    "republik",
    "republique",
    "stadtgemeinde",
    "state",
    "stato",
    "territoire",
    "territorio",
    "territory",
    "voivodeship",
    "wilaya",
    "wojewodztwo",
    "woiwodschaft",
    "zila",
    "zupanija",
    "respublika",
    "special",
    "محافظة",
    "منطقة",
    "ولاية",
    "ولايت",
];

/// Little words that join a kind word to the name ("de", "du", "d’", "of the").
const JOINING_WORDS: &[&str] = &[
    "d", "da", "das", "de", "del", "della", "der", "des", "di", "die", "do", "dos", "du", "l",
    "la", "le", "les", "of", "the", "von",
];

/// `name` cleaned of source markup, and the other spellings it implies.
pub fn spellings(name: &str) -> Vec<String> {
    variants(name, false)
}

/// The other spellings of `name` that keep every word of it: "Korea, South" as "South
/// Korea", "Congo (Republic)" as "Republic Congo", "St. Lucia" as "Saint Lucia". Unlike
/// [`spellings`], never the part before a comma or outside brackets alone, which may have
/// lost what told two places apart ("Congo, Democratic Republic of").
pub fn rearrangements(name: &str) -> Vec<String> {
    variants(name, true)
}

fn variants(name: &str, keep_every_word: bool) -> Vec<String> {
    let cleaned = clean(name);
    let mut found: Vec<String> = Vec::new();
    let mut push = |spelling: String| {
        let spelling = spelling.trim().to_owned();
        if !spelling.is_empty() && !found.contains(&spelling) {
            found.push(spelling);
        }
    };
    let parts: Vec<&str> = cleaned
        .split(" / ")
        .flat_map(|part| part.split(';'))
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect();
    for part in parts {
        push(part.to_owned());
        if let Some((head, tail)) = part.split_once(", ") {
            push(format!("{tail} {head}"));
            if !keep_every_word {
                push(head.to_owned());
            }
        }
        if let Some(open) = part.find(" (") {
            let outside = &part[..open];
            let inside = part[open + 2..].trim_end_matches(')');
            push(format!("{inside} {outside}"));
            if !keep_every_word {
                push(outside.to_owned());
            }
        }
        if let Some(rest) = strip_word_prefix(part, "the ") {
            push(rest.to_owned());
        }
        for (long, short) in [("Saint ", "St "), ("Sainte ", "Ste "), ("Mount ", "Mt ")] {
            if part.starts_with(long) {
                push(part.replacen(long, short, 1));
            }
            if part.starts_with(short) {
                push(part.replacen(short, long, 1));
            }
            let (long_inner, short_inner) = (format!(" {long}"), format!(" {short}"));
            if part.contains(&long_inner) {
                push(part.replace(&long_inner, &short_inner));
            }
        }
    }
    found
}

/// A state's name without the words for its kind ("Aichi Prefecture" → "aichi",
/// "municipalité du district de Rokiškis" → "rokiskis"), lower case and without accents,
/// if it had such words and a name is left.
pub fn without_subdivision_word(name: &str) -> Option<String> {
    let plain = plain_lowercase(name);
    let words: Vec<&str> = plain
        .split(|character: char| character.is_whitespace() || matches!(character, '’' | '\'' | '-'))
        .filter(|word| !word.is_empty())
        .collect();
    let is_kind_or_joining =
        |word: &&str| KIND_WORDS.contains(word) || JOINING_WORDS.contains(word);
    let first = words.iter().position(|word| !is_kind_or_joining(word))?;
    let last = words.iter().rposition(|word| !is_kind_or_joining(word))?;
    if first == 0 && last + 1 == words.len() {
        return None;
    }
    let rest = words[first..=last].join(" ");
    (rest.chars().count() >= 3).then_some(rest)
}

/// Words for the kind of a town that the languages written without spaces join to its
/// name: Chinese and Japanese 市 (city), 区 (ward), 县 (county), 町 (town), 村 (village);
/// Korean 시 (city), 군 (county), 구 (district), 읍 (town). Longest first.
const TOWN_KIND_SUFFIXES: &[&str] = &[
    "自治县",
    "自治縣",
    "自治州",
    "自治旗",
    "地区",
    "地區",
    "街道",
    "市",
    "区",
    "區",
    "县",
    "縣",
    "镇",
    "鎮",
    "町",
    "村",
    "郡",
    "乡",
    "鄉",
    "시",
    "군",
    "구",
    "읍",
];

/// The same before the name: in Thai, อำเภอ (district), เมือง (town), เทศบาล…
/// (municipality); in Cyrillic, a word of its own: Bulgarian община (municipality), град
/// and Ukrainian місто, Russian город (city). Longest first.
const TOWN_KIND_PREFIXES: &[&str] = &[
    "เทศบาลนคร",
    "เทศบาลเมือง",
    "เทศบาลตำบล",
    "อำเภอ",
    "ตำบล",
    "เมือง",
    "община ",
    "Община ",
    "місто ",
    "Місто ",
    "город ",
    "Город ",
    "град ",
    "Град ",
];

/// The other ways a town written in Chinese, Japanese, Korean, Thai or Cyrillic is known, the
/// likeliest first: without the word for its kind ("網走市" → "網走", "อำเภออัมพวา" →
/// "อัมพวา", "Община Плевен" → "Плевен"), or,
/// for a bare name in Chinese characters or Hangul, with the words for a city, a county, a
/// ward, a town and a village ("柳州" → "柳州市", "柳州县", …). At least two characters of
/// the name must remain. Empty for names in other scripts.
pub fn town_kind_variants(name: &str) -> Vec<String> {
    let name = name.trim();
    let long_enough = |rest: &str| rest.chars().count() >= 2;
    if let Some(rest) = TOWN_KIND_SUFFIXES
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .filter(|rest| long_enough(rest) && rest.chars().all(is_han_or_hangul))
    {
        return vec![rest.to_owned()];
    }
    if let Some(rest) = TOWN_KIND_PREFIXES
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix))
        .filter(|rest| long_enough(rest))
    {
        return vec![rest.to_owned()];
    }
    let has_kind = TOWN_KIND_SUFFIXES
        .iter()
        .any(|suffix| name.ends_with(suffix));
    if has_kind || !long_enough(name) {
        return Vec::new();
    }
    let kinds: &[&str] = if name.chars().all(is_han) {
        &["市", "县", "区", "町", "村"]
    } else if name.chars().all(is_hangul) {
        &["시", "군", "구"]
    } else {
        &[]
    };
    kinds.iter().map(|kind| format!("{name}{kind}")).collect()
}

fn is_han(character: char) -> bool {
    matches!(character, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

fn is_hangul(character: char) -> bool {
    matches!(character, '\u{AC00}'..='\u{D7AF}')
}

fn is_han_or_hangul(character: char) -> bool {
    is_han(character) || is_hangul(character) || matches!(character, '\u{3040}'..='\u{30FF}')
}

/// Whether `word` (lower case, without accents) is one of the little words that join a name
/// ("of", "de", "the").
pub fn is_joining_word(word: &str) -> bool {
    JOINING_WORDS.contains(&word)
}

/// Lower case without accents, so "Département" meets "departement".
fn plain_lowercase(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfkd()
        .filter(|character| !super::fold::is_accent(*character))
        .flat_map(char::to_lowercase)
        .collect()
}

fn strip_word_prefix<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Drops the markers iso-codes puts on names ("Alacant*") and bracketed notes.
fn clean(name: &str) -> String {
    let without_notes = match name.find(" [") {
        Some(start) => &name[..start],
        None => name,
    };
    without_notes.replace('*', "").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inverted_iso_name_is_also_read_in_order_and_short() {
        let found = spellings("Bolivia, Plurinational State of");
        assert!(found.contains(&"Plurinational State of Bolivia".to_owned()));
        assert!(found.contains(&"Bolivia".to_owned()));
    }

    #[test]
    fn a_rearrangement_keeps_every_word() {
        let found = rearrangements("Congo, Democratic Republic of the");
        assert!(found.contains(&"Democratic Republic of the Congo".to_owned()));
        assert!(!found.contains(&"Congo".to_owned()));
    }

    #[test]
    fn saint_and_st_are_interchangeable() {
        assert!(spellings("Saint Lucia").contains(&"St Lucia".to_owned()));
        assert!(spellings("St Gallen").contains(&"Saint Gallen".to_owned()));
    }

    #[test]
    fn bilingual_names_are_split_and_markers_dropped() {
        let found = spellings("Alicante / Alacant*");
        assert_eq!(found, vec!["Alicante".to_owned(), "Alacant".to_owned()]);
    }

    #[test]
    fn the_word_for_a_towns_kind_is_read_past_in_chinese_japanese_korean_and_thai() {
        assert_eq!(town_kind_variants("網走市"), vec!["網走".to_owned()]);
        assert_eq!(town_kind_variants("수원시"), vec!["수원".to_owned()]);
        assert_eq!(town_kind_variants("อำเภออัมพวา"), vec!["อัมพวา".to_owned()]);
        assert_eq!(
            town_kind_variants("Община Плевен"),
            vec!["Плевен".to_owned()]
        );
        assert_eq!(
            town_kind_variants("柳州").first().map(String::as_str),
            Some("柳州市")
        );
        assert!(town_kind_variants("南皮").contains(&"南皮县".to_owned()));
        // A name of one character is no name once its kind is gone.
        assert!(town_kind_variants("沙市").is_empty());
        // Other scripts, and kind words of other scripts, are left alone.
        assert!(town_kind_variants("Kyoto").is_empty());
        assert!(town_kind_variants("Москва").is_empty());
    }

    #[test]
    fn the_kind_of_subdivision_is_not_part_of_its_name() {
        let stripped = |name: &str| without_subdivision_word(name);
        assert_eq!(stripped("Aichi Prefecture").as_deref(), Some("aichi"));
        assert_eq!(
            stripped("Provincia de Barcelona").as_deref(),
            Some("barcelona")
        );
        assert_eq!(stripped("Département du Nord").as_deref(), Some("nord"));
        assert_eq!(stripped("Chuadanga zila").as_deref(), Some("chuadanga"));
        assert_eq!(
            stripped("municipalité du district de Rokiškis").as_deref(),
            Some("rokiskis")
        );
        assert_eq!(
            stripped("wilaya d’Oum El Bouaghi").as_deref(),
            Some("oum el bouaghi")
        );
        assert_eq!(stripped("Region"), None);
        assert_eq!(stripped("Bavaria"), None);
    }
}
