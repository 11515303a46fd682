//! The template screen: every field editable, templates to cycle through, saving.

use std::path::PathBuf;

use super::{is_nav, nav, navigate, prompt, toast};
use crate::invite::template::Template;
use crate::tui::effect::Effect;
use crate::tui::keymap::Command;
use crate::tui::model::*;

/// The editable template fields, in screen order.
pub const TEMPLATE_FIELDS: [&str; 14] = [
    "welcome_text",
    "link_text",
    "link_label",
    "clp_url",
    "sender_id",
    "country",
    "locale",
    "welcome_delay_ms",
    "link_delay_ms",
    "leave_delay_ms",
    "send_accept",
    "send_leave",
    "max_segments",
    "name",
];

pub fn command(m: &mut Model, cmd: Command, page: usize) -> Vec<Effect> {
    match cmd {
        c if is_nav(c) => {
            navigate(&mut m.template.field, TEMPLATE_FIELDS.len(), c, page);
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
        Command::Edit
            if matches!(
                TEMPLATE_FIELDS[m.template.field],
                "welcome_text" | "link_text"
            ) =>
        {
            let i = m.template.field;
            let text = field_value(&m.template.template, TEMPLATE_FIELDS[i]);
            let area = ratatui_textarea::TextArea::new(text.lines().map(str::to_string).collect());
            m.overlay = Some(Overlay::Editor(Box::new(Editor {
                kind: EditorKind::TemplateField(i),
                area,
                error: None,
            })));
            vec![]
        }
        Command::Edit => {
            let i = m.template.field;
            let name = TEMPLATE_FIELDS[i];
            let value = field_value(&m.template.template, name).replace('\n', "\\n");
            m.overlay = Some(prompt(
                PromptKind::TemplateField(i),
                &format!("Edit {name}"),
                field_help(name),
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
        Command::Review => super::contacts::review(m),
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

/// Sets field `i` from the editor's or the prompt's text.
pub fn set_text(m: &mut Model, i: usize, raw: &str) -> Result<(), String> {
    set_field(&mut m.template.template, TEMPLATE_FIELDS[i], raw)?;
    m.template.modified = true;
    Ok(())
}

pub fn field_value(t: &Template, name: &str) -> String {
    match name {
        "name" => t.name.clone(),
        "welcome_text" => t.welcome_text.clone(),
        "link_text" => t.link_text.clone(),
        "link_label" => t.link_label.clone(),
        "clp_url" => t.clp_url.clone(),
        "sender_id" => t.sender_id.clone(),
        "country" => t.country.clone(),
        "locale" => t.locale.clone(),
        "welcome_delay_ms" => t.welcome_delay_ms.to_string(),
        "link_delay_ms" => t.link_delay_ms.to_string(),
        "leave_delay_ms" => t.leave_delay_ms.to_string(),
        "send_accept" => t.send_accept.to_string(),
        "send_leave" => t.send_leave.to_string(),
        "max_segments" => t.max_segments.to_string(),
        _ => String::new(),
    }
}

fn field_help(name: &str) -> &'static str {
    match name {
        "welcome_text" | "link_text" => {
            "variables {givenName|there} {familyName} {organization} …; \\n for a new line"
        }
        "clp_url" => {
            "fallback https address of a landing page; each organization's own address wins (l on confirm)"
        }
        "sender_id" => {
            "up to 11 letters/digits/spaces, or empty for the service's number (two-way)"
        }
        "country" => "two-letter country for numbers typed without +: NL, BE, DE, …",
        "send_accept" | "send_leave" => "true or false",
        "max_segments" => "the most segments one SMS may take with a contact's values in",
        n if n.ends_with("_ms") => "milliseconds after the request arrives",
        _ => "",
    }
}

fn set_field(t: &mut Template, name: &str, raw: &str) -> Result<(), String> {
    let num = |s: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| format!("{name} must be a whole number of milliseconds"))
    };
    let flag = |s: &str| match s.trim() {
        "true" | "yes" | "on" => Ok(true),
        "false" | "no" | "off" => Ok(false),
        _ => Err(format!("{name} must be true or false")),
    };
    match name {
        "name" => t.name = raw.trim().to_string(),
        "welcome_text" => t.welcome_text = raw.to_string(),
        "link_text" => t.link_text = raw.to_string(),
        "link_label" => t.link_label = raw.to_string(),
        "clp_url" => t.clp_url = raw.trim().to_string(),
        "sender_id" => t.sender_id = raw.trim().to_string(),
        "country" => t.country = raw.trim().to_ascii_uppercase(),
        "locale" => t.locale = raw.trim().to_string(),
        "welcome_delay_ms" => t.welcome_delay_ms = num(raw)?,
        "link_delay_ms" => t.link_delay_ms = num(raw)?,
        "leave_delay_ms" => t.leave_delay_ms = num(raw)?,
        "send_accept" => t.send_accept = flag(raw)?,
        "send_leave" => t.send_leave = flag(raw)?,
        "max_segments" => {
            t.max_segments = raw
                .trim()
                .parse()
                .map_err(|_| "max_segments must be a whole number, 1 or more".to_string())?
        }
        _ => return Err(format!("unknown field {name}")),
    }
    Ok(())
}
