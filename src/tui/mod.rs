//! The interactive TUI: one model, a pure update and view, effects performed by the runtime
//! (see `docs/architecture.md`).

pub mod app;
pub mod effect;
pub mod help;
pub mod keymap;
pub mod model;
pub mod msg;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod view;

/// What the shell shows when the TUI ends: the last run's counts, and, when it has contacts
/// left (a quit mid-send, failures), the exact command that resumes it.
pub fn exit_note(m: &model::Model) -> Vec<String> {
    let Some(s) = m
        .sending
        .as_ref()
        .filter(|s| !s.run_id.is_empty() && !s.dry_run)
    else {
        return Vec::new();
    };
    let summary = s.batch_summary();
    let mut out = vec![format!("Run {}: {}", s.run_id, summary.headline())];
    if summary.resumable() || s.finished.is_none() {
        if m.session.as_ref().is_some_and(|x| x.demo) {
            out.push("(a demo run lives only as long as the demo; it cannot be resumed)".into());
        } else {
            out.push(format!(
                "Resume with: sms-invite send --resume {} (sends only what is not done)",
                s.run_id
            ));
        }
    }
    out
}
