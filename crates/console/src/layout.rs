//! The screen's geometry that both the state and the drawing need: how many customer rows
//! fit, and from which width the detail opens beside the list. [`crate::app`] sizes pages and
//! scrolling with it, [`crate::ui`] lays out the frame with it; it depends on neither.

/// Lines around the table: title, table header, status, message.
const CHROME_LINES: u16 = 4;

/// From this width on, the detail pane opens beside the list instead of over it.
pub const SIDE_BY_SIDE_MIN_WIDTH: u16 = 140;

/// Whether a terminal (or body) `width` cells wide shows the list and the detail side by side.
pub fn is_side_by_side(width: u16) -> bool {
    width >= SIDE_BY_SIDE_MIN_WIDTH
}

/// How many customer rows fit on a terminal `height` lines tall.
pub fn list_rows_for_height(height: u16) -> usize {
    usize::from(height.saturating_sub(CHROME_LINES)).max(1)
}
