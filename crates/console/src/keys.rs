//! Every key binding: which key means what in each mode, and the table the help overlay and
//! docs/console.md show. Changing a binding here changes it everywhere.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::strings;

/// What a key does while the customer list (or the detail pane over it) has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListAction {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Search,
    CycleActive,
    Country,
    Open,
    Toggle,
    Edit,
    New,
    Delete,
    Reload,
    Help,
    Quit,
    Back,
}

/// What a key does in the edit form, before it reaches the focused field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormAction {
    Save,
    Cancel,
    NextField,
    PreviousField,
}

/// Ctrl-C quits from every mode, including the form and the prompts where `q` is text.
pub fn is_force_quit(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c')
}

pub fn list_action(key: &KeyEvent) -> Option<ListAction> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return None;
    }
    let action = match key.code {
        KeyCode::Up | KeyCode::Char('k') => ListAction::Up,
        KeyCode::Down | KeyCode::Char('j') => ListAction::Down,
        KeyCode::PageUp => ListAction::PageUp,
        KeyCode::PageDown => ListAction::PageDown,
        KeyCode::Home | KeyCode::Char('g') => ListAction::Top,
        KeyCode::End | KeyCode::Char('G') => ListAction::Bottom,
        KeyCode::Char('/') => ListAction::Search,
        KeyCode::Char('f') => ListAction::CycleActive,
        KeyCode::Char('c') => ListAction::Country,
        KeyCode::Enter => ListAction::Open,
        KeyCode::Char(' ') => ListAction::Toggle,
        KeyCode::Char('e') => ListAction::Edit,
        KeyCode::Char('n') => ListAction::New,
        KeyCode::Char('d') => ListAction::Delete,
        KeyCode::Char('r') => ListAction::Reload,
        KeyCode::Char('?') => ListAction::Help,
        KeyCode::Char('q') => ListAction::Quit,
        KeyCode::Esc => ListAction::Back,
        _ => return None,
    };
    Some(action)
}

pub fn form_action(key: &KeyEvent) -> Option<FormAction> {
    match key.code {
        KeyCode::Char('s') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            Some(FormAction::Save)
        }
        KeyCode::Esc => Some(FormAction::Cancel),
        KeyCode::Tab => Some(FormAction::NextField),
        KeyCode::BackTab => Some(FormAction::PreviousField),
        _ => None,
    }
}

/// Applies a prompt's text (the code prefix or country filter).
pub fn is_submit(key: &KeyEvent) -> bool {
    key.code == KeyCode::Enter
}

/// Confirms a delete; every other key keeps the customer.
pub fn is_confirm(key: &KeyEvent) -> bool {
    matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y'))
}

/// One line of the key table: the keys as a person types them, and what they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub keys: &'static str,
    pub does: &'static str,
}

/// The key table shown by `?` and copied into docs/console.md.
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: "↑ ↓  k j",
        does: strings::DOES_MOVE,
    },
    Binding {
        keys: "PgUp PgDn",
        does: strings::DOES_PAGE,
    },
    Binding {
        keys: "g G  Home End",
        does: strings::DOES_ENDS,
    },
    Binding {
        keys: "/",
        does: strings::DOES_SEARCH,
    },
    Binding {
        keys: "f",
        does: strings::DOES_CYCLE_ACTIVE,
    },
    Binding {
        keys: "c",
        does: strings::DOES_COUNTRY,
    },
    Binding {
        keys: "Enter",
        does: strings::DOES_OPEN,
    },
    Binding {
        keys: "Space",
        does: strings::DOES_TOGGLE,
    },
    Binding {
        keys: "e",
        does: strings::DOES_EDIT,
    },
    Binding {
        keys: "n",
        does: strings::DOES_NEW,
    },
    Binding {
        keys: "d",
        does: strings::DOES_DELETE,
    },
    Binding {
        keys: "r",
        does: strings::DOES_RELOAD,
    },
    Binding {
        keys: "?",
        does: strings::DOES_HELP,
    },
    Binding {
        keys: "q  Ctrl-C",
        does: strings::DOES_QUIT,
    },
    Binding {
        keys: "Tab Shift-Tab",
        does: strings::DOES_FORM_FIELDS,
    },
    Binding {
        keys: "Space ← →",
        does: strings::DOES_FORM_CHOICE,
    },
    Binding {
        keys: "Ctrl-U",
        does: strings::DOES_FORM_CLEAR,
    },
    Binding {
        keys: "Ctrl-S",
        does: strings::DOES_FORM_SAVE,
    },
    Binding {
        keys: "Esc",
        does: strings::DOES_FORM_CANCEL,
    },
];

/// The key table as Markdown, for docs/console.md.
pub fn markdown_table() -> String {
    let mut table = String::from("| keys | what they do |\n|---|---|\n");
    for binding in BINDINGS {
        table.push_str(&format!("| `{}` | {} |\n", binding.keys, binding.does));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_key_table_is_the_one_the_help_shows() {
        let page = include_str!("../../../docs/console.md");
        let table = markdown_table();
        assert!(
            page.contains(&table),
            "docs/console.md must hold this key table:\n{table}"
        );
    }

    #[test]
    fn every_list_key_in_the_table_does_something() {
        for key in [
            'k', 'j', 'g', 'G', '/', 'f', 'c', ' ', 'e', 'n', 'd', 'r', '?', 'q',
        ] {
            let event = KeyEvent::new(KeyCode::Char(key), KeyModifiers::NONE);
            assert!(list_action(&event).is_some(), "`{key}` is not bound");
        }
    }
}
