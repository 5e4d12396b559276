//! The spellings one source name stands for: "Bolivia, Plurinational State of" is also
//! "Plurinational State of Bolivia" and "Bolivia"; "Saint Lucia" is also "St. Lucia";
//! "Aichi Prefecture" is also "Aichi".

/// Words that name the kind of subdivision rather than the subdivision; a state is also
/// known without them.
const SUBDIVISION_WORDS: &[&str] = &[
    "autonomous community of",
    "autonomous region",
    "autonomous republic",
    "autonomous okrug",
    "capital district",
    "capital territory",
    "city of",
    "community of",
    "county",
    "department",
    "district",
    "federal district",
    "governorate",
    "krai",
    "municipality",
    "oblast",
    "parish",
    "prefecture",
    "province of",
    "province",
    "provincia de",
    "provincia di",
    "provincia",
    "region of",
    "region",
    "republic of",
    "state of",
    "state",
    "territory",
    "voivodeship",
];

/// `name` cleaned of source markup, and the other spellings it implies.
pub fn spellings(name: &str) -> Vec<String> {
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
            push(head.to_owned());
        }
        if let Some(open) = part.find(" (") {
            let outside = &part[..open];
            let inside = part[open + 2..].trim_end_matches(')');
            push(outside.to_owned());
            push(format!("{inside} {outside}"));
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

/// A state's name without the word for its kind ("Aichi Prefecture" → "Aichi"), if it had
/// one and something is left.
pub fn without_subdivision_word(name: &str) -> Option<String> {
    let lowered = name.to_lowercase();
    for word in SUBDIVISION_WORDS {
        let stripped = if let Some(rest) = strip_word_prefix(&lowered, &format!("{word} ")) {
            Some(&name[name.len() - rest.len()..])
        } else if lowered.ends_with(&format!(" {word}")) {
            Some(&name[..name.len() - word.len() - 1])
        } else {
            None
        };
        if let Some(rest) = stripped
            .map(str::trim)
            .filter(|rest| rest.chars().count() >= 3)
        {
            return Some(rest.to_owned());
        }
    }
    None
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
    fn the_kind_of_subdivision_is_not_part_of_its_name() {
        assert_eq!(
            without_subdivision_word("Aichi Prefecture").as_deref(),
            Some("Aichi")
        );
        assert_eq!(
            without_subdivision_word("Provincia de Barcelona").as_deref(),
            Some("Barcelona")
        );
        assert_eq!(without_subdivision_word("Region"), None);
    }
}
