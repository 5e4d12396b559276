//! Folding place names for comparison: case, accents, punctuation and spacing do not matter.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds `text` to the key the gazetteer is indexed by: Unicode NFKD with accents dropped,
/// lower case, letters and digits only, so `" U.S.A "`, `"usa"` and `"U S A"` fold alike and
/// `"Zürich"` meets `"Zurich"`. `&` reads as "and".
///
/// Only marks that writers leave out are dropped: accents (the combining diacritics blocks)
/// and the optional vowel points of Arabic and Hebrew. The vowel signs of the Indic and
/// South-East Asian scripts, and the Japanese voicing marks, are letters of the word: without
/// them Tamil கினியா (Guinea) and கென்யா (Kenya) would be one key.
///
/// The Persian and Urdu forms of three Arabic letters fold to the Arabic ones (ک to ك, ی to
/// ي, ہ to ه): one name is written with either, as Urdu لاہور and Arabic لاهور (Lahore).
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for character in text.nfkd() {
        if is_accent(character) {
            continue;
        }
        if character == '&' {
            folded.push_str("and");
            continue;
        }
        if is_combining_mark(character) {
            folded.push(character);
            continue;
        }
        if !character.is_alphanumeric() {
            continue;
        }
        match latin_letter_without_decomposition(character) {
            Some(spelled) => folded.push_str(spelled),
            None => folded.extend(arabic_form(character).to_lowercase()),
        }
    }
    folded
}

/// The Arabic letter that Persian and Urdu write in another form: keheh, farsi yeh and heh
/// goal as kaf, yeh and heh. Other letters are returned as they are.
fn arabic_form(character: char) -> char {
    match character {
        '\u{06A9}' => '\u{0643}',
        '\u{06CC}' => '\u{064A}',
        '\u{06C1}' => '\u{0647}',
        other => other,
    }
}

/// A mark that spelling leaves out without changing the word.
pub(super) fn is_accent(character: char) -> bool {
    matches!(
        character,
        '\u{0300}'..='\u{036F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}'
            | '\u{0591}'..='\u{05C7}'
            | '\u{064B}'..='\u{065F}'
            | '\u{0670}'
    )
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
    fn vowel_signs_are_part_of_the_word_in_indic_scripts() {
        assert_ne!(fold("கினியா"), fold("கென்யா"));
        assert_ne!(fold("ಹೊಂಡುರಾಸ್"), fold("ಮೆಕ್ಸಿಕೊ"));
    }

    #[test]
    fn arabic_vowel_points_and_japanese_voicing_are_told_apart_as_writers_do() {
        assert_eq!(fold("مِصْر"), fold("مصر"));
        assert_ne!(fold("ガーナ"), fold("カーナ"));
    }

    #[test]
    fn persian_and_urdu_forms_of_arabic_letters_fold_to_the_arabic_ones() {
        assert_eq!(fold("لاہور"), fold("لاهور"));
        assert_eq!(fold("کرمان"), fold("كرمان"));
        assert_eq!(fold("کراچی"), fold("كراچي"));
        // Presentation forms reach the same letters through NFKD.
        assert_eq!(fold("\u{FB8F}"), fold("ك"));
        assert_ne!(fold("ھ"), fold("ه"));
    }

    #[test]
    fn other_scripts_keep_their_letters() {
        assert_eq!(fold("Москва"), "москва");
        assert_eq!(fold("東京"), "東京");
    }
}
