//! Text editing for the prompts and the form: a one-line input and a multi-line text area,
//! both with a cursor counted in characters so accents and emoji edit as one unit.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One line of editable text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    text: String,
    /// Position in characters, 0..=len.
    cursor: usize,
}

impl LineInput {
    pub fn new(text: &str) -> LineInput {
        LineInput {
            text: text.to_owned(),
            cursor: text.chars().count(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Applies an editing key; returns whether the text changed.
    pub fn handle(&mut self, key: &KeyEvent) -> bool {
        edit_line(&mut self.text, &mut self.cursor, key)
    }
}

/// Edits one line in place. Shared by [`LineInput`] and each line of [`TextArea`].
fn edit_line(text: &mut String, cursor: &mut usize, key: &KeyEvent) -> bool {
    let length = text.chars().count();
    *cursor = (*cursor).min(length);
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('u') {
        // Ctrl-U, as in a shell: drop everything before the cursor.
        let cut = byte_index(text, *cursor);
        text.replace_range(..cut, "");
        let changed = *cursor > 0;
        *cursor = 0;
        return changed;
    }
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return false;
    }
    match key.code {
        KeyCode::Char(character) => {
            text.insert(byte_index(text, *cursor), character);
            *cursor += 1;
            true
        }
        KeyCode::Backspace if *cursor > 0 => {
            *cursor -= 1;
            text.remove(byte_index(text, *cursor));
            true
        }
        KeyCode::Delete if *cursor < length => {
            text.remove(byte_index(text, *cursor));
            true
        }
        KeyCode::Left => {
            *cursor = cursor.saturating_sub(1);
            false
        }
        KeyCode::Right => {
            *cursor = (*cursor + 1).min(length);
            false
        }
        KeyCode::Home => {
            *cursor = 0;
            false
        }
        KeyCode::End => {
            *cursor = length;
            false
        }
        _ => false,
    }
}

fn byte_index(text: &str, char_index: usize) -> usize {
    text.char_indices()
        .nth(char_index)
        .map_or(text.len(), |(index, _)| index)
}

/// Several lines of editable text (the metadata JSON editor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextArea {
    lines: Vec<String>,
    row: usize,
    /// Position in characters within `lines[row]`.
    column: usize,
}

impl Default for TextArea {
    fn default() -> Self {
        TextArea::new("")
    }
}

impl TextArea {
    pub fn new(text: &str) -> TextArea {
        let lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
        TextArea {
            lines,
            row: 0,
            column: 0,
        }
    }

    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// (row, column), both from 0, the column in characters.
    pub fn cursor(&self) -> (usize, usize) {
        (self.row, self.column)
    }

    /// Applies an editing key; returns whether the text changed.
    pub fn handle(&mut self, key: &KeyEvent) -> bool {
        let line_length = |area: &TextArea, row: usize| {
            area.lines.get(row).map_or(0, |line| line.chars().count())
        };
        match key.code {
            KeyCode::Enter => {
                let line = &mut self.lines[self.row];
                let split_at = byte_index(line, self.column);
                let rest = line.split_off(split_at);
                // Keep the indentation of the line being split: JSON is edited by hand here.
                let indent: String = line.chars().take_while(|c| *c == ' ').collect();
                self.row += 1;
                self.column = indent.chars().count();
                self.lines.insert(self.row, indent + &rest);
                true
            }
            KeyCode::Backspace if self.column == 0 && self.row > 0 => {
                let removed = self.lines.remove(self.row);
                self.row -= 1;
                self.column = line_length(self, self.row);
                self.lines[self.row].push_str(&removed);
                true
            }
            KeyCode::Delete
                if self.column >= line_length(self, self.row)
                    && self.row + 1 < self.lines.len() =>
            {
                let next = self.lines.remove(self.row + 1);
                self.lines[self.row].push_str(&next);
                true
            }
            KeyCode::Up => {
                self.row = self.row.saturating_sub(1);
                self.column = self.column.min(line_length(self, self.row));
                false
            }
            KeyCode::Down => {
                self.row = (self.row + 1).min(self.lines.len() - 1);
                self.column = self.column.min(line_length(self, self.row));
                false
            }
            _ => edit_line(&mut self.lines[self.row], &mut self.column, key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn type_text(input: &mut LineInput, text: &str) {
        for character in text.chars() {
            input.handle(&key(KeyCode::Char(character)));
        }
    }

    #[test]
    fn typing_inserts_at_the_cursor_and_backspace_removes_before_it() {
        let mut input = LineInput::new("Españ");
        input.handle(&key(KeyCode::Left));
        type_text(&mut input, "ñ");
        assert_eq!(input.text(), "Españñ");
        input.handle(&key(KeyCode::Backspace));
        input.handle(&key(KeyCode::End));
        type_text(&mut input, "a");
        assert_eq!(input.text(), "España");
        assert_eq!(input.cursor(), 6);
    }

    #[test]
    fn control_keys_are_not_typed_as_text() {
        let mut input = LineInput::new("");
        let changed = input.handle(&KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
        assert!(!changed);
        assert_eq!(input.text(), "");
    }

    #[test]
    fn ctrl_u_clears_the_text_before_the_cursor() {
        let mut input = LineInput::new("Atlantis");
        input.handle(&key(KeyCode::Left));
        assert!(input.handle(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)));
        assert_eq!(input.text(), "s");
        assert_eq!(input.cursor(), 0);
    }

    #[test]
    fn enter_splits_a_line_keeping_its_indentation() {
        let mut area = TextArea::new("{\n  \"a\": 1}");
        area.handle(&key(KeyCode::Down));
        area.handle(&key(KeyCode::End));
        area.handle(&key(KeyCode::Left));
        area.handle(&key(KeyCode::Enter));
        assert_eq!(area.text(), "{\n  \"a\": 1\n  }");
        assert_eq!(area.cursor(), (2, 2));
    }

    #[test]
    fn backspace_at_a_line_start_joins_it_to_the_previous_line() {
        let mut area = TextArea::new("ab\ncd");
        area.handle(&key(KeyCode::Down));
        area.handle(&key(KeyCode::Home));
        area.handle(&key(KeyCode::Backspace));
        assert_eq!(area.text(), "abcd");
        assert_eq!(area.cursor(), (0, 2));
    }

    #[test]
    fn delete_at_a_line_end_pulls_up_the_next_line() {
        let mut area = TextArea::new("ab\ncd");
        area.handle(&key(KeyCode::End));
        area.handle(&key(KeyCode::Delete));
        assert_eq!(area.lines(), ["abcd"]);
    }
}
