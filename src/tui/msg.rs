//! Everything that can happen to the model: input, and the results of effects. Results carry
//! enough context to be applied (or dropped when stale) without asking anything else.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use crossterm::event::Event as TermEvent;

use super::model::{Lookup, Session};
use crate::api::models::Organization;
use crate::invite::contact::Contact;
use crate::invite::events::Event as EngineEvent;
use crate::invite::follow::FollowEvent;
use crate::invite::import::CsvImport;
use crate::invite::journal::{RunListing, StoredRun};
use crate::invite::link::LinkBook;
use crate::invite::readiness::{OrgSms, Report};

#[derive(Debug, Clone)]
pub enum Msg {
    Term(TermEvent),
    Tick(DateTime<Utc>),
    SignedIn(Result<Session, String>),
    OrgsLoaded(Result<Vec<OrgSms>, String>),
    /// The readiness report for an organization (the readiness or the confirm screen).
    Assessed {
        org: String,
        report: Report,
    },
    ContactsLoaded {
        org: String,
        result: Result<Vec<(Contact, Lookup)>, String>,
        /// The cap, when the organization has more contacts than were loaded.
        capped: Option<usize>,
    },
    LookedUp {
        org: String,
        lookups: Vec<Lookup>,
    },
    Imported {
        path: PathBuf,
        result: Result<CsvImport, String>,
    },
    Engine(EngineEvent),
    /// A follower started for `run`: its sent invitations are being followed (sent after the
    /// engine's `Started`, so the screen knows the run by then).
    FollowStarted {
        run: String,
    },
    /// What the follower of `run` saw or did. It names its run: the operator may have opened
    /// another one meanwhile, and a sign must not land on that run's rows.
    Follow {
        run: String,
        event: FollowEvent,
    },
    /// A send could not start (e.g. its journal cannot be written); nothing was sent.
    SendRefused(String),
    Exported(Result<PathBuf, String>),
    Copied(Result<usize, String>),
    TemplateSaved(Result<PathBuf, String>),
    LinkSaved(Result<LinkBook, String>),
    RunsLoaded(Vec<RunListing>),
    RunOpened {
        result: Result<(StoredRun, Organization), String>,
        retry: bool,
    },
    /// The organization the TUI was started for (e.g. `--org`).
    Preselect(Organization),
}
