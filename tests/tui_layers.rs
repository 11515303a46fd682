//! The TUI's layers point one way: the view and the update both read the model (and the
//! keymap, theme and help beneath them), never each other; nothing in the TUI reaches up into
//! the command-line front end; the config file's types know nothing of the TUI. Checked on the
//! source text, so a stray `use` fails here before it tangles the modules again.

use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("source dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The lines of code in `paths` (comments left out) that mention any of `words`.
fn mentions(paths: &[PathBuf], words: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path).expect("read");
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if words.iter().any(|w| code.contains(w)) {
                found.push(format!("{}:{}: {}", path.display(), n + 1, code));
            }
        }
    }
    found
}

fn src(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(rel)
}

#[test]
fn the_view_does_not_use_the_update() {
    let found = mentions(&sources(&src("tui/view")), &["update::", "tui::update"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_update_does_not_use_the_view() {
    let found = mentions(&sources(&src("tui/update")), &["view::", "tui::view"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_model_keymap_theme_and_help_use_neither() {
    let mut files = sources(&src("tui/model"));
    for f in [
        "tui/model.rs",
        "tui/keymap.rs",
        "tui/theme.rs",
        "tui/help.rs",
    ] {
        files.push(src(f));
    }
    let found = mentions(
        &files,
        &["update::", "view::", "tui::update", "tui::view", "app::"],
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_config_file_types_know_nothing_of_the_tui() {
    let found = mentions(&[src("config.rs")], &["tui::"]);
    assert!(found.is_empty(), "{found:#?}");
}
#[test]
fn the_tui_does_not_reach_into_the_command_line_front_end() {
    let found = mentions(&sources(&src("tui")), &["commands::", "crate::cli"]);
    assert!(found.is_empty(), "{found:#?}");
}
