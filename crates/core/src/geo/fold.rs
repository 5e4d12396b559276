//! Folding place names for comparison: case and punctuation do not matter.

/// Lower-cases `text` and keeps only its letters and digits, so `" U.S.A "`, `"usa"` and
/// `"U S A"` fold alike.
pub fn fold(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn case_punctuation_and_spacing_do_not_matter() {
        assert_eq!(fold(" U.S.A "), "usa");
        assert_eq!(fold("Bosnia-and Herzegovina"), "bosniaandherzegovina");
    }
}
