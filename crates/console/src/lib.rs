//! clientela-console: a terminal admin console for the clientela API.
//!
//! The Elm shape: [`app`] holds the state and the pure `update`, [`ui`] draws it, [`client`]
//! talks HTTP on worker threads, and [`run`] is the event loop that joins them. Key bindings
//! live in [`keys`], every user-facing text in [`strings`], and the screen geometry both
//! `app` and `ui` need in [`layout`].
//!
//! Architecture Invariant: the console reaches customers only through the HTTP API; it never
//! depends on the store or a database driver (CI checks `cargo tree -i diesel`).

pub mod app;
pub mod cli;
pub mod client;
pub mod form;
pub mod input;
pub mod keys;
pub mod layout;
pub mod run;
pub mod strings;
pub mod ui;

#[cfg(test)]
mod test_support;
