//! The terminal guard: raw mode, alternate screen, bracketed paste and (optionally) mouse,
//! undone on every exit path: normal return, error, panic (chained hook), signal, and around a
//! Ctrl-Z suspend. Each restore step runs on its own, so one failing step cannot leave the
//! others undone, and restoring twice is harmless.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};

static ACTIVE: AtomicBool = AtomicBool::new(false);
static MOUSE: AtomicBool = AtomicBool::new(false);

/// Puts the terminal into TUI mode; dropping it restores the terminal.
pub struct TerminalGuard;

impl TerminalGuard {
    pub fn enter(mouse: bool) -> io::Result<TerminalGuard> {
        install_panic_hook();
        MOUSE.store(mouse, Ordering::SeqCst);
        resume()?;
        Ok(TerminalGuard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Best-effort, idempotent restore.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    if MOUSE.load(Ordering::SeqCst) {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(out, DisableBracketedPaste);
    let _ = execute!(out, LeaveAlternateScreen);
    let _ = execute!(out, cursor::Show);
    let _ = disable_raw_mode();
    let _ = out.flush();
}

/// Enters TUI mode: at start, and again after a suspend.
pub fn resume() -> io::Result<()> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut out = io::stdout();
    execute!(
        out,
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )?;
    if MOUSE.load(Ordering::SeqCst) {
        execute!(out, EnableMouseCapture)?;
    }
    Ok(())
}

/// Ctrl-Z: give the terminal back, stop the process, and take the terminal again on `fg`.
#[cfg(unix)]
pub fn suspend() -> io::Result<()> {
    restore();
    // SIGTSTP with the default action stops the process; execution continues here after SIGCONT.
    // SAFETY-free alternative: ask the shell via `kill -TSTP` on ourselves.
    let pid = std::process::id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-TSTP", &pid])
        .status();
    resume()
}

#[cfg(not(unix))]
pub fn suspend() -> io::Result<()> {
    Ok(())
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            tracing::error!("panic: {info}");
            previous(info);
        }));
    });
}
