//! The loaded window of customers: asking for the first or last page, prefetching the next
//! one as the selection nears an end, taking pages in and dropping the farthest past
//! [`MAX_ROWS`], and keeping the selection and scroll inside what is loaded.

use clientela_core::wire::ListPage;

use super::{App, Command, MAX_ROWS, PageSpan};

impl App {
    /// Forgets the loaded rows and asks for the first page of the current query.
    pub(crate) fn reload(&mut self) -> Command {
        self.generation += 1;
        self.rows.clear();
        self.next_cursor = None;
        self.previous_cursor = None;
        self.loading_backwards = false;
        self.total = None;
        self.pages.clear();
        self.selected = 0;
        self.scroll = 0;
        self.loading = true;
        self.follow_to_bottom = false;
        Command::LoadPage {
            generation: self.generation,
            query: self.query.clone(),
            after: None,
            before: None,
        }
    }

    /// Forgets the loaded rows and asks for the last page: one request however many
    /// customers come before it (they are loaded as the selection moves up to them).
    pub(crate) fn reload_from_end(&mut self) -> Command {
        let Command::LoadPage {
            generation, query, ..
        } = self.reload()
        else {
            unreachable!("reload always loads a page")
        };
        self.loading_backwards = true;
        self.follow_to_bottom = true;
        Command::LoadPage {
            generation,
            query,
            after: None,
            before: Some(String::new()),
        }
    }

    /// The next page, when the selection is near the end of what is loaded (or `G` wants
    /// everything): prefetching keeps scrolling smooth through thousands of rows.
    pub(crate) fn next_page_if_needed(&mut self) -> Option<Command> {
        if self.loading {
            return None;
        }
        let margin = (self.viewport_rows * 2).max(50);
        if let Some(before) = self.previous_cursor.clone()
            && self.selected <= margin
        {
            self.loading = true;
            self.loading_backwards = true;
            return Some(Command::LoadPage {
                generation: self.generation,
                query: self.query.clone(),
                after: None,
                before: Some(before),
            });
        }
        let after = self.next_cursor.clone()?;
        let near_end = self.rows.len().saturating_sub(self.selected) <= margin;
        if !(near_end || self.follow_to_bottom) {
            return None;
        }
        self.loading = true;
        Some(Command::LoadPage {
            generation: self.generation,
            query: self.query.clone(),
            after: Some(after),
            before: None,
        })
    }

    pub(crate) fn select(&mut self, index: usize) {
        self.selected = index.min(self.rows.len().saturating_sub(1));
        let visible = self.viewport_rows.max(1);
        if self.selected < self.scroll {
            self.scroll = self.selected;
        } else if self.selected >= self.scroll + visible {
            self.scroll = self.selected + 1 - visible;
        }
    }

    /// Takes in a page: appended, or prepended when it was asked for backwards. Then drops
    /// whole pages from the end farther from the selection while more than [`MAX_ROWS`]
    /// rows are held.
    pub(crate) fn take_page(&mut self, page: ListPage, backwards: bool) {
        let span = PageSpan {
            len: page.items.len(),
            previous: page.previous,
            next: page.next,
        };
        if backwards {
            let first_page = self.rows.is_empty();
            let mut rows = page.items;
            rows.append(&mut self.rows);
            self.rows = rows;
            if !first_page {
                self.selected += span.len;
                self.scroll += span.len;
            }
            self.pages.push_front(span);
        } else {
            self.rows.extend(page.items);
            self.pages.push_back(span);
        }
        while self.rows.len() > MAX_ROWS && self.pages.len() > 1 {
            let room_before = self.selected;
            let room_after = self.rows.len().saturating_sub(self.selected + 1);
            if room_before >= room_after {
                let Some(dropped) = self.pages.pop_front() else {
                    break;
                };
                self.rows.drain(..dropped.len.min(self.rows.len()));
                self.selected = self.selected.saturating_sub(dropped.len);
                self.scroll = self.scroll.saturating_sub(dropped.len);
            } else {
                let Some(dropped) = self.pages.pop_back() else {
                    break;
                };
                let keep = self.rows.len().saturating_sub(dropped.len);
                self.rows.truncate(keep);
            }
        }
        self.previous_cursor = self.pages.front().and_then(|page| page.previous.clone());
        self.next_cursor = self.pages.back().and_then(|page| page.next.clone());
    }

    /// Removes one row (deleted, or gone from the server), keeping the page spans right.
    pub(crate) fn remove_row(&mut self, index: usize) {
        if index >= self.rows.len() {
            return;
        }
        self.rows.remove(index);
        let mut start = 0;
        for page in &mut self.pages {
            if index < start + page.len {
                page.len -= 1;
                break;
            }
            start += page.len;
        }
        let selected = self.selected;
        self.select(selected);
    }

    pub(crate) fn row_index(&self, code: &str) -> Option<usize> {
        self.rows.iter().position(|row| row.code == code)
    }
}
