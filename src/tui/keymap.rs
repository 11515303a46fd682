//! Keys as data: every bindable command has a name, a description and a mode, and the hint
//! bar and the `?` overlay are generated from this one table, so they can never drift from
//! what the keys do. Users override bindings in the config file (`[keys.MODE] command = "key"`).

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use strum::{EnumIter, EnumString, IntoEnumIterator, IntoStaticStr};

use crate::config::KeyTables;

/// Where the user is; bindings are looked up in the mode first, then in `Global`.
///
/// The names in the config file (`[keys.MODE]`) are derived from the variants, so a new mode
/// is configurable the moment it exists.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, EnumString, IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum Mode {
    Global,
    /// Spelled as one word since the first config files.
    #[strum(serialize = "signin")]
    SignIn,
    Orgs,
    Readiness,
    Contacts,
    Template,
    Confirm,
    Sending,
    Done,
    Prompt,
    Editor,
    /// The help overlay: its own keys scroll it, any other key closes it.
    Help,
    Runs,
    /// A row's detail pane: its own keys scroll it, any other key closes it.
    Detail,
    /// Choosing who gets the invitation of a shared phone.
    Pick,
    /// Typing a list's filter: characters are the filter, these keys end it.
    Filter,
    /// A yes-or-no question (quit or cancel while sending): its own key answers yes, any
    /// other key no.
    Question,
}

impl Mode {
    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn from_name(s: &str) -> Option<Mode> {
        s.parse().ok()
    }

    /// Every mode, in declaration order.
    pub fn all() -> impl Iterator<Item = Mode> {
        Mode::iter()
    }

    /// Characters typed here are text: a plain character is a command only when the mode
    /// binds it itself.
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            Mode::Prompt | Mode::SignIn | Mode::Editor | Mode::Filter
        )
    }

    /// Any key the mode does not bind closes it, so the keys that work everywhere do not
    /// work here (and are not offered).
    pub fn closes_on_other_keys(self) -> bool {
        matches!(self, Mode::Help | Mode::Detail | Mode::Question)
    }
}

/// Everything a key can do.
///
/// The names in the config file are derived from the variants; the three whose name is the
/// screen they open keep that shorter name, which config files already use.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, EnumString, IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum Command {
    Quit,
    Help,
    Back,
    Suspend,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Filter,
    Open,
    InviteOne,
    #[strum(serialize = "contacts")]
    PickContacts,
    Refresh,
    Toggle,
    ToggleAll,
    Add,
    Edit,
    Remove,
    Import,
    Paste,
    #[strum(serialize = "template")]
    EditTemplate,
    Review,
    Send,
    Save,
    Cancel,
    RetryFailed,
    Export,
    Copy,
    Submit,
    ToggleRemember,
    NextTemplate,
    #[strum(serialize = "runs")]
    OpenRuns,
    Details,
    Force,
    ForceAll,
    Choose,
    SetLink,
    SwitchPanel,
    /// Ends typing a filter and shows the whole list again.
    Clear,
    /// Answers a question with yes.
    Yes,
}

impl Command {
    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn description(self) -> &'static str {
        use Command::*;
        match self {
            Quit => "quit",
            Help => "help",
            Back => "back",
            Suspend => "suspend to shell",
            Up => "up",
            Down => "down",
            PageUp => "page up",
            PageDown => "page down",
            Top => "first",
            Bottom => "last",
            Filter => "filter",
            Open => "readiness report",
            InviteOne => "re-invite one number",
            PickContacts => "pick contacts",
            Refresh => "reload",
            Toggle => "select",
            ToggleAll => "select all",
            Add => "add contact",
            Edit => "edit",
            Remove => "remove",
            Import => "import CSV",
            Paste => "paste list",
            EditTemplate => "template",
            Review => "review & confirm",
            Send => "SEND",
            Save => "save template",
            Cancel => "cancel sending",
            RetryFailed => "retry what is not done",
            Export => "export CSV",
            Copy => "copy summary",
            Submit => "ok",
            ToggleRemember => "remember token",
            NextTemplate => "next template",
            OpenRuns => "runs (history)",
            Details => "details",
            Force => "force / unforce",
            ForceAll => "force all skipped",
            Choose => "choose who",
            SetLink => "set link address",
            SwitchPanel => "switch panel",
            Clear => "clear",
            Yes => "yes",
        }
    }

    /// Every command, in declaration order.
    pub fn all() -> impl Iterator<Item = Command> {
        Command::iter()
    }

    pub fn from_name(s: &str) -> Option<Command> {
        s.parse().ok()
    }
}

/// A key with modifiers, written like `ctrl-c`, `enter`, `?`, `f5`, `shift-tab`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        Key { code, mods }
    }

    pub const fn plain(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::NONE,
        }
    }

    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    /// A character without ctrl: text where text is typed.
    pub fn is_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(_)) && !self.mods.contains(KeyModifiers::CONTROL)
    }

    /// Normalizes a terminal key event (shift is implied by an upper-case char).
    pub fn from_event(e: &KeyEvent) -> Key {
        let mut mods =
            e.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        if let KeyCode::Char(_) = e.code {
            mods.remove(KeyModifiers::SHIFT);
        }
        Key { code: e.code, mods }
    }

    pub fn parse(s: &str) -> Result<Key, String> {
        let s = s.trim();
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(r) = lower.strip_prefix("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("alt-") {
                mods |= KeyModifiers::ALT;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("shift-") {
                mods |= KeyModifiers::SHIFT;
                rest = &rest[rest.len() - r.len()..];
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdn" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "delete" | "del" => KeyCode::Delete,
            "backspace" => KeyCode::Backspace,
            f if f.starts_with('f') && f.len() > 1 && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(if mods.contains(KeyModifiers::CONTROL) {
                        c.to_ascii_lowercase()
                    } else {
                        c
                    }),
                    _ => {
                        return Err(format!(
                            "{s:?} is not a key (examples: q, ctrl-c, enter, f5, shift-tab)"
                        ));
                    }
                }
            }
        };
        if let KeyCode::Char(_) = code {
            mods.remove(KeyModifiers::SHIFT);
        }
        Ok(Key { code, mods })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::Delete => f.write_str("del"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::F(n) => write!(f, "f{n}"),
            _ => f.write_str("?"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Binding {
    pub mode: Mode,
    pub key: Key,
    pub command: Command,
    /// Shown in the hint bar (the rest only in `?`).
    pub hint: bool,
}

#[derive(Clone, Debug)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

fn b(mode: Mode, key: Key, command: Command, hint: bool) -> Binding {
    Binding {
        mode,
        key,
        command,
        hint,
    }
}

impl Default for Keymap {
    fn default() -> Self {
        use Command::*;
        use KeyCode as K;
        use Mode::*;
        let none = KeyModifiers::NONE;
        let k = |c: KeyCode| Key::new(c, none);
        let nav = |m: Mode| {
            vec![
                b(m, k(K::Up), Up, false),
                b(m, Key::plain('k'), Up, false),
                b(m, k(K::Down), Down, false),
                b(m, Key::plain('j'), Down, false),
                b(m, k(K::PageUp), PageUp, false),
                b(m, k(K::PageDown), PageDown, false),
                b(m, k(K::Home), Top, false),
                b(m, k(K::End), Bottom, false),
            ]
        };
        let mut v = vec![
            b(Global, Key::ctrl('c'), Quit, false),
            b(Global, Key::plain('?'), Command::Help, true),
            b(Global, Key::ctrl('z'), Suspend, false),
            b(Global, Key::plain('q'), Quit, true),
            b(Global, k(K::Esc), Back, true),
            b(SignIn, k(K::Enter), Submit, true),
            b(SignIn, Key::ctrl('r'), ToggleRemember, true),
            b(SignIn, k(K::Esc), Quit, true),
            b(Orgs, Key::plain('/'), Command::Filter, true),
            b(Orgs, k(K::Enter), Open, true),
            b(Orgs, Key::plain('i'), InviteOne, true),
            b(Orgs, Key::plain('c'), PickContacts, true),
            b(Orgs, Key::plain('R'), OpenRuns, true),
            b(Orgs, Key::plain('r'), Refresh, false),
            b(Readiness, Key::plain('i'), InviteOne, true),
            b(Readiness, Key::plain('c'), PickContacts, true),
            b(Readiness, Key::plain('r'), Refresh, true),
            b(Readiness, Key::plain('l'), SetLink, true),
            b(Readiness, Key::plain('t'), EditTemplate, false),
            b(Contacts, Key::plain('r'), Review, true),
            b(Contacts, Key::plain(' '), Toggle, true),
            b(Contacts, k(K::Enter), Details, false),
            b(Contacts, k(K::Tab), SwitchPanel, false),
            b(Contacts, Key::plain('A'), ToggleAll, false),
            b(Contacts, Key::plain('/'), Command::Filter, true),
            b(Contacts, Key::plain('a'), Add, true),
            b(Contacts, Key::plain('e'), Edit, false),
            b(Contacts, Key::plain('d'), Remove, false),
            b(Contacts, Key::plain('I'), Import, true),
            b(Contacts, Key::plain('p'), Paste, true),
            b(Contacts, Key::plain('t'), EditTemplate, true),
            b(Template, k(K::Enter), Edit, true),
            b(Template, Key::ctrl('s'), Save, true),
            b(Template, Key::plain('w'), Save, false),
            b(Template, Key::plain('n'), Review, true),
            b(Confirm, Key::plain('s'), Send, true),
            b(Confirm, k(K::Enter), Choose, true),
            b(Confirm, Key::plain('f'), Force, true),
            b(Confirm, Key::plain('F'), ForceAll, false),
            b(Confirm, Key::plain('l'), SetLink, true),
            b(Confirm, Key::plain('t'), EditTemplate, true),
            b(Sending, Key::plain('x'), Cancel, true),
            b(Sending, k(K::Esc), Cancel, false),
            b(Sending, k(K::Enter), Details, true),
            b(Sending, k(K::Tab), SwitchPanel, false),
            b(Done, Key::plain('r'), RetryFailed, true),
            b(Done, Key::plain('e'), Export, true),
            b(Done, Key::plain('y'), Copy, true),
            b(Done, k(K::Enter), Details, true),
            b(Done, k(K::Tab), SwitchPanel, false),
            b(Runs, k(K::Enter), Open, true),
            b(Runs, Key::plain('/'), Command::Filter, true),
            b(Runs, Key::plain('r'), Refresh, false),
            b(Pick, k(K::Enter), Submit, true),
            b(Prompt, k(K::Enter), Submit, true),
            b(Editor, Key::ctrl('s'), Submit, true),
            b(Template, k(K::Tab), NextTemplate, true),
            b(Mode::Filter, k(K::Enter), Submit, true),
            b(Mode::Filter, k(K::Esc), Clear, true),
            b(Mode::Filter, k(K::Up), Up, false),
            b(Mode::Filter, k(K::Down), Down, false),
            b(Question, Key::plain('y'), Yes, true),
        ];
        for m in [
            Orgs,
            Readiness,
            Contacts,
            Template,
            Confirm,
            Sending,
            Done,
            Mode::Help,
            Runs,
            Detail,
            Pick,
        ] {
            v.extend(nav(m));
        }
        Keymap { bindings: v }
    }
}

impl Keymap {
    /// The command for a key in a mode; the mode's own bindings win over global ones. Where
    /// text is typed, plain characters are text, so only other keys and ctrl combinations
    /// reach the global table; a mode that closes on other keys has no global table.
    pub fn lookup(&self, mode: Mode, key: Key) -> Option<Command> {
        self.bindings
            .iter()
            .find(|b| b.mode == mode && b.key == key)
            .or_else(|| {
                self.bindings
                    .iter()
                    .find(|b| b.key == key && self.reaches(mode, b))
            })
            .map(|b| b.command)
    }

    /// Whether a global binding works in `mode`: the mode does not close on it, does not
    /// take its key as text, and does not bind the key to something else.
    fn reaches(&self, mode: Mode, b: &Binding) -> bool {
        let typed_as_text = mode.takes_text() && b.key.is_text();
        b.mode == Mode::Global
            && !mode.closes_on_other_keys()
            && !typed_as_text
            && !self
                .bindings
                .iter()
                .any(|o| o.mode == mode && o.key == b.key)
    }

    /// The key that does `command` in `mode`, for the words on screen ("press s to send"):
    /// the mode's own (one shown in the hint bar first), else a global one that works there.
    pub fn key_for(&self, mode: Mode, command: Command) -> Option<Key> {
        let own = || {
            self.bindings
                .iter()
                .filter(move |b| b.mode == mode && b.command == command)
        };
        let global = || {
            self.bindings
                .iter()
                .filter(move |b| b.command == command && self.reaches(mode, b))
        };
        own()
            .find(|b| b.hint)
            .or_else(|| own().next())
            .or_else(|| global().find(|b| b.hint))
            .or_else(|| global().next())
            .map(|b| b.key)
    }

    /// The key for `command` in `mode` as the words on screen name it ("press s to send"), so
    /// they say what the operator's configuration binds; "(unbound)" when it binds nothing.
    pub fn key_name(&self, mode: Mode, command: Command) -> String {
        self.key_for(mode, command)
            .map_or_else(|| "(unbound)".to_string(), |k| k.to_string())
    }

    /// "↑↓": the keys that move the selection up and down in `mode`.
    pub fn up_down(&self, mode: Mode) -> String {
        [Command::Up, Command::Down]
            .into_iter()
            .filter_map(|c| self.key_for(mode, c))
            .map(|k| k.to_string())
            .collect()
    }

    /// "space select · a add": each command's key in `mode` and what it does there, joined
    /// with " · "; a command without a key is left out.
    pub fn menu(&self, mode: Mode, items: &[(Command, &str)]) -> String {
        items
            .iter()
            .filter_map(|&(c, what)| self.key_for(mode, c).map(|k| format!("{k} {what}")))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// Hint-bar entries for a mode: its own hinted bindings first (the bar is cut at the right
    /// edge), then the global ones that work there.
    pub fn hints(&self, mode: Mode) -> Vec<(String, &'static str, Command)> {
        let mut seen = Vec::new();
        let mut out = Vec::new();
        let own = self.bindings.iter().filter(|b| b.hint && b.mode == mode);
        let global = self
            .bindings
            .iter()
            .filter(|b| b.hint && self.reaches(mode, b));
        for b in own.chain(global) {
            if seen.contains(&b.command) {
                continue;
            }
            seen.push(b.command);
            out.push((b.key.to_string(), b.command.description(), b.command));
        }
        out
    }

    /// Every binding of a mode and the global ones, grouped for the help overlay.
    pub fn help(&self, mode: Mode) -> Vec<(String, Vec<(String, &'static str)>)> {
        let mut groups: BTreeMap<Mode, BTreeMap<Command, Vec<String>>> = BTreeMap::new();
        for b in self
            .bindings
            .iter()
            .filter(|b| b.mode == mode || b.mode == Mode::Global)
        {
            groups
                .entry(b.mode)
                .or_default()
                .entry(b.command)
                .or_default()
                .push(b.key.to_string());
        }
        let mut out: Vec<(String, Vec<(String, &'static str)>)> = groups
            .into_iter()
            .map(|(m, cmds)| {
                let rows = cmds
                    .into_iter()
                    .map(|(c, keys)| (keys.join(" "), c.description()))
                    .collect();
                (
                    if m == Mode::Global {
                        "everywhere".to_string()
                    } else {
                        m.name().to_string()
                    },
                    rows,
                )
            })
            .collect();
        out.reverse();
        out
    }

    /// The default keys with the config file's `[keys]` tables applied.
    pub fn configured(tables: &KeyTables) -> Result<Keymap, String> {
        let mut k = Keymap::default();
        k.apply_overrides(tables)?;
        Ok(k)
    }

    /// Applies `[keys.MODE] command = "key"` (or a list of keys) from the config file; the
    /// new keys replace that command's defaults in that mode.
    pub fn apply_overrides(&mut self, table: &KeyTables) -> Result<(), String> {
        for (mode_name, commands) in table {
            let mode = Mode::from_name(mode_name)
                .ok_or_else(|| format!("[keys.{mode_name}]: unknown mode"))?;
            for (cmd_name, spec) in commands {
                let command = Command::from_name(cmd_name)
                    .ok_or_else(|| format!("[keys.{mode_name}] {cmd_name}: unknown command"))?;
                let keys = spec
                    .keys()
                    .iter()
                    .map(|k| Key::parse(k))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("[keys.{mode_name}] {cmd_name}: {e}"))?;
                self.bindings
                    .retain(|b| !(b.mode == mode && b.command == command));
                for key in keys {
                    self.bindings.retain(|b| !(b.mode == mode && b.key == key));
                    self.bindings.insert(0, b(mode, key, command, true));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_print() {
        for s in ["q", "ctrl-c", "enter", "esc", "f5", "space", "?", "A"] {
            let k = Key::parse(s).unwrap();
            assert_eq!(
                Key::parse(&k.to_string().replace('↑', "up")).unwrap(),
                k,
                "{s}"
            );
        }
        assert_eq!(Key::parse("Ctrl-C").unwrap(), Key::ctrl('c'));
        assert!(Key::parse("ctrl-").is_err());
        assert!(Key::parse("banana").is_err());
    }

    #[test]
    fn mode_bindings_win_and_typing_modes_keep_letters() {
        let km = Keymap::default();
        assert_eq!(
            km.lookup(Mode::Orgs, Key::plain('i')),
            Some(Command::InviteOne)
        );
        assert_eq!(km.lookup(Mode::Orgs, Key::plain('q')), Some(Command::Quit));
        assert_eq!(
            km.lookup(Mode::Prompt, Key::plain('q')),
            None,
            "q is text in a prompt"
        );
        assert_eq!(km.lookup(Mode::Prompt, Key::ctrl('c')), Some(Command::Quit));
        assert_ne!(
            km.lookup(Mode::Confirm, Key::new(KeyCode::Enter, KeyModifiers::NONE)),
            Some(Command::Send),
            "enter alone never sends"
        );
    }

    #[test]
    fn the_words_on_screen_name_the_configured_key() {
        let mut km = Keymap::default();
        assert_eq!(km.key_name(Mode::Confirm, Command::Send), "s");
        assert_eq!(
            km.key_name(Mode::Orgs, Command::Quit),
            "q",
            "the hinted one"
        );
        assert_eq!(
            km.key_name(Mode::Prompt, Command::Quit),
            "ctrl-c",
            "q is text there"
        );
        assert_eq!(km.up_down(Mode::Confirm), "↑↓");
        assert_eq!(
            km.menu(
                Mode::Contacts,
                &[(Command::Toggle, "select"), (Command::Add, "add")]
            ),
            "space select · a add"
        );
        let t: KeyTables =
            toml::from_str("[confirm]\nsend = \"ctrl-x\"\n[contacts]\nadd = []\n").unwrap();
        km.apply_overrides(&t).unwrap();
        assert_eq!(km.key_name(Mode::Confirm, Command::Send), "ctrl-x");
        assert_eq!(km.key_name(Mode::Contacts, Command::Add), "(unbound)");
        assert_eq!(
            km.menu(
                Mode::Contacts,
                &[(Command::Toggle, "select"), (Command::Add, "add")]
            ),
            "space select"
        );
    }

    #[test]
    fn hints_and_help_come_from_the_table() {
        let km = Keymap::default();
        let hints = km.hints(Mode::Confirm);
        assert!(hints.iter().any(|(k, d, _)| k == "s" && *d == "SEND"));
        let help = km.help(Mode::Orgs);
        assert_eq!(help[0].0, "orgs");
        assert!(help.iter().any(|(g, _)| g == "everywhere"));
    }

    /// Names are what the config file says; each must lead back to its mode or command.
    #[test]
    fn every_name_parses_back() {
        for m in Mode::all() {
            assert_eq!(Mode::from_name(m.name()), Some(m));
        }
        for c in Command::all() {
            assert_eq!(Command::from_name(c.name()), Some(c));
        }
        assert_eq!(Mode::SignIn.name(), "signin");
        assert_eq!(Command::PickContacts.name(), "contacts");
        assert_eq!(Command::NextTemplate.name(), "next_template");
        assert_eq!(
            Command::from_name("NextTemplate"),
            None,
            "only the config spelling"
        );
    }

    /// A config file naming every command in every mode loads: no command can be left out
    /// of the names again, as `next_template` once was.
    #[test]
    fn a_config_naming_every_command_of_every_mode_loads() {
        let mut text = String::new();
        for m in Mode::all() {
            text.push_str(&format!("[keys.{}]\n", m.name()));
            for c in Command::all() {
                text.push_str(&format!("{} = \"f12\"\n", c.name()));
            }
        }
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).expect("write");
        let config = crate::config::Config::load(&path).expect("parses");
        assert_eq!(config.keys.len(), Mode::all().count());
        let km = Keymap::configured(&config.keys).expect("every name is known");
        let f12 = Key::new(KeyCode::F(12), KeyModifiers::NONE);
        assert!(km.lookup(Mode::Template, f12).is_some());
        let mut one = crate::config::KeyTables::new();
        one.entry("template".into()).or_default().insert(
            "next_template".into(),
            crate::config::KeySpec::One("ctrl-n".into()),
        );
        let km = Keymap::configured(&one).expect("next_template is a command");
        assert_eq!(
            km.lookup(Mode::Template, Key::ctrl('n')),
            Some(Command::NextTemplate)
        );
    }

    #[test]
    fn overrides_replace_defaults_and_errors_are_clear() {
        let mut km = Keymap::default();
        let t: KeyTables = toml::from_str("[orgs]\ninvite_one = \"o\"\n").unwrap();
        km.apply_overrides(&t).unwrap();
        assert_eq!(
            km.lookup(Mode::Orgs, Key::plain('o')),
            Some(Command::InviteOne)
        );
        assert_eq!(km.lookup(Mode::Orgs, Key::plain('i')), None);
        let bad: KeyTables = toml::from_str("[orgs]\nfly = \"f\"\n").unwrap();
        assert!(
            km.apply_overrides(&bad)
                .unwrap_err()
                .contains("unknown command")
        );
        let bad: KeyTables = toml::from_str("[orgs]\ninvite_one = \"banana\"\n").unwrap();
        let e = Keymap::configured(&bad).unwrap_err();
        assert!(
            e.contains("[keys.orgs] invite_one") && e.contains("banana"),
            "{e}"
        );
    }
}
