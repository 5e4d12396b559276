//! Folding place names for comparison: case, accents, punctuation and spacing do not matter.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds `text` to the key the gazetteer is indexed by: Unicode NFKD with the combining marks
/// dropped, lower case, letters and digits only, so `" U.S.A "`, `"usa"` and `"U S A"` fold
/// alike and `"Zürich"` meets `"Zurich"`. `&` reads as "and".
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for character in text.nfkd() {
        if is_combining_mark(character) {
            continue;
        }
        if character == '&' {
            folded.push_str("and");
            continue;
        }
        if !character.is_alphanumeric() {
            continue;
        }
        match latin_letter_without_decomposition(character) {
            Some(spelled) => folded.push_str(spelled),
            None => folded.extend(character.to_lowercase()),
        }
    }
    folded
}

/// Latin letters that NFKD leaves whole although writers routinely spell them without the
/// stroke or ligature (Łódź as Lodz, Straße as Strasse, Færøerne as Faeroerne).
fn latin_letter_without_decomposition(character: char) -> Option<&'static str> {
    Some(match character {
        'ß' | 'ẞ' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'ø' | 'Ø' => "o",
        'đ' | 'Đ' | 'ð' | 'Ð' => "d",
        'ł' | 'Ł' => "l",
        'ħ' | 'Ħ' => "h",
        'ı' => "i",
        'þ' | 'Þ' => "th",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn case_punctuation_and_spacing_do_not_matter() {
        assert_eq!(fold(" U.S.A "), "usa");
        assert_eq!(fold("Bosnia-and Herzegovina"), "bosniaandherzegovina");
    }

    #[test]
    fn accents_fold_away() {
        assert_eq!(fold("Zürich"), fold("Zurich"));
        assert_eq!(fold("Côte d’Ivoire"), "cotedivoire");
        assert_eq!(fold("A Coruña"), "acoruna");
        assert_eq!(fold("TÜRKİYE"), "turkiye");
    }

    #[test]
    fn letters_without_a_decomposition_are_spelled_out() {
        assert_eq!(fold("Łódź"), "lodz");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Færøerne"), "faeroerne");
    }

    #[test]
    fn an_ampersand_reads_as_and() {
        assert_eq!(fold("Bosnia & Herzegovina"), fold("Bosnia and Herzegovina"));
    }

    #[test]
    fn compatibility_forms_fold_to_their_plain_letters() {
        assert_eq!(fold("ＴＯＫＹＯ"), "tokyo");
    }

    #[test]
    fn other_scripts_keep_their_letters() {
        assert_eq!(fold("Москва"), "москва");
        assert_eq!(fold("東京"), "東京");
    }
}
