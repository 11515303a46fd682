//! The confirm screen: the readiness report for this very send (the gate), the verdict of
//! the shared rules for every contact, and the operator's decisions: force a skip, choose
//! who gets the invitation of a shared phone, set the organization's link address.

use super::{is_nav, nav, navigate, prompt, toast};
use crate::invite::batch::{self, SamePhone};
use crate::invite::link::{self, LinkBook, LinkSource};
use crate::invite::readiness::{Action, Recipients, Report};
use crate::invite::target::Target;
use crate::invite::template::RenderError;
use crate::invite::verdict::{Force, Remedy};
use crate::tui::effect::Effect;
use crate::tui::keymap::{Command, Keymap, Mode};
use crate::tui::model::*;

/// Opens the confirm screen for `targets` (one invitation per phone unless the operator
/// chooses otherwise), asking for the report and, for a batch of ordinary size, the lookups.
pub fn start(m: &mut Model, targets: Vec<Target>, resume: Option<String>) -> Vec<Effect> {
    let Some(org) = m.org.clone() else {
        return vec![];
    };
    let (targets, same_phone) = batch::one_per_phone(targets);
    // A big list is not looked up in advance: that would be one request per contact before
    // the first SMS; the send checks each contact itself.
    let look_up = targets.len() <= super::LOOKUP_AHEAD_MAX;
    let effect_targets = look_up.then(|| targets.clone());
    m.confirm = Confirm {
        targets,
        same_phone,
        looking_up: look_up,
        resume,
        ..Confirm::default()
    };
    nav::go(m, Screen::Confirm);
    check_renders(m);
    let recipients = m.confirm.review.recipients.clone();
    let mut effects = vec![super::orgs::assess(m, &org, recipients)];
    if let Some(targets) = effect_targets {
        effects.push(Effect::LookUp {
            org,
            targets,
            template_hash: m.template.template.template_hash(),
        });
    }
    effects
}

/// The report is built again (after the template or the link address changed).
pub fn reassess(m: &mut Model) -> Vec<Effect> {
    let Some(org) = m.org.clone() else {
        return vec![];
    };
    m.confirm.report = None;
    check_renders(m);
    vec![super::orgs::assess(
        m,
        &org,
        m.confirm.review.recipients.clone(),
    )]
}

/// Which targets' SMS cannot be made, by the template's own rules (the send would fail them
/// with the same reason). Values the platform's profile would add are not known here; a
/// missing one is left to the send, which fills it from the profile first. The review the
/// screen draws is taken again with them.
pub fn check_renders(m: &mut Model) {
    let t = m.effective_template();
    let org = m
        .org
        .as_ref()
        .map(|o| o.label().to_string())
        .unwrap_or_default();
    m.confirm.unrenderable = m
        .confirm
        .targets
        .iter()
        .enumerate()
        .take(super::LOOKUP_AHEAD_MAX)
        .filter_map(|(i, target)| {
            let vars = |name: &str| target.variable(name, &org);
            match t.render(&vars) {
                Err(e @ (RenderError::Unsafe { .. } | RenderError::TooLong { .. })) => {
                    Some((i, e.to_string()))
                }
                _ => None,
            }
        })
        .collect();
    m.confirm.refresh(m.clock);
}

/// The report arrived. When the organization has no link address at all, and that is all
/// that stands in the way, the operator is asked for it right away: the first send for an
/// organization needs one (an organization that cannot send SMS anyway is not asked).
pub fn assessed(m: &mut Model, report: Report) -> Vec<Effect> {
    let only_the_address = report.blocking().count() == 1
        && report.blocking().all(|i| i.action == Some(Action::SetLink));
    let no_address =
        only_the_address && current_link(m).is_some_and(|l| l.source == LinkSource::None);
    m.confirm.report = Some(report);
    if no_address && m.overlay.is_none() && m.screen == Screen::Confirm {
        open_link_prompt(m);
    }
    vec![]
}

fn current_link(m: &Model) -> Option<link::LinkChoice> {
    let org = m.org.as_ref()?;
    Some(link::choose(
        None,
        &m.links,
        &org.id,
        &m.template.template.clp_url,
    ))
}

pub fn open_link_prompt(m: &mut Model) {
    let Some(org) = m.org.as_ref() else { return };
    let current = current_link(m)
        .filter(|l| l.source != LinkSource::None)
        .map(|l| l.url)
        .unwrap_or_default();
    m.overlay = Some(prompt(
        PromptKind::LinkAddress,
        &format!("Landing-page address of {}", org.label()),
        "its Conversational Landing Page (https); saved for this organization",
        &current,
    ));
}

pub fn command(m: &mut Model, cmd: Command, page: usize, keymap: &Keymap) -> Vec<Effect> {
    match cmd {
        c if is_nav(c) => {
            let n = m.confirm.attention().len();
            navigate(&mut m.confirm.selected, n, c, page);
            vec![]
        }
        Command::Send => send(m),
        Command::Force => {
            force_selected(m);
            vec![]
        }
        Command::ForceAll => {
            force_all(m);
            vec![]
        }
        Command::Choose => {
            choose_selected(m, keymap);
            vec![]
        }
        Command::SetLink => {
            open_link_prompt(m);
            vec![]
        }
        Command::EditTemplate => {
            nav::go(m, Screen::Template);
            vec![]
        }
        Command::Back => {
            nav::back(m);
            m.confirm = Confirm::default();
            vec![]
        }
        _ => vec![],
    }
}

fn selected_attention(m: &Model) -> Option<Attention> {
    m.confirm.attention().get(m.confirm.selected).cloned()
}

/// `f`: forces (or takes back the force of) the selected skip.
fn force_selected(m: &mut Model) {
    match selected_attention(m) {
        Some(Attention::Refused { target, refusal }) if refusal.remedy == Some(Remedy::Force) => {
            let t = &mut m.confirm.targets[target];
            t.force = if t.force.is_none() {
                Force::ALL
            } else {
                Force::default()
            };
            m.confirm.refresh(m.clock);
        }
        _ => toast(
            m,
            Level::Info,
            "only a skipped contact (cooldown, or an agent holding the conversation) can be forced",
        ),
    }
}

/// `F`: forces every skip of this batch, or takes them all back when all are forced.
fn force_all(m: &mut Model) {
    let skips: Vec<usize> = m
        .confirm
        .attention()
        .iter()
        .filter_map(|a| match a {
            Attention::Refused { target, refusal } if refusal.remedy == Some(Remedy::Force) => {
                Some(*target)
            }
            _ => None,
        })
        .collect();
    if skips.is_empty() {
        toast(
            m,
            Level::Info,
            "nothing is skipped, so there is nothing to force",
        );
        return;
    }
    let all_forced = skips.iter().all(|&i| !m.confirm.targets[i].force.is_none());
    for i in skips {
        m.confirm.targets[i].force = if all_forced {
            Force::default()
        } else {
            Force::ALL
        };
    }
    m.confirm.refresh(m.clock);
}

/// `enter`: who gets the invitation of a shared phone.
fn choose_selected(m: &mut Model, keymap: &Keymap) {
    let list = match selected_attention(m) {
        Some(Attention::Refused { target, refusal })
            if refusal.remedy == Some(Remedy::NameContact) =>
        {
            let t = &m.confirm.targets[target];
            let found = m
                .confirm
                .lookups
                .get(&t.e164)
                .and_then(|l| l.found.clone())
                .unwrap_or_default();
            let mut options: Vec<PickOption> = found
                .iter()
                .enumerate()
                .map(|(choice, f)| PickOption::One {
                    choice,
                    label: f.label(),
                })
                .collect();
            options.push(PickOption::All { count: found.len() });
            PickList {
                e164: t.e164.clone(),
                source: PickSource::Target(target),
                options,
                selected: 0,
            }
        }
        Some(Attention::SamePhone(i)) => {
            let same = &m.confirm.same_phone[i];
            let mut options: Vec<PickOption> = std::iter::once(&same.kept)
                .chain(same.left_out.iter())
                .enumerate()
                .map(|(choice, t)| PickOption::One {
                    choice,
                    label: t.label(),
                })
                .collect();
            options.push(PickOption::All {
                count: same.left_out.len() + 1,
            });
            PickList {
                e164: same.e164.clone(),
                source: PickSource::SamePhone(i),
                options,
                selected: 0,
            }
        }
        _ => {
            let text = format!(
                "{} chooses who gets the invitation of a shared phone; select one in the list",
                keymap.key_name(Mode::Confirm, Command::Choose)
            );
            toast(m, Level::Info, text);
            return;
        }
    };
    m.overlay = Some(Overlay::Pick(list));
}

/// The operator chose in the pick list.
pub fn picked(m: &mut Model, p: PickList) -> Vec<Effect> {
    let Some(option) = p.options.get(p.selected).cloned() else {
        return vec![];
    };
    match p.source {
        PickSource::Target(i) => {
            let Some(t) = m.confirm.targets.get(i).cloned() else {
                return vec![];
            };
            let found = m
                .confirm
                .lookups
                .get(&t.e164)
                .and_then(|l| l.found.clone())
                .unwrap_or_default();
            let named = |id: &str| Target {
                contact_id: Some(id.to_string()),
                ..t.clone()
            };
            match option {
                PickOption::One { choice, .. } => {
                    if let Some(f) = found.get(choice) {
                        m.confirm.targets[i] = named(&f.contact_id);
                    }
                }
                PickOption::All { .. } => {
                    let each: Vec<Target> = found.iter().map(|f| named(&f.contact_id)).collect();
                    m.confirm.targets.splice(i..=i, each);
                }
            }
        }
        PickSource::SamePhone(i) => {
            if i >= m.confirm.same_phone.len() {
                return vec![];
            }
            let same: SamePhone = m.confirm.same_phone.remove(i);
            let Some(pos) = m.confirm.targets.iter().position(|t| *t == same.kept) else {
                return vec![];
            };
            let mut group: Vec<Target> = std::iter::once(same.kept.clone())
                .chain(same.left_out.iter().cloned())
                .collect();
            match option {
                PickOption::One { choice, .. } if choice < group.len() => {
                    let chosen = group.remove(choice);
                    m.confirm.targets[pos] = chosen.clone();
                    m.confirm.same_phone.insert(
                        i,
                        SamePhone {
                            e164: same.e164,
                            kept: chosen,
                            left_out: group,
                        },
                    );
                }
                PickOption::One { .. } => m.confirm.same_phone.insert(i, same),
                PickOption::All { .. } => {
                    m.confirm.targets.splice(pos..=pos, group);
                }
            }
        }
    }
    check_renders(m);
    vec![]
}

/// The link address was checked in the prompt; it is saved, then the report is built again.
pub fn save_link(m: &mut Model, url: String) -> Vec<Effect> {
    let Some(org) = m.org.clone() else {
        return vec![];
    };
    vec![Effect::SaveLink { org, url }]
}

pub fn link_saved(m: &mut Model, r: Result<LinkBook, String>) -> Vec<Effect> {
    match r {
        Ok(book) => {
            m.links = book;
            let org = m
                .org
                .as_ref()
                .map(|o| o.label().to_string())
                .unwrap_or_default();
            toast(m, Level::Ok, format!("link address saved for {org}"));
            let mut effects = Vec::new();
            if let Some(r) = m.readiness.as_ref().map(|r| r.org.clone()) {
                effects.push(super::orgs::assess(m, &r, Recipients::default()));
            }
            if !m.confirm.targets.is_empty() {
                effects.extend(reassess(m));
            }
            effects
        }
        Err(e) => {
            toast(m, Level::Error, e);
            vec![]
        }
    }
}

/// `s`: sends, when the report allows it; a large batch needs its count typed first.
pub fn send(m: &mut Model) -> Vec<Effect> {
    let Some(org) = m.org.clone() else {
        return vec![];
    };
    match &m.confirm.report {
        None => {
            toast(m, Level::Info, "still checking readiness; a moment");
            return vec![];
        }
        Some(r) if !r.can_send() => {
            let first = r.blocking_summary();
            toast(m, Level::Error, format!("not sending: {first}"));
            return vec![];
        }
        Some(_) => {}
    }
    let n = m.confirm.targets.len();
    if batch::needs_typed_count(n) && m.confirm.typed != n.to_string() {
        m.overlay = Some(prompt(
            PromptKind::TypeCount,
            &format!("Type {n} to send {n} invitations"),
            "a large batch needs the count typed, so it cannot go out by accident",
            "",
        ));
        return vec![];
    }
    let template = m.effective_template();
    let targets = std::mem::take(&mut m.confirm.targets);
    let resume = m.confirm.resume.take();
    m.confirm = Confirm::default();
    super::sending::start(m, org, template, targets, resume)
}
