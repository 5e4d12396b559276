//! The parts of a value such as "Congo (Brazzaville)", "Guiana (France)", "GEORGIA, U.S.A."
//! or "CONGO, Democratic Republic of (was Zaire)": the name itself, and the qualifiers that
//! say which of its look-alikes is meant. Text alone; `lookup/country.rs` reads what each
//! qualifier names.

/// A value split into the name and its qualifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Parts {
    /// The value without its qualifiers ("Congo").
    pub core: String,
    /// Each qualifier's text, without brackets and remark words ("Brazzaville", "Zaire").
    pub qualifiers: Vec<String>,
}

/// Words that open a remark about another name of the same place ("was Zaire", "formerly
/// Burma"): the rest of the remark names the place too.
const REMARK_WORDS: &[&str] = &[
    "was",
    "formerly",
    "former",
    "previously",
    "now",
    "ex",
    "aka",
    "also",
    "called",
    "known",
    "as",
];

/// The value split into its name and qualifiers: text in brackets anywhere, and what
/// follows the first comma. `None` when there is no qualifier, or nothing else.
pub(super) fn split(text: &str) -> Option<Parts> {
    let mut core = String::with_capacity(text.len());
    let mut qualifiers = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['(', '[']) {
        let close_char = if rest[open..].starts_with('(') {
            ')'
        } else {
            ']'
        };
        core.push_str(&rest[..open]);
        let inside = &rest[open + 1..];
        let (qualifier, after) = match inside.find(close_char) {
            Some(close) => (&inside[..close], &inside[close + 1..]),
            None => (inside, ""),
        };
        qualifiers.push(qualifier.to_owned());
        rest = after;
    }
    core.push_str(rest);
    let mut core = core.trim().to_owned();
    if let Some((head, tail)) = core.split_once(',') {
        qualifiers.insert(0, tail.to_owned());
        core = head.trim().to_owned();
    }
    let qualifiers: Vec<String> = qualifiers
        .iter()
        .map(|qualifier| without_remark_words(qualifier))
        .filter(|qualifier| qualifier.chars().any(char::is_alphanumeric))
        .collect();
    let has_name = core.chars().any(char::is_alphanumeric);
    (has_name && !qualifiers.is_empty()).then_some(Parts { core, qualifiers })
}

/// "was Zaire" as "Zaire".
fn without_remark_words(qualifier: &str) -> String {
    let mut words = qualifier
        .split(|character: char| character.is_whitespace() || character == '-')
        .filter(|word| !word.is_empty())
        .peekable();
    while words
        .peek()
        .is_some_and(|word| REMARK_WORDS.contains(&word.to_lowercase().as_str()))
    {
        words.next();
    }
    words.collect::<Vec<_>>().join(" ")
}

/// The words of a qualifier, for reading them one by one ("Dutch portion").
pub(super) fn words(qualifier: &str) -> impl Iterator<Item = &str> {
    qualifier
        .split(|character: char| !character.is_alphanumeric() && character != '.')
        .filter(|word| !word.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> Option<(String, Vec<String>)> {
        split(text).map(|parts| (parts.core, parts.qualifiers))
    }

    #[test]
    fn brackets_are_qualifiers() {
        assert_eq!(
            parts("Congo (Brazzaville)"),
            Some(("Congo".into(), vec!["Brazzaville".into()]))
        );
        assert_eq!(
            parts("Гвиана (Франция)"),
            Some(("Гвиана".into(), vec!["Франция".into()]))
        );
    }

    #[test]
    fn what_follows_a_comma_is_a_qualifier_and_remarks_lose_their_remark_word() {
        assert_eq!(
            parts("CONGO, Democratic Republic of (was Zaire)"),
            Some((
                "CONGO".into(),
                vec!["Democratic Republic of".into(), "Zaire".into()]
            ))
        );
        assert_eq!(
            parts("GEORGIA, U.S.A."),
            Some(("GEORGIA".into(), vec!["U.S.A.".into()]))
        );
    }

    #[test]
    fn a_value_without_qualifiers_is_not_split() {
        assert_eq!(parts("Congo"), None);
        assert_eq!(parts("(France)"), None);
        assert_eq!(parts("Congo ()"), None);
    }
}
