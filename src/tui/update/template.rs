//! The template screen: every field editable, templates to cycle through, saving.

use std::path::PathBuf;

use super::{is_nav, nav, navigate, prompt, toast};
use crate::tui::effect::Effect;
use crate::tui::keymap::{Command, Keymap, Mode};
use crate::tui::model::*;
use strum::EnumCount;

pub fn command(m: &mut Model, cmd: Command, page: usize, keymap: &Keymap) -> Vec<Effect> {
    match cmd {
        c if is_nav(c) => {
            let mut line = m.template.field.index();
            navigate(&mut line, TemplateField::COUNT, c, page);
            m.template.field = TemplateField::at(line).unwrap_or(m.template.field);
            vec![]
        }
        Command::NextTemplate => {
            let n = m.template.choices.len();
            if n == 0 {
                toast(
                    m,
                    Level::Info,
                    "no other templates: save one to the config dir's templates/ folder",
                );
                return vec![];
            }
            let current = m
                .template
                .choices
                .iter()
                .position(|(p, _)| *p == m.template.path);
            let next = current.map_or(0, |i| (i + 1) % n);
            let (path, t) = m.template.choices[next].clone();
            m.template.template = t;
            m.template.path = path;
            m.template.modified = false;
            vec![]
        }
        Command::Edit if m.template.field.is_message_text() => {
            let field = m.template.field;
            let text = field.value(&m.template.template);
            let area = ratatui_textarea::TextArea::new(text.lines().map(str::to_string).collect());
            m.overlay = Some(Overlay::Editor(Box::new(Editor {
                kind: EditorKind::TemplateField(field),
                area,
                error: None,
            })));
            vec![]
        }
        Command::Edit => {
            let field = m.template.field;
            let value = field.value(&m.template.template).replace('\n', "\\n");
            m.overlay = Some(prompt(
                PromptKind::TemplateField(field),
                &format!("Edit {}", field.name()),
                &field.help(&keymap.key_name(Mode::Confirm, Command::SetLink)),
                &value,
            ));
            vec![]
        }
        Command::Save => {
            let path = m
                .template
                .path
                .clone()
                .unwrap_or_else(|| m.template.save_dir.join("default.toml"));
            vec![Effect::SaveTemplate {
                path,
                template: m.template.template.clone(),
            }]
        }
        Command::Review if !m.confirm.targets.is_empty() => back_to_confirm(m),
        Command::Review => super::contacts::review(m, keymap),
        Command::Back if m.back.last() == Some(&Screen::Confirm) => back_to_confirm(m),
        Command::Back => {
            nav::back(m);
            vec![]
        }
        _ => vec![],
    }
}

/// Back to the batch being confirmed, whose report is built again for the edited template.
fn back_to_confirm(m: &mut Model) -> Vec<Effect> {
    nav::go(m, Screen::Confirm);
    super::confirm::reassess(m)
}

pub fn saved(m: &mut Model, r: Result<PathBuf, String>) {
    match r {
        Ok(p) => {
            m.template.modified = false;
            m.template.path = Some(p.clone());
            toast(m, Level::Ok, format!("template saved to {}", p.display()));
        }
        Err(e) => toast(m, Level::Error, e),
    }
}

/// Sets a field from the editor's or the prompt's text.
pub fn set_text(m: &mut Model, field: TemplateField, raw: &str) -> Result<(), String> {
    field.set(&mut m.template.template, raw)?;
    m.template.modified = true;
    Ok(())
}
