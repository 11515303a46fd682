//! The runs screen: every journalled run, newest first, searchable by phone number ("did we
//! invite this customer already, and what happened?"); a run opens on the done screen, from
//! where it can be resumed, retried and exported.

use super::{clamp, clear_filter, is_nav, nav, navigate, toast};
use crate::api::models::Organization;
use crate::invite::journal::{RunListing, StoredRun};
use crate::tui::effect::Effect;
use crate::tui::keymap::Command;
use crate::tui::model::*;

pub fn open(m: &mut Model) -> Vec<Effect> {
    m.runs.loading = true;
    nav::go(m, Screen::Runs);
    vec![Effect::LoadRuns]
}

pub fn command(m: &mut Model, cmd: Command, page: usize) -> Vec<Effect> {
    let visible = m.runs.visible();
    match cmd {
        c if is_nav(c) => {
            navigate(&mut m.runs.nav.selected, visible.len(), c, page);
            vec![]
        }
        Command::Filter => {
            m.runs.nav.filtering = true;
            vec![]
        }
        Command::Refresh => {
            m.runs.loading = true;
            vec![Effect::LoadRuns]
        }
        Command::Open => match visible
            .get(m.runs.nav.selected)
            .and_then(|&i| m.runs.rows.get(i))
        {
            Some(r) => vec![Effect::OpenRun {
                run: r.listing.run.header.run.clone(),
                retry: false,
            }],
            None => vec![],
        },
        Command::Back if !m.runs.nav.filter.value().is_empty() => {
            clear_filter(m);
            vec![]
        }
        Command::Back => {
            nav::back(m);
            vec![]
        }
        _ => vec![],
    }
}

pub fn loaded(m: &mut Model, list: Vec<RunListing>) {
    m.runs.loading = false;
    m.runs.rows = list
        .into_iter()
        .map(|listing| {
            let numbers = listing
                .run
                .contacts
                .iter()
                .map(|c| c.target.e164.trim_start_matches('+'))
                .collect::<Vec<_>>()
                .join(" ");
            let follow = listing.run.ledger().summary();
            RunRow {
                listing,
                numbers,
                follow,
            }
        })
        .collect();
    let n = m.runs.visible().len();
    clamp(&mut m.runs.nav.selected, n);
}

/// A run was read back: shown on the done screen, or (a retry) straight on to confirming what
/// is left of it.
pub fn opened(
    m: &mut Model,
    result: Result<(StoredRun, Organization), String>,
    retry: bool,
) -> Vec<Effect> {
    let (run, org) = match result {
        Ok(r) => r,
        Err(e) => {
            toast(m, Level::Error, e);
            return vec![];
        }
    };
    m.org = Some(org.clone());
    let mut opened = Sending::from_run(&org, &run);
    // The run this session still follows keeps saying so; its signs so far are journalled,
    // so the ledger read back has them all.
    if let Some(before) = m.sending.take().filter(|s| s.run_id == opened.run_id) {
        opened.follow.status = before.follow.status;
        opened.follow.trouble = before.follow.trouble;
    }
    m.sending = Some(opened);
    nav::go(m, Screen::Sending);
    if !retry {
        return vec![];
    }
    let targets: Vec<_> = run
        .contacts
        .iter()
        .filter(|c| !c.state.is_done())
        .map(|c| c.target.clone())
        .collect();
    if targets.is_empty() {
        toast(
            m,
            Level::Info,
            "nothing to retry: every contact was sent or skipped",
        );
        return vec![];
    }
    super::confirm::start(m, targets, Some(run.header.run.clone()))
}
