//! The interactive TUI: one model, a pure update and view, effects performed by the runtime.
//! See `shared/reference/tui-architecture.md` §3-5 for the idioms followed.

pub mod app;
pub mod effect;
pub mod keymap;
pub mod model;
pub mod msg;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod view;
