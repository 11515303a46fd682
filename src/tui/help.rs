//! What the `?` overlay says, as data: the view draws these lines and the update scrolls
//! through them, so both agree on how long the help is without one asking the other.

use super::keymap::Keymap;
use super::model::Model;

/// One line of the help overlay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HelpLine {
    /// A mode's name ("orgs", "everywhere") above its keys.
    Group(String),
    /// The keys bound to one command, and what it does.
    Keys {
        keys: String,
        what: &'static str,
    },
    Blank,
    /// Where things are: the log, how to change keys.
    Note(String),
}

/// The help for the mode the model is in: that mode's keys, then the ones that work
/// everywhere, then where the log is and how to change keys. In the demo it opens with where to
/// play the customer, which is what a first-time operator looks for after a send.
pub fn lines(m: &Model, keymap: &Keymap) -> Vec<HelpLine> {
    let mut out = Vec::new();
    if let Some(page) = m.demo_phone_page() {
        out.push(HelpLine::Note(play_the_customer(&page)));
        out.push(HelpLine::Blank);
    }
    for (group, rows) in keymap.help(m.mode()) {
        out.push(HelpLine::Group(group));
        out.extend(
            rows.into_iter()
                .map(|(keys, what)| HelpLine::Keys { keys, what }),
        );
    }
    out.push(HelpLine::Blank);
    out.push(HelpLine::Note(format!("log: {}", m.log_file.display())));
    out.push(HelpLine::Note(
        "keys and theme: [keys.MODE] and [theme] in config.toml".into(),
    ));
    out
}

/// "Play the customer: URL", on the done screen and in the help alike.
pub fn play_the_customer(page: &str) -> String {
    format!("Play the customer: {page}")
}

/// Rows of the terminal the help box cannot use: its top and bottom border.
const BORDER_ROWS: u16 = 2;

/// How many help lines a terminal `height` rows high shows at once.
pub fn visible_lines(height: u16) -> usize {
    usize::from(height.saturating_sub(BORDER_ROWS))
}

/// The last line the help can start at in the terminal as it is now (0 when it fits), so
/// scrolling stops at the end instead of running on invisibly.
pub fn max_scroll(m: &Model, keymap: &Keymap) -> usize {
    lines(m, keymap)
        .len()
        .saturating_sub(visible_lines(m.size.1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invite::template::Template;

    #[test]
    fn the_help_scrolls_only_when_it_does_not_fit() {
        let keymap = Keymap::default();
        let mut m = Model::new(Template::default(), None, chrono::Utc::now());
        m.screen = crate::tui::model::Screen::Orgs;
        let len = lines(&m, &keymap).len();
        m.size = (80, u16::try_from(len).expect("short") + 2);
        assert_eq!(max_scroll(&m, &keymap), 0);
        m.size.1 -= 5;
        assert_eq!(max_scroll(&m, &keymap), 5);
        assert!(matches!(
            lines(&m, &keymap).first(),
            Some(HelpLine::Group(g)) if g == "orgs"
        ));
    }
}
