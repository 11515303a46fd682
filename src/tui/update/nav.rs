//! Moving between screens: a back stack, so `esc` always returns the way the operator came,
//! never into a cycle. Going to a screen already on the stack returns to it (the stack is cut
//! there), so the stack never holds a screen twice and `esc` reaches the organizations screen
//! in at most as many presses as there are screens.

use crate::tui::model::{Model, Screen};

/// Opens `screen` on top of the current one.
pub fn go(m: &mut Model, screen: Screen) {
    if m.screen == screen {
        return;
    }
    if let Some(i) = m.back.iter().position(|s| *s == screen) {
        m.back.truncate(i);
    } else {
        m.back.push(m.screen);
    }
    m.screen = screen;
}

/// Opens `screen` in place of the current one, which `esc` will not return to (a sent
/// batch's confirm screen, say).
pub fn replace(m: &mut Model, screen: Screen) {
    if let Some(i) = m.back.iter().position(|s| *s == screen) {
        m.back.truncate(i);
    }
    m.screen = screen;
}

/// Returns to the previous screen; the organizations screen (or sign-in) is the bottom.
pub fn back(m: &mut Model) {
    m.screen = m.back.pop().unwrap_or(if m.session.is_some() {
        Screen::Orgs
    } else {
        Screen::SignIn
    });
}

/// Starts over at `screen` with nothing behind it (after signing in).
pub fn reset(m: &mut Model, screen: Screen) {
    m.back.clear();
    m.screen = screen;
}
