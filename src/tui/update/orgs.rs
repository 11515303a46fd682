//! The organizations screen and an organization's readiness report.

use super::{clear_filter, is_nav, nav, navigate, prompt, toast};
use crate::api::models::Organization;
use crate::invite::link;
use crate::invite::readiness::Recipients;
use crate::tui::effect::Effect;
use crate::tui::keymap::Command;
use crate::tui::model::{Contacts, Level, Model, PromptKind, Readiness, Screen};

pub fn orgs_command(m: &mut Model, cmd: Command, page: usize) -> Vec<Effect> {
    let len = m.visible_orgs().len();
    match cmd {
        c if is_nav(c) => {
            navigate(&mut m.orgs.nav.selected, len, c, page);
            vec![]
        }
        Command::Filter => {
            m.orgs.nav.filtering = true;
            vec![]
        }
        Command::Back if !m.orgs.nav.filter.value().is_empty() => {
            clear_filter(m);
            vec![]
        }
        Command::Refresh => {
            m.orgs.loading = true;
            vec![Effect::LoadOrgs]
        }
        Command::Open => open_readiness(m),
        Command::InviteOne => invite_one(m),
        Command::PickContacts => open_contacts(m),
        Command::OpenRuns => super::runs::open(m),
        _ => vec![],
    }
}

pub fn readiness_command(m: &mut Model, cmd: Command) -> Vec<Effect> {
    match cmd {
        Command::Back => {
            nav::back(m);
            vec![]
        }
        Command::Refresh => open_readiness(m),
        Command::InviteOne => invite_one(m),
        Command::PickContacts => open_contacts(m),
        Command::SetLink => {
            super::confirm::open_link_prompt(m);
            vec![]
        }
        Command::EditTemplate => {
            nav::go(m, Screen::Template);
            vec![]
        }
        _ => vec![],
    }
}

/// The report for the selected organization with the current template and link address,
/// before any contact is chosen.
fn open_readiness(m: &mut Model) -> Vec<Effect> {
    let Some(org) = m
        .selected_org()
        .map(|o| o.org.clone())
        .filter(|_| m.screen == Screen::Orgs)
        .or_else(|| m.readiness.as_ref().map(|r| r.org.clone()))
    else {
        return vec![];
    };
    m.org = Some(org.clone());
    m.readiness = Some(Readiness {
        org: org.clone(),
        report: None,
    });
    nav::go(m, Screen::Readiness);
    vec![assess(m, &org, Recipients::default())]
}

/// The report request for `org` with the model's template and that organization's address.
pub fn assess(m: &Model, org: &Organization, recipients: Recipients) -> Effect {
    let template = m.template.template.clone();
    let link = link::choose(None, &m.links, &org.id, &template.clp_url);
    Effect::Assess {
        org: org.clone(),
        template,
        link,
        recipients,
        bot_name: m.session.as_ref().map(|s| s.name.clone()),
    }
}

fn current_org(m: &Model) -> Option<Organization> {
    match m.screen {
        Screen::Orgs => m.selected_org().map(|o| o.org.clone()),
        _ => m.org.clone(),
    }
}

fn invite_one(m: &mut Model) -> Vec<Effect> {
    let Some(org) = current_org(m) else {
        toast(m, Level::Warn, "pick an organization first");
        return vec![];
    };
    let label = org.label().to_string();
    m.org = Some(org);
    m.overlay = Some(prompt(
        PromptKind::InvitePhone,
        &format!("Re-invite one contact of {label}"),
        "the number as the customer gives it, e.g. 06 12345678 or +32 470 12 34 56",
        "",
    ));
    vec![]
}

fn open_contacts(m: &mut Model) -> Vec<Effect> {
    let Some(org) = current_org(m) else {
        return vec![];
    };
    m.org = Some(org.clone());
    nav::go(m, Screen::Contacts);
    if m.contacts.org.as_ref().is_some_and(|o| o.id == org.id) {
        return vec![];
    }
    m.contacts = Contacts::default();
    m.contacts.org = Some(org.clone());
    m.contacts.loading = true;
    vec![Effect::LoadContacts(org)]
}

/// The country for numbers typed without one (see [`Template::region_for`]).
///
/// [`Template::region_for`]: crate::invite::template::Template::region_for
pub fn region(m: &Model) -> Option<String> {
    m.template
        .template
        .region_for(m.org.as_ref())
        .map(str::to_string)
}
