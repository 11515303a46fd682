//! What a finished text prompt does.

use crate::invite::import;
use crate::invite::link;
use crate::invite::phone;
use crate::invite::target::Target;
use crate::tui::effect::Effect;
use crate::tui::model::*;

pub fn submit(m: &mut Model, mut p: Prompt) -> Vec<Effect> {
    let value = p.input.value().trim().to_string();
    let region = super::orgs::region(m);
    let reopen = |m: &mut Model, mut p: Prompt, err: String| {
        p.error = Some(err);
        m.overlay = Some(Overlay::Prompt(p));
        vec![]
    };
    match p.kind.clone() {
        PromptKind::InvitePhone => match phone::normalize(&value, region.as_deref()) {
            Ok(n) => {
                let mut t = Target::from_phone(&n);
                t.line = None;
                super::confirm::start(m, vec![t], None)
            }
            Err(e) => reopen(m, p, e.to_string()),
        },
        PromptKind::AddContact | PromptKind::EditContact(_) => {
            match import::import_text(&value, region.as_deref()) {
                Ok(mut r) if r.contacts.len() == 1 => {
                    let contact = r.contacts.remove(0);
                    if let PromptKind::EditContact(i) = p.kind
                        && let Some(row) = m.contacts.row_mut(i)
                    {
                        row.set_contact(contact);
                        m.contacts.mark(i, true);
                    } else {
                        super::contacts::add_rows(m, vec![contact], Source::Added);
                    }
                    super::contacts::look_up_rows(m)
                }
                Ok(r) if r.contacts.len() > 1 => reopen(
                    m,
                    p,
                    "one contact at a time here; paste a list on the contacts screen instead"
                        .into(),
                ),
                Ok(r) => {
                    let why = r
                        .errors
                        .first()
                        .map(|e| e.reason.clone())
                        .unwrap_or_else(|| "no phone number found".into());
                    reopen(m, p, why)
                }
                Err(e) => reopen(m, p, e.to_string()),
            }
        }
        PromptKind::ImportPath if value.is_empty() => {
            reopen(m, p, "give the path of a CSV file".into())
        }
        PromptKind::ImportPath => vec![Effect::Import {
            path: value.into(),
            region,
        }],
        PromptKind::ExportPath if value.is_empty() => reopen(m, p, "give a file name".into()),
        PromptKind::ExportPath => {
            let Some(s) = m.sending.as_ref() else {
                return vec![];
            };
            vec![Effect::Export {
                path: value.into(),
                run_id: s.run_id.clone(),
                rows: s.rows().iter().map(|r| r.update.clone()).collect(),
                follow: s
                    .rows()
                    .iter()
                    .map(|r| s.follow.outcome(r.update.index))
                    .collect(),
            }]
        }
        PromptKind::TemplateField(i) => {
            let raw = p.input.value().replace("\\n", "\n");
            match super::template::set_text(m, i, &raw) {
                Ok(()) => vec![],
                Err(e) => {
                    p.error = Some(e);
                    m.overlay = Some(Overlay::Prompt(p));
                    vec![]
                }
            }
        }
        PromptKind::TypeCount => {
            if value == m.confirm.targets.len().to_string() {
                m.confirm.typed = value;
                super::confirm::send(m)
            } else {
                reopen(
                    m,
                    p,
                    format!("type exactly {} to send", m.confirm.targets.len()),
                )
            }
        }
        PromptKind::LinkAddress => match link::check_clp_url(&value, m.local_api()) {
            Ok(url) => super::confirm::save_link(m, url),
            Err(why) => reopen(m, p, why),
        },
    }
}
