//! Reading GNU gettext `.mo` catalogues, the form Debian's iso-codes ships its translated
//! country and subdivision names in.

use std::collections::HashMap;

use anyhow::{Result, bail};

/// The catalogue's message → translation pairs (plural forms and the header dropped).
pub fn read(bytes: &[u8]) -> Result<HashMap<String, String>> {
    let little_endian = match bytes.get(0..4) {
        Some([0xde, 0x12, 0x04, 0x95]) => true,
        Some([0x95, 0x04, 0x12, 0xde]) => false,
        _ => bail!("not a .mo file"),
    };
    let word = |offset: usize| -> Result<usize> {
        let Some(slice) = bytes.get(offset..offset + 4) else {
            bail!("truncated .mo file");
        };
        let array = [slice[0], slice[1], slice[2], slice[3]];
        let value = if little_endian {
            u32::from_le_bytes(array)
        } else {
            u32::from_be_bytes(array)
        };
        Ok(value as usize)
    };
    let string = |table: usize, index: usize| -> Result<&str> {
        let length = word(table + index * 8)?;
        let offset = word(table + index * 8 + 4)?;
        let Some(slice) = bytes.get(offset..offset + length) else {
            bail!("truncated .mo string");
        };
        Ok(std::str::from_utf8(slice).unwrap_or_default())
    };
    let count = word(8)?;
    let originals = word(12)?;
    let translations = word(16)?;
    let mut catalogue = HashMap::with_capacity(count);
    for index in 0..count {
        let original = string(originals, index)?;
        let translated = string(translations, index)?;
        if original.is_empty() || translated.is_empty() || original.contains('\0') {
            continue;
        }
        let translated = translated.split('\0').next().unwrap_or_default();
        catalogue.insert(original.to_owned(), translated.to_owned());
    }
    Ok(catalogue)
}

#[cfg(test)]
mod tests {
    use super::read;

    /// A catalogue with the header entry and one message, laid out as msgfmt writes it.
    fn catalogue() -> Vec<u8> {
        let originals: [&[u8]; 2] = [b"", b"Spain"];
        let translations: [&[u8]; 2] = [b"Content-Type: text/plain\n", b"Espa\xc3\xb1a"];
        let mut bytes = Vec::new();
        let header = 28;
        let strings_start = header + 2 * 16;
        let mut strings = Vec::new();
        let table = |texts: [&[u8]; 2], strings: &mut Vec<u8>| {
            let mut entries = Vec::new();
            for text in texts {
                let offset = strings_start + strings.len();
                entries.extend((text.len() as u32).to_le_bytes());
                entries.extend((offset as u32).to_le_bytes());
                strings.extend(text);
                strings.push(0);
            }
            entries
        };
        let original_table = table(originals, &mut strings);
        let translation_table = table(translations, &mut strings);
        for value in [
            0x9504_12de_u32,
            0,
            2,
            header as u32,
            (header + 16) as u32,
            0,
            0,
        ] {
            bytes.extend(value.to_le_bytes());
        }
        bytes.extend(original_table);
        bytes.extend(translation_table);
        bytes.extend(strings);
        bytes
    }

    #[test]
    fn a_catalogue_yields_its_translations_without_the_header() {
        let read = read(&catalogue()).unwrap_or_default();
        assert_eq!(read.get("Spain").map(String::as_str), Some("España"));
        assert_eq!(read.len(), 1);
    }

    #[test]
    fn other_files_are_refused() {
        assert!(read(b"not a catalogue at all").is_err());
    }
}
